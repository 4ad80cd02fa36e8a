"""`ldnsim check` must not import the numerical stack it never uses (start-up; timed in bench/clinical.py)."""

import subprocess
import sys

PROBE = (
    "import runpy, sys; sys.argv = ['ldnsim', 'check', 'oxycodone 5 mg', 'DXM 30 mg', '--json']\n"
    "try:\n    runpy.run_module('ldnsim', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
    "heavy = ('numpy', 'xarray', 'pandas', 'scipy', 'matplotlib')\n"
    "sys.stderr.write('HEAVY:' + ','.join(sorted(m for m in heavy if m in sys.modules)))\n"
)


def test_check_imports_no_numerical_stack():
    res = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert '"highest_severity": "critical"' in res.stdout
    heavy = res.stderr.rsplit("HEAVY:", 1)[1].strip()
    assert heavy == "", f"check imported {heavy}"
