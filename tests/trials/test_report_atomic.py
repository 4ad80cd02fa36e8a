"""A report write interrupted half-way (a kill, a full disk) leaves the previous good report in place
(issue 16). The write is made to fail after half of the bytes: an in-place write would leave half a report."""

import pathlib

from ldnsim.cli import _register
from ldnsim.cli._app import run

_register()


def _half_then_die(self, data, *a, **kw):
    n = len(data) // 2
    with open(self, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data[:n])
    raise KeyboardInterrupt  # the user's Ctrl-C (or a kill) in the middle of the write


def test_interrupted_report_write_keeps_the_old_report(fake_model, capsys, tmp_path, monkeypatch):
    report = tmp_path / "R.html"
    args = ["trial", "younger2009", "--replicates", "1", "--report", str(report), "--json"]
    assert run(args) == 0
    good = report.read_text(encoding="utf-8")
    assert good.rstrip().endswith("</html>")
    monkeypatch.setattr(pathlib.Path, "write_text", _half_then_die)
    monkeypatch.setattr(pathlib.Path, "write_bytes", _half_then_die)
    assert run([*args[:-3], "--seed", "5", *args[-3:]]) == 130  # interrupted
    monkeypatch.undo()
    assert report.read_text(encoding="utf-8") == good  # untouched, not half-written
    assert [p.name for p in tmp_path.iterdir()] == ["R.html"]  # no temporary file left behind
    capsys.readouterr()


def test_missing_report_folder_is_exit_2_and_not_created(fake_model, capsys, tmp_path):
    target = tmp_path / "no" / "such" / "R.html"
    assert run(["trial", "younger2009", "--replicates", "1", "--report", str(target), "--json"]) == 2
    assert "--report" in capsys.readouterr().err and not (tmp_path / "no").exists()
