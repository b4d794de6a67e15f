"""The baomi Python package against the CLI contract.

Each test states a behaviour a publishing tool relies on. The CLI's JSON for
the same examples comes from the `baomi` binary when BAOMI_BIN is set (CI:
bindings/python/run-tests.sh sets it), so the package and the CLI cannot drift.
"""

import json
import os
import pathlib
import subprocess
import threading
import time

import pytest

import baomi

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def scanner():
    return baomi.Scanner()


def test_scan_finds_a_classification_marking(scanner):
    r = scanner.scan("关于报送材料的通知\n本件机密★5年，请妥善保管。\n")
    assert r.verdict == "withhold"
    assert r.title == "关于报送材料的通知"
    f = r.findings[0]
    assert isinstance(f, baomi.Finding)
    assert (f.rule, f.matched, f.confidence) == ("marking.classification", "机密★5年", "high")
    assert (f.location.part, f.location.line, f.location.column) == ("body", 2, 3)
    assert f.severity == "block" and f.category == "state-secret"
    assert "保守国家秘密法" in f.basis


def test_clean_text_is_clear_and_empty_text_is_an_error(scanner):
    assert scanner.scan("依据《中华人民共和国保守国家秘密法》开展保密审查。").verdict == "clear"
    empty = scanner.scan("")
    assert empty.verdict == "error"
    assert "the file is empty" in empty.error
    assert not empty.complete


def test_to_json_is_the_cli_report(scanner):
    r = scanner.scan("联系人身份证号11010519491231002X", name="form.txt")
    doc = json.loads(r.to_json())["documents"][0]
    assert doc["path"] == "form.txt"
    assert doc["verdict"] == "withhold"
    assert doc["findings"][0]["rule"] == "personal.id-card"
    assert doc["findings"][0]["span"] == {"start": len("联系人身份证号".encode()), "end": len("联系人身份证号11010519491231002X".encode())}
    assert [f.span for f in r.findings] == [(21, 39)]


@pytest.mark.skipif(not os.environ.get("BAOMI_BIN"), reason="BAOMI_BIN (the baomi binary) not set")
@pytest.mark.parametrize("name", ["flagged-notice.txt", "benefit-recipients.md", "clean-notice.txt", "gbk-draft.txt"])
def test_review_file_equals_baomi_scan(name):
    path = EXAMPLES / name
    cli = subprocess.run([os.environ["BAOMI_BIN"], "scan", "--format", "json", str(path)],
                         capture_output=True, text=True)
    assert cli.returncode in (0, 1), cli.stderr
    assert baomi.review_file(path).to_json() == cli.stdout.rstrip("\n")
    text = path.read_bytes()
    if name != "gbk-draft.txt":
        # A text handed over in memory: the same report as the file.
        assert baomi.Scanner().scan(text.decode(), name=str(path)).to_json() == cli.stdout.rstrip("\n")


def test_review_file_reads_documents_and_fails_closed(tmp_path):
    docx = baomi.review_file(FIXTURES / "draft.docx")
    assert docx.verdict in ("review", "withhold")
    assert "body" in docx.parts
    assert any(f.location.part != "body" for f in docx.findings) or docx.findings
    missing = baomi.review_file(tmp_path / "no-such.docx")
    assert missing.verdict == "error"
    assert "no-such.docx" in missing.error
    legacy = tmp_path / "old.doc"
    legacy.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512)
    assert "save it as .docx" in baomi.Scanner().review_file(legacy).error


def test_rules_of_ones_own_and_their_errors(tmp_path):
    rules = """
[[rule]]
id = "local.codename"
title = "项目代号"
category = "internal"
severity = "block"
basis = "本单位保密规定"
keywords = ["青松工程"]
tests.hit = ["青松工程进展"]
tests.miss = ["青松"]
"""
    assert baomi.Scanner(toml=rules).scan("青松工程").findings[0].rule == "local.codename"
    (tmp_path / "local.toml").write_text(rules, encoding="utf-8")
    assert baomi.Scanner(tmp_path).scan("青松工程").verdict == "withhold"
    with pytest.raises(baomi.RulesError, match="rules.toml"):
        baomi.Scanner(toml="[[rule]]\nid = 3\n")
    with pytest.raises(baomi.RulesError, match="no-such-dir"):
        baomi.Scanner(tmp_path / "no-such-dir")
    assert issubclass(baomi.RulesError, ValueError)


def test_findings_compare_like_dataclasses(scanner):
    a = scanner.scan("本件机密★5年").findings
    b = scanner.scan("本件机密★5年").findings
    assert a == b
    assert "marking.classification" in repr(a[0])
    with pytest.raises(AttributeError):
        a[0].rule = "x"  # frozen


def test_scanning_releases_the_gil(scanner):
    """While one thread scans a large text, another keeps running Python."""
    big = ("普通的一行文字，没有任何问题。\n" * 400_000) + "机密★1年\n"
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    report = scanner.scan(big)
    end = time.perf_counter()
    stop.set()
    t.join()
    assert report.verdict == "withhold"
    during = [x for x in ticks if start < x < end]
    # Holding the GIL for the whole scan would leave no tick inside it.
    assert end - start > 0.02 and len(during) >= 5, (end - start, len(during))


def test_types_are_shipped():
    pkg = pathlib.Path(baomi.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "__init__.pyi").exists()
