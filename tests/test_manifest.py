"""The reproduction command that train.manifest rebuilds from a network's stored settings."""

from __future__ import annotations

import shlex

from train.manifest import reproduce_command
from train.train import parse_args

UNSTORED = ("data", "out", "save", "plot")  # the trainer keeps every other setting in the file


def test_the_command_parses_back_to_the_same_settings():
    args = parse_args(["--layers", "784,30,10", "--deskew", "--european", "0.3", "--seed", "4"])
    settings = {k: v for k, v in vars(args).items() if k not in UNSTORED}
    command = reproduce_command("net", settings)
    assert command.startswith("python -m hwd train ") and "--deskew" in command.split()
    again = vars(parse_args(shlex.split(command)[4:]))
    assert {k: again[k] for k in settings} == settings
    assert again["save"] == "models/net.npz"
    plain = reproduce_command("net", {**settings, "deskew": False})  # as older files store it
    assert "--deskew" not in plain.split() and not parse_args(shlex.split(plain)[4:]).deskew
    assert parse_args(shlex.split(reproduce_command("net", {**settings, "deskew": True}))[4:]
                      ).deskew == 1.0
    partly = reproduce_command("net", {**settings, "deskew": 0.75})
    assert parse_args(shlex.split(partly)[4:]).deskew == 0.75
