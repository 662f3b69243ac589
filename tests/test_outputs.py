"""Files the user names with -o: never a device or FIFO, sibling names that cannot clash, a
default name per seed set, and all-or-nothing writes (full disk, interrupt)."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from litmap import outputs
from litmap.cli import cli
from tests import guard
from tests.fakeapi import SMALL

ROOT = Path(__file__).resolve().parents[1]



def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_sibling_names_are_derived_from_the_whole_name():
    assert outputs.map_paths(Path("out/paper.v1.html"), "x") == (
        Path("out/paper.v1.html"), Path("out/paper.v1.bib"), Path("out/paper.v1.json"))
    assert outputs.map_paths(Path("paper.v2"), "x")[1:] == (Path("paper.v2.bib"), Path("paper.v2.json"))
    assert outputs.map_paths(None, "litmap-k")[0] == Path("litmap-k.html")


@pytest.mark.parametrize("name", ["refs.bib", "refs.json", "m.BIB"])
def test_o_naming_a_sibling_is_refused_before_any_work(api, tmp_path, name):
    result = run("seed", SMALL["seed"], "-o", name, "-q")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert ".html" in result.stderr and not list(tmp_path.glob("refs*")) and not list(tmp_path.glob("m.*"))
    assert not (tmp_path / "cache").exists()  # refused before the crawl: no request, no cache


def test_two_versions_do_not_share_a_bib(api, tmp_path):
    assert run("seed", SMALL["seed"], "-o", "paper.v1.html", "-q").exit_code == 0
    assert run("seed", SMALL["seed"], "--nodes", "2", "-o", "paper.v2.html", "-q").exit_code == 0
    assert {p.name for p in tmp_path.glob("paper.*")} == {
        f"paper.v{v}.{ext}" for v in (1, 2) for ext in ("html", "bib", "json")}
    assert (tmp_path / "paper.v1.bib").read_text() != (tmp_path / "paper.v2.bib").read_text()


def test_default_name_differs_per_seed_set(api, tmp_path):
    one = run("seed", SMALL["seed"], "-q")
    two = run("seed", SMALL["seed"], SMALL["maldacena"], "-q")
    assert one.exit_code == 0 and two.exit_code == 0
    first, second = one.stdout.split()[1].rstrip(","), two.stdout.split()[1].rstrip(",")
    assert first != second and (tmp_path / first).exists() and (tmp_path / second).exists()
    # the same seeds in another order are the same map, and the same name
    three = run("seed", SMALL["maldacena"], SMALL["seed"], "-q")
    assert three.stdout.split()[1].rstrip(",") == second


def test_device_is_refused_and_left_alone(api, tmp_path):
    # A private null device, never the system's /dev/null: code that got this wrong would
    # replace the device with a regular file for everyone on the machine.
    dev = tmp_path / "null"
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        guard.missing("creating a device node needs root (CAP_MKNOD)")
    result = run("seed", SMALL["seed"], "-o", dev, "-q")
    assert result.exit_code == 2 and "device" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert stat.S_ISCHR(os.stat(dev).st_mode) and not (tmp_path / "null.bib").exists()
    export = run("export", SMALL["seed"], "-o", dev)
    assert export.exit_code == 2 and stat.S_ISCHR(os.stat(dev).st_mode)


def test_fifo_is_refused_without_blocking(api, tmp_path):
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    result = run("seed", SMALL["seed"], "-o", fifo, "-q")
    assert result.exit_code == 2 and "FIFO" in result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and not (tmp_path / "pipe.bib").exists()


def test_symlink_to_a_regular_file_is_written_through(api, tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "map.html"
    target.write_text("old")
    os.chmod(target, 0o640)
    (tmp_path / "link.html").symlink_to(target)
    assert run("seed", SMALL["seed"], "-o", "link.html", "-q").exit_code == 0
    assert (tmp_path / "link.html").is_symlink()
    assert target.read_text().startswith("<!DOCTYPE html>") and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (tmp_path / "link.bib").is_file() and not list(tmp_path.rglob("*.part"))


def _limited(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_leaves_the_old_triple_and_no_part_files(api, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "litmap", "seed", SMALL["seed"], "-o", "m.html", "-q"]
    assert subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, timeout=120).returncode == 0
    before = {p.name: p.read_bytes() for p in tmp_path.glob("m.*")}
    assert set(before) == {"m.html", "m.bib", "m.json"}
    # a file size limit makes the write fail as a full disk would (EFBIG instead of ENOSPC)
    proc = subprocess.run(cmd + ["--nodes", "3"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=_limited(64 * 1024))
    assert proc.returncode == 1 and "nothing was replaced" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.glob("m.*")} == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_interrupted_write_leaves_nothing_half_done(tmp_path, monkeypatch):
    (tmp_path / "a.html").write_text("old a")
    real_replace = os.replace
    calls = []

    def interrupt(src, dst):
        calls.append(dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_all([(tmp_path / "a.html", "new a"), (tmp_path / "a.bib", "new b")])
    monkeypatch.setattr(os, "replace", real_replace)
    assert calls and (tmp_path / "a.html").read_text() == "old a" and not (tmp_path / "a.bib").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.html"]


# -- streams: -o - and /dev/stdout never replace what they point to (issue 24) -------------------

def _litmap_shell(tmp_path, command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["/dev/stdout", "-", "link.bib"])
def test_export_to_stdout_appends_to_the_users_redirect(api, tmp_path, name):
    # `export -o /dev/stdout >> myrefs.bib` replaced myrefs.bib with the export alone.
    (tmp_path / "link.bib").symlink_to("/dev/stdout")
    mine = tmp_path / "myrefs.bib"
    mine.write_text("@misc{mine, title = {My own entry}}\n")
    inode = mine.stat().st_ino
    cmd = f"{sys.executable} -m litmap export {SMALL['seed']} -o {name} >> myrefs.bib"
    first = _litmap_shell(tmp_path, cmd)
    assert first.returncode == 0, first.stderr
    second = _litmap_shell(tmp_path, cmd)
    assert second.returncode == 0, second.stderr
    text = mine.read_text()
    assert text.startswith("@misc{mine, title = {My own entry}}\n")
    assert text.count("@misc{mine,") == 1 and text.count("@") > 3
    one = text[len("@misc{mine, title = {My own entry}}\n"):]
    assert one[: len(one) // 2] == one[len(one) // 2:]  # the export, twice, appended
    assert mine.stat().st_ino == inode and (tmp_path / "link.bib").is_symlink()
    assert not list(tmp_path.glob(".*.part")) and not list(tmp_path.glob("myrefs.bib.*"))


def test_seed_to_a_stream_is_refused_and_creates_nothing(api, tmp_path):
    # As root, `seed -o /dev/stdout` created /dev/stdout.bib and .json.
    made = [p for p in (Path("/dev/stdout.bib"), Path("/dev/stdout.json")) if not p.exists()]
    try:
        for name in ("/dev/stdout", "-"):
            done = _litmap_shell(tmp_path, f"{sys.executable} -m litmap seed {SMALL['seed']} -o {name} -q >> page.html")
            assert done.returncode == 2, done.stderr
            assert "cannot go to a stream" in done.stderr and len(done.stderr.strip().splitlines()) == 1
            assert not any(p.exists() for p in made)
            assert (tmp_path / "page.html").read_text() == ""
    finally:
        for p in made:
            if p.exists():
                p.unlink()


def test_no_kernel_link_is_followed_to_a_file_to_replace(tmp_path):
    (tmp_path / "x.bib").write_text("keep")
    with pytest.raises(outputs.OutputError, match="leads out of proc/"):
        outputs.write_all([(Path(f"/proc/self/root{tmp_path}/x.bib"), "new")])
    assert (tmp_path / "x.bib").read_text() == "keep"


def test_empty_output_name_is_a_usage_error(api, tmp_path):
    for args in (["seed", SMALL["seed"], "-q"], ["export", SMALL["seed"]]):
        result = run(*args, "-o", "")
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == \
            "litmap: error: -o needs a file name, such as map.html, not an empty name or a directory"
