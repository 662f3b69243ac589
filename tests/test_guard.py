"""The suite's own guards: skips go through one guard (tests/guard.py), under CI=true no test is
skipped, whichever way, and the mutation check's planted bugs still find their code."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import guard

ROOT = Path(__file__).resolve().parents[1]

SKIPPING = '''
import pytest
from tests import guard

def test_missing_tool():
    guard.need_tool("no-such-tool-anywhere", "apt-get install nothing")

@pytest.mark.skipif(True, reason="a marker")
def test_marker():
    pass

def test_importorskip():
    pytest.importorskip("no_such_module_anywhere")

def test_bare_skip():
    pytest.skip("bare")

@pytest.mark.xfail(reason="expected to fail", strict=True)
def test_xfail():
    assert False

def test_passes():
    pass
'''


def run_pytest(tmp_path: Path, ci: str | None) -> tuple[int, str]:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.guard", "-p", "no:cacheprovider",
                           "-o", "addopts=", "-q", "-rA", "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout


def test_every_kind_of_skip_fails_under_ci(tmp_path):
    code, out = run_pytest(tmp_path, "true")
    assert code == 1, out
    # a skipif marker skips in the set-up phase: it shows as an error there, a failure all the same
    bad = sorted(re.findall(r"^(?:FAILED|ERROR) test_skipping\.py::(\w+) - .*under CI=true", out, re.M))
    assert bad == ["test_bare_skip", "test_importorskip", "test_marker", "test_missing_tool"], out
    assert "1 passed, 1 xfailed" in out, out


@pytest.mark.parametrize("ci", [None, "false"])
def test_outside_ci_they_skip_with_the_reason(tmp_path, ci):
    code, out = run_pytest(tmp_path, ci)
    assert code == 0 and "1 passed, 4 skipped, 1 xfailed" in out, out
    assert "no-such-tool-anywhere not installed (apt-get install nothing)" in out


def test_no_test_file_skips_except_through_the_guard():
    """pytest.skip, skipif, importorskip and `pytest.mark.skip` appear only in tests/guard.py."""
    pattern = re.compile(r"pytest\.(skip\(|importorskip|mark\.skip)")
    offenders = [f"{p.name}:{n}" for p in sorted((ROOT / "tests").glob("*.py"))
                 if p.name not in ("guard.py", "test_guard.py")
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_missing_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI=true"):
        guard.missing("chromium not installed")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="chromium not installed"):
        guard.missing("chromium not installed")


def test_every_planted_bug_of_the_mutation_check_can_still_be_planted():
    # scripts/mutants.py plants known bugs by exact text; when code moves, a mutant whose text
    # is gone checks nothing, silently until someone runs it
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutants.py"), "--check"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    found = re.search(r"(\d+) of (\d+) anchors found", out.stdout)
    assert found and found[1] == found[2] and int(found[1]) > 0, out.stdout
