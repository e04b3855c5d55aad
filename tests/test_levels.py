"""Each network's level count on the page: train.levels measures it, the manifest keeps it,
build.py sends the network with it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, random_mlp

import hwd
from hwd.npzwrite import compact_bytes
from train import levels, manifest

sys.path.insert(0, str(ROOT))
import build


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A models folder with one small float32 network and its manifest."""
    folder = tmp_path / "models"
    folder.mkdir()
    random_mlp([784, 30, 10], seed=3).save(folder / "small.npz", {"test_accuracy": 0.5},
                                           dtype="float32")
    manifest.main(["--models", str(folder), "--default", "small"])
    return folder


def images(n: int = 300) -> np.ndarray:
    return np.random.default_rng(0).random((n, 784), dtype=np.float32)


def test_the_rule_takes_the_fewest_levels_within_the_budget() -> None:
    changed = {10: 40, 12: 20, 14: 31, 16: 10}
    assert levels.page_levels(changed, 60_000) == 12  # 30 allowed: 14 is over, 16 is larger
    assert levels.page_levels(changed, 20_000) == 16  # 10 allowed
    assert levels.page_levels(changed, 1_000) == 16  # none within: the most levels measured


def test_changed_answers_agree_with_hwd_reading_the_compact_file(models: Path) -> None:
    path, x = models / "small.npz", images()
    network = hwd.load(path)
    original = [network.predict(row.tolist())[0] for row in x]
    changed = levels.changed_answers(path, x, (2, 32))
    for count in (2, 32):
        compact = hwd.load(compact_bytes(network, count))
        expected = sum(compact.predict(row.tolist())[0] != answer
                       for row, answer in zip(x, original, strict=True))
        assert changed[count] == expected
    assert changed[2] > changed[32]  # two steps either side of zero change answers


def test_main_records_page_levels_and_the_manifest_keeps_them(models: Path,
                                                              monkeypatch) -> None:
    monkeypatch.setattr(levels, "load_mnist", lambda data: (images(), None, None, None))
    assert levels.main(["--models", str(models)]) == 0
    recorded = json.loads((models / "manifest.json").read_text())["networks"]["small"]
    assert recorded["page_levels"] in levels.CANDIDATES
    manifest.main(["--models", str(models), "--default", "small"])  # the same file: kept
    again = json.loads((models / "manifest.json").read_text())["networks"]["small"]
    assert again == recorded
    random_mlp([784, 30, 10], seed=4).save(models / "small.npz", {"test_accuracy": 0.5},
                                           dtype="float32")
    manifest.main(["--models", str(models), "--default", "small"])  # a new file: measure it
    assert "page_levels" not in json.loads((models / "manifest.json").read_text()
                                           )["networks"]["small"]
    with pytest.raises(SystemExit):
        levels.main(["--models", str(models), "nosuch"])


def test_main_refuses_a_file_newer_than_its_manifest_entry(models: Path, monkeypatch,
                                                           capsys) -> None:
    monkeypatch.setattr(levels, "load_mnist", lambda data: (images(), None, None, None))
    random_mlp([784, 30, 10], seed=5).save(models / "small.npz", {"test_accuracy": 0.5},
                                           dtype="float32")
    with pytest.raises(SystemExit):
        levels.main(["--models", str(models)])
    assert "run python -m train.manifest first" in capsys.readouterr().err
    assert "page_levels" not in (models / "manifest.json").read_text()


def test_build_sends_each_network_with_its_page_levels(models: Path, tmp_path: Path,
                                                       monkeypatch) -> None:
    monkeypatch.setattr(build, "CACHE", tmp_path / "cache")
    manifest_file = models / "manifest.json"
    data = json.loads(manifest_file.read_text())
    data["networks"]["small"]["page_levels"] = 7
    manifest_file.write_text(json.dumps(data))
    build.copy_networks(tmp_path / "site", models)
    with np.load(tmp_path / "site" / "small.npz") as z:
        assert np.abs(z["weights_0"]).max() == 7
        assert json.loads(z["meta"].tobytes())["weight_levels"] == 7
    for bad in (0, 128, "12", True):
        data["networks"]["small"]["page_levels"] = bad
        manifest_file.write_text(json.dumps(data))
        with pytest.raises(build.BuildError, match="page_levels"):
            build.copy_networks(tmp_path / f"bad-{bad}", models)
