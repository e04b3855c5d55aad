"""The hwd command line: output and exit codes, run as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from helpers import ROOT

import hwd
from hwd.preprocess import strokes_to_pixels

SEVEN = [[[10, 10], [60, 10], [30, 90]]]


def hwd_cli(*args: str, stdin: str = "", env_extra: dict | None = None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "hwd", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


@pytest.fixture(scope="module")
def quick() -> str:
    return str(ROOT / "models" / "quick.npz")


def test_recognize_wire_values_from_stdin(quick):
    pixels = strokes_to_pixels(SEVEN)
    r = hwd_cli("recognize", "--network", quick, stdin=hwd.format_wire(pixels))
    assert r.returncode == 0, r.stderr
    assert "digit: 7" in r.stdout and "@@" in r.stdout  # the answer and the ASCII art
    assert len(re.findall(r"^  \d: +[\d.]+%", r.stdout, re.M)) == 10  # ten probabilities


def test_recognize_strokes_file_as_json(quick, tmp_path):
    path = tmp_path / "seven.json"
    path.write_text(json.dumps({"strokes": SEVEN}))
    r = hwd_cli("recognize", str(path), "--network", quick, "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["digit"] == 7 and len(result["probabilities"]) == 10


def test_recognize_an_image(quick, tmp_path):
    from PIL import Image, ImageDraw

    image = Image.new("L", (200, 200), 255)  # dark ink on white paper, as scanned
    ImageDraw.Draw(image).line([(60, 30), (150, 30), (90, 180)], fill=0, width=16)
    image.save(tmp_path / "seven.png")
    r = hwd_cli("recognize", str(tmp_path / "seven.png"), "--network", quick, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["digit"] == 7


@pytest.mark.parametrize("stdin, message", [
    ("1,2,3", "expected 784 comma-separated values, got 3"),
    (",".join(["0"] * 783 + ["x"]), "value 783 is not a number"),
    (",".join(["nan"] * 784), "not finite"),
    (",".join(["2"] * 784), "out of range"),
    ('{"strokes": []}', "empty"),
    ('{"strokes": [[[1, 2], [3]]]}', "x and y"),
    ("{not json", "not valid JSON"),
])
def test_bad_input_one_line_and_status_2(quick, stdin, message):
    r = hwd_cli("recognize", "--network", quick, stdin=stdin)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_unreadable_files(tmp_path, quick):
    (tmp_path / "bad.png").write_bytes(b"not a png")
    r = hwd_cli("recognize", str(tmp_path / "bad.png"), "--network", quick)
    assert r.returncode == 2 and "unreadable image" in r.stderr
    r = hwd_cli("recognize", str(tmp_path / "nothing.txt"), "--network", quick)
    assert r.returncode == 2 and "no such file" in r.stderr
    (tmp_path / "net.npz").write_bytes(b"junk")
    r = hwd_cli("recognize", "--network", str(tmp_path / "net.npz"),
                stdin=",".join(["0"] * 784))
    assert r.returncode == 2 and "net.npz: not an .npz file" in r.stderr


@pytest.mark.slow
def test_show_prints_ascii_digits(data_dir):
    r = hwd_cli("show", "2", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(": label ") == 2 and "@@" in r.stdout


@pytest.mark.slow
def test_show_refuses_impossible_counts(data_dir):
    for n in ("-5", "70000"):
        r = hwd_cli("show", n)
        assert r.returncode == 2
        assert r.stderr == f"hwd show: error: N must be between 0 and 60000, not {n}\n"


@pytest.mark.slow
def test_evaluate_json_and_report(data_dir, quick, tmp_path):
    r = hwd_cli("evaluate", quick, "--json", "--report", str(tmp_path))
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.splitlines()[-1])
    assert result["n"] == 10000 and result["layers"][0] == 784 and result["ok"] is True
    assert result["accuracy"] == pytest.approx(1 - result["error_rate"])
    assert result["accuracy"] == pytest.approx(hwd.load(quick).meta["test_accuracy"])
    for name in ("confusion.png", "mistakes.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_evaluate_human_readable(data_dir, quick):
    r = hwd_cli("evaluate", quick)
    assert r.returncode == 0, r.stderr
    for text in ("measured", "per digit", "confusion", "NETWORK IS OK"):
        assert text in r.stdout


@pytest.mark.parametrize("command", [["show"], ["train", "--epochs", "1"], ["evaluate", "quick"]])
def test_commands_that_need_numpy_say_how_to_get_it(command):
    """Without numpy (as after a plain ``pip install hwd``): one line, not an ImportError."""
    code = ("import sys; sys.modules['numpy'] = None; from hwd.cli import main; "
            f"sys.exit(main({command!r}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       timeout=60)
    assert r.returncode == 2
    assert r.stderr == f"hwd {command[0]}: error: this command needs numpy: pip install 'hwd[train]'\n"
