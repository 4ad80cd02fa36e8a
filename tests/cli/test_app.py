"""The CLI contract shared by every command: one JSON document on stdout, errors on stderr, exit 2."""

import json
import subprocess
import sys

import pytest

from ldnsim.cli._app import emit_json
from ldnsim.errors import LdnsimError


def ldnsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ldnsim", *args], capture_output=True, text=True, timeout=120
    )


def test_version_json_is_one_document():
    res = ldnsim("version", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["disclaimer"].startswith("For research and education")


def test_unknown_command_is_exit_2_without_traceback():
    res = ldnsim("no-such-command")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr


def test_emit_json_refuses_nan(capsys):
    with pytest.raises(LdnsimError):
        emit_json({"x": float("nan")})


def test_every_command_takes_json():
    """design.md contract: every CLI command has --json."""
    import typer.main

    from ldnsim.cli import _register
    from ldnsim.cli._app import app

    _register()
    group = typer.main.get_command(app)
    names = sorted(group.commands)
    assert {"pk", "drugs", "simulate", "trial", "demo", "check", "hold", "restart", "titrate", "compound",
            "serve", "export-sbml", "docs"} <= set(names)
    def leaves(prefix, cmd):  # command groups (diary, nof1): every subcommand must take --json
        if hasattr(cmd, "commands"):
            for sub, c in cmd.commands.items():
                yield from leaves(f"{prefix} {sub}", c)
        else:
            yield prefix, cmd

    cmds = [leaf for n in names for leaf in leaves(n, group.commands[n])]
    missing = [n for n, c in cmds if not any("--json" in p.opts for p in c.params)]
    assert missing == []
    assert {"diary add", "diary import", "diary export", "diary delete", "diary list", "nof1 plan",
            "nof1 analyse"} <= {n for n, _ in cmds}
