#!/usr/bin/env python3
"""Interleaved timing of whole commands, for machines whose speed drifts.

    python3 benches/interleave.py ROUNDS 'label=[VAR=value ...] command args' ...

Runs every command once per round, in turn (one warm-up round first), and
prints per command the median and minimum wall time and the median CPU time
(user + system of the process and its threads). Sequential measurements
(hyperfine, compare.sh) compare one stretch of time with another; on the
shared virtual machines this project is measured on, the same binary's
median moved by 20-30 % between stretches, which interleaving cancels out.
"""
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    cases = []
    for spec in sys.argv[2:]:
        label, command = spec.split("=", 1)
        env, words = dict(os.environ), command.split()
        while words and "=" in words[0] and not words[0].startswith("/"):
            key, value = words.pop(0).split("=", 1)
            env[key] = value
        cases.append((label, words, env))
    times = {label: [] for label, _, _ in cases}
    for r in range(rounds + 1):
        for label, words, env in cases:
            t0 = time.perf_counter()
            child = subprocess.Popen(words, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            _, _, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - t0
            if r:
                times[label].append((wall, usage.ru_utime + usage.ru_stime))
    for label, runs in times.items():
        walls = sorted(w for w, _ in runs)
        cpus = [c for _, c in runs]
        print(f"{label:14} wall median {statistics.median(walls) * 1000:7.1f} ms"
              f"  min {walls[0] * 1000:7.1f}  cpu median {statistics.median(cpus) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
