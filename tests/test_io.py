"""ldnsim._io: bounded reads of regular files only, bounded documents, atomic writes."""

import json
import os
import stat

import pytest

from ldnsim import _io
from ldnsim.errors import InputError


def test_regular_file_is_read(tmp_path):
    p = tmp_path / "a.json"
    p.write_text('{"x": [1, 2.5, "μ"]}', encoding="utf-8")
    assert _io.load_json_file(p, "fhir") == {"x": [1, 2.5, "μ"]}


@pytest.mark.parametrize("kind", ["fifo", "dir", "devzero"])
def test_special_files_are_refused_without_blocking(tmp_path, kind):
    if kind == "fifo":
        p = tmp_path / "f.json"
        os.mkfifo(p)  # opening it for reading would block forever without a writer
    elif kind == "dir":
        p = tmp_path
    else:
        p = "/dev/zero"  # reading it would never end
    with pytest.raises(InputError, match=r"^fhir: is (a directory|not a regular file)"):
        _io.read_text_bounded(p, "fhir")


def test_size_bound(tmp_path):
    p = tmp_path / "big.json"
    p.write_bytes(b" " * 101)
    with pytest.raises(InputError, match="too large"):
        _io.read_text_bounded(p, "fhir", max_bytes=100)
    assert _io.read_text_bounded(p, "fhir", max_bytes=101) == " " * 101


def test_invalid_utf8_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_bytes(b'{"x": "\xff"}')
    with pytest.raises(InputError, match="not valid UTF-8"):
        _io.load_json_file(p, "fhir")


@pytest.mark.parametrize(
    "text, match",
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),  # RecursionError inside json
        ("[" * 65 + "]" * 65, "nested too deeply"),  # parses, but deeper than MAX_DEPTH
        ('{"a": NaN}', "non-finite"),
        ('{"a": [1, Infinity]}', "non-finite"),
        ('{"a": "\\udcff"}', "not valid UTF-8"),  # a lone surrogate would break the UTF-8 response
        ("{", "not valid JSON"),
    ],
)
def test_json_bounds(text, match):
    with pytest.raises(InputError, match=match):
        _io.loads_json(text, "body")


def test_json_at_the_depth_limit_is_accepted():
    assert _io.loads_json("[" * 64 + "]" * 64, "body") is not None


@pytest.mark.parametrize(
    "text, match",
    [
        ("&a [*a]\n", "aliases"),  # self-referencing
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("a: &a [&b [*a, *a], *a]\n", "aliases"),  # exponential expansion ("billion laughs")
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ("x: .inf\n", r"x: must be a finite number"),
        ("x: [1, .nan]\n", r"x\[1\]: must be a finite number"),
        ("x: [\n", "not valid YAML at line"),
    ],
)
def test_yaml_bounds(text, match):
    with pytest.raises(InputError, match=match):
        _io.loads_yaml(text, "design")


def test_check_tree_refuses_cycles():
    a: list = []
    a.append(a)
    with pytest.raises(InputError, match="nested too deeply"):
        _io.check_tree(a, "doc")
    shared = [1]
    assert _io.check_tree({"a": shared, "b": shared}, "doc")  # shared, not cyclic: fine


@pytest.mark.parametrize(
    "name, suffixes, match",
    [
        ("missing/r.html", (".html",), "folder does not exist"),
        ("r.txt", (".html",), "unsupported file type"),
        ("sub", None, "is a folder"),
    ],
)
def test_check_output_path(tmp_path, name, suffixes, match):
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError, match=match):
        _io.check_output_path(tmp_path / name, "--report", suffixes)
    assert not (tmp_path / "missing").exists()  # never created


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    p = tmp_path / "r.json"
    p.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), _io.atomic_path(p) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert p.read_text(encoding="utf-8") == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["r.json"]  # no temporary left behind


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    p = tmp_path / "r.json"
    p.write_text("old", encoding="utf-8")
    os.chmod(p, 0o640)
    _io.atomic_write_text(p, json.dumps({"new": 1}))
    assert json.loads(p.read_text(encoding="utf-8")) == {"new": 1}
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640


def test_atomic_write_new_file_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        _io.atomic_write_text(tmp_path / "n.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "n.txt").st_mode) == 0o644
