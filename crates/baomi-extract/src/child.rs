//! Helper programs (poppler, Tesseract) run as children with resource
//! limits: `RLIMIT_AS` (memory) and `RLIMIT_CPU` (CPU time) set in the child
//! before `exec`, a wall-clock limit after which the child is killed, input
//! fed on standard input and output capped. One place for every reader that
//! starts a program, so each gets the same limits and the same handling of
//! a child that hangs, floods its output or is killed.
//!
//! The limits are set with `libc::setrlimit` in a `pre_exec` hook rather
//! than through a crate such as `rlimit`: libc is already in the dependency
//! tree, and the hook makes only that one async-signal-safe call.

use crate::Limits;
use std::io::{ErrorKind, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Resource limits of one helper program.
#[derive(Debug, Clone)]
pub(crate) struct ChildLimits {
    /// Wall-clock time; the child is killed past it.
    pub(crate) timeout: Duration,
    /// `RLIMIT_CPU` in seconds (the kernel sends SIGXCPU, then SIGKILL).
    pub(crate) cpu_seconds: u64,
    /// `RLIMIT_AS` in bytes.
    pub(crate) memory_bytes: u64,
}

impl ChildLimits {
    /// Limits scaled with the input's size ([`Limits::subprocess_time_for`]).
    pub(crate) fn for_input(limits: &Limits, input_len: usize) -> Self {
        let timeout = limits.subprocess_time_for(input_len);
        ChildLimits {
            timeout,
            cpu_seconds: timeout.as_secs_f64().ceil().max(1.0) as u64,
            memory_bytes: limits.subprocess_memory_bytes,
        }
    }
}

/// Sets the child's limits; runs between `fork` and `exec`.
#[cfg(unix)]
fn limit_child(cmd: &mut Command, limits: &ChildLimits) {
    use std::os::unix::process::CommandExt;
    let (cpu, mem) = (limits.cpu_seconds, limits.memory_bytes);
    // SAFETY: the hook runs in the forked child before exec and only calls
    // setrlimit, which is async-signal-safe; it touches no memory shared
    // with the parent and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let set = |resource, value: u64| {
                let lim = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_CPU, cpu)?;
            set(libc::RLIMIT_AS, mem)?;
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_child(_cmd: &mut Command, _limits: &ChildLimits) {}

/// The limit behind a child's death by signal, for the message.
#[cfg(unix)]
fn killed_by(status: &std::process::ExitStatus) -> Option<&'static str> {
    use std::os::unix::process::ExitStatusExt;
    match status.signal()? {
        libc::SIGXCPU => Some("CPU time limit"),
        libc::SIGKILL => Some("CPU time limit (killed)"),
        libc::SIGSEGV | libc::SIGABRT | libc::SIGBUS => {
            Some("memory limit or a crash (signal while parsing)")
        }
        _ => None,
    }
}

#[cfg(not(unix))]
fn killed_by(_status: &std::process::ExitStatus) -> Option<&'static str> {
    None
}

/// What a child printed and how it ended.
pub(crate) struct ChildOutput {
    pub(crate) success: bool,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// More output than the cap: the rest was not read.
    pub(crate) truncated: bool,
    /// Which resource limit ended the child, when a signal did.
    pub(crate) killed_by: Option<&'static str>,
}

/// Why a child gave no output; callers turn it into their own message.
#[derive(Debug)]
pub(crate) enum RunError {
    /// The program is not installed.
    NotFound,
    /// Killed at the wall-clock limit.
    TimedOut,
    Other(String),
}

/// Runs `cmd`, feeding `input` on standard input, with `limits` (the child
/// is killed on overrun of the time limit), and at most `cap` bytes of
/// output kept. `what` names the program in messages.
pub(crate) fn run(
    mut cmd: Command,
    what: &str,
    input: &[u8],
    limits: &ChildLimits,
    cap: usize,
) -> Result<ChildOutput, RunError> {
    let timeout = limits.timeout;
    limit_child(&mut cmd, limits);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                RunError::NotFound
            } else {
                RunError::Other(format!("cannot run {what}: {e}"))
            }
        })?;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let started = Instant::now();
    std::thread::scope(|s| {
        // Writing and reading run in their own threads: a child that writes
        // before it has read all its input must not deadlock us.
        s.spawn(move || {
            if let Some(mut w) = stdin.take() {
                // A child that stops reading (error, killed) closes the pipe:
                // that is not our failure to report.
                let _ = w.write_all(input);
            }
        });
        let out = s.spawn(move || capped_read(stdout.take(), cap));
        let err = s.spawn(move || capped_read(stderr.take(), 64 << 10));
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() >= timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(RunError::TimedOut);
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(RunError::Other(format!("waiting for {what}: {e}")));
                }
            }
        };
        let (stdout, truncated) = out.join().unwrap_or_default();
        let (stderr, _) = err.join().unwrap_or_default();
        let status = status?;
        Ok(ChildOutput {
            success: status.success(),
            killed_by: killed_by(&status),
            stdout,
            stderr,
            truncated,
        })
    })
}

/// Reads at most `cap` bytes; reports whether there was more. The rest is
/// drained so the child is not blocked on a full pipe.
fn capped_read<R: Read>(r: Option<R>, cap: usize) -> (Vec<u8>, bool) {
    let Some(mut r) = r else {
        return (Vec::new(), false);
    };
    let mut buf = Vec::new();
    let _ = (&mut r).take(cap as u64 + 1).read_to_end(&mut buf);
    let truncated = buf.len() > cap;
    if truncated {
        buf.truncate(cap);
        let _ = std::io::copy(&mut r, &mut std::io::sink());
    }
    (buf, truncated)
}
