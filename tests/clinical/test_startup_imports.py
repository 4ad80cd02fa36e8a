"""`ldnsim check` must not import the numerical stack it never uses (start-up; timed in bench/clinical.py)."""

import subprocess
import sys

PROBE = (
    "import runpy, sys; sys.argv = ['ldnsim', 'check', 'oxycodone 5 mg', 'DXM 30 mg', '--json']\n"
    "try:\n    runpy.run_module('ldnsim', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
    "heavy = ('numpy', 'xarray', 'pandas', 'scipy', 'matplotlib', 'jax', 'numpyro', 'sqlalchemy')\n"
    "sys.stderr.write('HEAVY:' + ','.join(sorted(m for m in heavy if m in sys.modules)))\n"
)


def test_check_imports_no_numerical_stack():
    res = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert '"highest_severity": "critical"' in res.stdout
    heavy = res.stderr.rsplit("HEAVY:", 1)[1].strip()
    assert heavy == "", f"check imported {heavy}"


def test_vocabulary_json_copy_is_the_validated_document(tmp_path, monkeypatch):
    from ldnsim.clinical import _doccache
    from ldnsim.data import load_yaml

    monkeypatch.setenv("LDNSIM_CACHE_DIR", str(tmp_path))
    _doccache.cached_doc.cache_clear()
    first = _doccache.cached_doc("clinical/vocabulary.yaml")  # writes the copy
    copies = list(tmp_path.glob("clinical_vocabulary.yaml.*.json"))
    assert len(copies) == 1 and first == load_yaml("clinical/vocabulary.yaml")
    _doccache.cached_doc.cache_clear()
    assert _doccache.cached_doc("clinical/vocabulary.yaml") == first  # read back from the copy
    # a copy whose hash does not match the data file is never used
    copies[0].rename(tmp_path / "clinical_vocabulary.yaml.000000000000000000000000.json")
    _doccache.cached_doc.cache_clear()
    assert _doccache.cached_doc("clinical/vocabulary.yaml") == first
    monkeypatch.setenv("LDNSIM_CACHE_DIR", "off")
    _doccache.cached_doc.cache_clear()
    assert _doccache.cached_doc("clinical/vocabulary.yaml") == first
    _doccache.cached_doc.cache_clear()


HOLD_PROBE = (
    "import runpy, sys\n"
    "sys.argv = ['ldnsim', 'hold', '--procedure-time', '2030-01-15T08:00', '--dose', '4.5mg', '--json']\n"
    "try:\n    runpy.run_module('ldnsim', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
    "heavy = ('xarray', 'pandas', 'scipy', 'matplotlib', 'jax', 'numpyro', 'sqlalchemy', 'dask')\n"
    "sys.stderr.write('HEAVY:' + ','.join(sorted(m for m in heavy if m in sys.modules)))\n"
)


def test_hold_runs_the_pk_model_without_xarray_or_pandas():
    """hold/restart/acute-pain need the PK model's numbers, not its labelled Dataset (simulate_pk_arrays):
    importing xarray + pandas would cost ~0.4 s of start-up (bench/clinical.py, cli_hold_ms)."""
    res = subprocess.run([sys.executable, "-c", HOLD_PROBE], capture_output=True, text=True)
    assert '"recommendation"' in res.stdout, res.stderr[-2000:]
    heavy = res.stderr.rsplit("HEAVY:", 1)[1].strip()
    assert heavy == "", f"hold imported {heavy}"
