"""Lazy command registration: a run imports only the invoked command's module; help still lists them all."""

import json
import os
import subprocess
import sys

import pytest

from ldnsim.cli._commands import _COMMAND_MODULES, COMMANDS, invoked_command

_WHO_REGISTERS = r"""
import importlib, json, typer.main
from ldnsim.cli._app import app
from ldnsim.cli._commands import _COMMAND_MODULES
seen = set(typer.main.get_command(app).commands)
out = {name: None for name in seen}
for module in _COMMAND_MODULES:
    importlib.import_module(f"ldnsim.cli.{module}")
    now = set(typer.main.get_command(app).commands)
    out.update({name: module for name in now - seen})
    seen = now
print(json.dumps(out))
"""


def test_command_table_matches_what_the_modules_register():
    res = subprocess.run([sys.executable, "-c", _WHO_REGISTERS], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == COMMANDS


_IMPORTED = r"""
import runpy, sys
sys.argv = ['ldnsim', *sys.argv[1:]]
try:
    runpy.run_module('ldnsim', run_name='__main__')
except SystemExit:
    pass
sys.stderr.write('MODULES:' + ','.join(sorted(m for m in sys.modules if m.startswith('ldnsim.cli.'))))
"""


@pytest.mark.parametrize(
    "argv, module",
    [
        (["check", "oxycodone 5 mg", "--json"], "clinical"),
        (["--json-file", "x.json", "version", "--help"], None),
        (["drugs", "--help"], "pk"),
        (["nof1", "--help"], "nof1"),
    ],
)
def test_a_run_imports_only_the_invoked_commands_module(argv, module):
    res = subprocess.run([sys.executable, "-c", _IMPORTED, *argv], capture_output=True, text=True,
                         timeout=120)
    imported = {m.removeprefix("ldnsim.cli.") for m in res.stderr.rsplit("MODULES:", 1)[1].split(",")}
    commands = imported & set(_COMMAND_MODULES)
    if module is None:
        assert commands == set()
    elif module == "nof1":
        assert commands == {"nof1", "diary"}  # nof1 shares the diary's store options
    else:
        assert commands == {module}


def test_help_lists_every_command_with_its_help():
    env = {**os.environ, "COLUMNS": "200"}
    res = subprocess.run([sys.executable, "-m", "ldnsim", "--help"], capture_output=True, text=True,
                         timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    for name in COMMANDS:
        assert f" {name} " in res.stdout, name
    assert "Screen a medication list against LDN" in res.stdout  # check's help text, from its module


def test_unknown_command_still_suggests_a_close_match():
    res = subprocess.run([sys.executable, "-m", "ldnsim", "chek"], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "check" in res.stderr  # click's "Did you mean" needs every command registered


@pytest.mark.parametrize(
    "argv, name",
    [
        (["check", "x"], "check"),
        (["--json-file", "out.json", "hold", "--json"], "hold"),
        (["--json-file=out.json", "titrate"], "titrate"),
        (["--help"], None),
        ([], None),
    ],
)
def test_invoked_command(argv, name):
    assert invoked_command(argv) == name
