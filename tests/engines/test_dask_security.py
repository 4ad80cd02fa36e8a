"""The dask engine's local cluster (issue 16): localhost only, TLS with mutual authentication, no dashboard
unless asked — dask moves pickled code, so a reachable scheduler would let any local user run code."""

from __future__ import annotations

import numpy as np
import pytest

from ldnsim.engines import LdnModel, Problem, get_engine

distributed = pytest.importorskip("distributed")


def _http_ports(server) -> list[tuple[str, int]]:
    return [s.getsockname()[:2] for s in server.http_server._sockets.values()]


@pytest.mark.slow
def test_local_cluster_is_tls_on_localhost_without_dashboard():
    model = LdnModel("naltrexone 4.5 mg nightly", "fibromyalgia", days=3)
    pr = Problem(model, n_patients=3, seed=4)
    with get_engine("dask", n_workers=1, processes=True) as eng:
        client = eng.client
        sched = eng._cluster.scheduler
        assert sched.address.startswith("tls://127.0.0.1:")
        for w in eng._cluster.scheduler_info["workers"]:
            assert w.startswith("tls://127.0.0.1:")
        # the HTTP server dask always starts: localhost, not the well-known dashboard port
        for host, port in _http_ports(sched):
            assert host == "127.0.0.1" and port != 8787
        assert "distributed.http.scheduler.info" not in str(sched.http_application.applications)
        # a client without the cluster's certificate cannot connect
        with pytest.raises((OSError, TypeError, ValueError)):
            distributed.Client(sched.address, timeout=3)
        got = eng.run(pr)
        assert client.status == "running"
    np.testing.assert_allclose(got.pain_endpoints, get_engine("numpy").run(pr).pain_endpoints, rtol=1e-9)
