"""The dask engine's local cluster (issue 16): localhost only, TLS with mutual authentication, no dashboard
unless asked — dask moves pickled code, so a reachable scheduler would let any local user run code.

Run in a fresh interpreter (a LocalCluster with worker processes inside a long pytest process that has
already run other clusters and CLI commands stalled once; the subprocess keeps this test independent and
its timeout turns any hang into a failure)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("distributed")

SCRIPT = r"""
import numpy as np
from ldnsim.engines import LdnModel, Problem, get_engine

model = LdnModel("naltrexone 4.5 mg nightly", "fibromyalgia", days=3)
pr = Problem(model, n_patients=3, seed=4)
with get_engine("dask", n_workers=1, processes=True) as eng:
    client = eng.client
    sched = eng._cluster.scheduler
    assert sched.address.startswith("tls://127.0.0.1:"), sched.address
    for w in eng._cluster.scheduler_info["workers"]:
        assert w.startswith("tls://127.0.0.1:"), w
    # the HTTP server dask always starts: localhost, not the well-known dashboard port, health route only
    for s in sched.http_server._sockets.values():
        host, port = s.getsockname()[:2]
        assert host == "127.0.0.1" and port != 8787, (host, port)
    assert "scheduler.info" not in str(sched.http_application.applications)
    # a client without the cluster's certificate is refused (TLS 1.3 reports it at the first read)
    import socket, ssl
    host, port = sched.address[len("tls://"):].rsplit(":", 1)
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        try:
            with ctx.wrap_socket(raw) as tls:
                tls.sendall(b"\0" * 16)
                assert tls.recv(1) == b"", "an unauthenticated client was answered"
        except (ssl.SSLError, ConnectionError, TimeoutError):
            pass
    got = eng.run(pr)
np.testing.assert_allclose(got.pain_endpoints, get_engine("numpy").run(pr).pain_endpoints, rtol=1e-9)
print("OK")
"""


@pytest.mark.slow
def test_local_cluster_is_tls_on_localhost_without_dashboard():
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240)
    assert res.returncode == 0 and res.stdout.strip().endswith("OK"), res.stdout[-2000:] + res.stderr[-3000:]
