"""Compiled functions on a real ``distributed`` cluster of worker processes.

One ``LocalCluster`` of two worker processes (one thread each, 300 MiB of memory each) is
started for the module and stopped after it. On it: value and gradient of the classic losses
equal to the NumPy backend's, a worker killed in the middle of a computation, and data
larger than the memory of all workers together.
"""

import os
import signal
import sys
import time

import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster

import symgrad as sg

from .dask_blocks import CLASSES, FEATURES, Maker, features, labels

RTOL, ATOL = 1e-9, 1e-12
WORKER_MEMORY = 300 * 2**20


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=WORKER_MEMORY,
        dashboard_address=None,
    )
    with Client(cluster) as client:
        yield client
    cluster.close()


def _agree(got, expected):
    for g, e in zip(got, expected):
        if isinstance(e, (list, tuple)):
            _agree(g, e)
        else:
            np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL)


def _on_cluster_and_numpy(client, outputs, inputs, arrays, chunks):
    """Compute ``outputs`` with the Dask backend on the cluster (inputs chunked as given)
    and with the NumPy backend, and check they agree."""
    f = sg.compile(outputs, inputs, backend="dask")
    lazy = f(*[a if c is None else da.from_array(a, chunks=c) for a, c in zip(arrays, chunks)])
    futures = client.compute(lazy)  # the active Client; one graph for all the outputs
    got = client.gather(futures)
    _agree(got, sg.compile(outputs, inputs)(*arrays))
    return got


def _softmax_regression():
    X = sg.var("X", ("n", "d"))
    Y = sg.var("Y", ("n", "k"))  # one-hot labels
    W = sg.var("W", ("d", "k"))
    Z = X @ W
    loss = (sg.logsumexp(Z, axis=1) - (Y * Z).sum(axis=1)).mean()
    return [X, Y, W], loss


def test_softmax_regression_over_a_chunked_batch(client):
    (X, Y, W), loss = _softmax_regression()
    rng = np.random.default_rng(0)
    Xv = rng.normal(size=(4000, 8))
    Yv = np.eye(3)[rng.integers(0, 3, size=4000)]
    Wv = rng.normal(size=(8, 3)) * 0.1
    _on_cluster_and_numpy(
        client, [loss, sg.grad(loss, W)], [X, Y, W], [Xv, Yv, Wv], [(1000, 8), (1000, 3), None]
    )
    # The graph holds Dask's and NumPy's functions only: workers need no symgrad.
    assert not any(client.run(lambda: "symgrad" in sys.modules).values())


def test_rosenbrock(client):
    x = sg.var("x", (10_000,))
    loss = (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()
    xv = np.random.default_rng(1).uniform(-2, 2, size=10_000)
    _on_cluster_and_numpy(client, [loss, sg.grad(loss, x)], [x], [xv], [2500])


def test_logsumexp(client):
    x = sg.var("x", ("n",))
    loss = sg.logsumexp(x)
    xv = np.random.default_rng(2).normal(size=10_000) * 10.0
    _on_cluster_and_numpy(client, [loss, sg.grad(loss, x)], [x], [xv], [2500])


def test_scan_over_the_rows_of_a_chunked_sequence(client):
    xs = sg.var("xs", ("t", 4))
    w = sg.var("w", (4, 4))
    final, hs = sg.scan(lambda h, x: (sg.tanh(h @ w + x), h.sum()), sg.const(np.zeros(4)), xs)
    loss = final.sum() + (hs**2).mean()
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(12, 4)), rng.normal(size=(4, 4)) * 0.5]
    _on_cluster_and_numpy(client, [loss, sg.grad(loss, [xs, w])], [xs, w], arrays, [(4, 4), None])


def test_while_loop_and_cond(client):
    a = sg.var("a", ("n",))
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    av = np.linspace(0.1, 1.0, 100)
    c_value, d_a = _on_cluster_and_numpy(client, [c, sg.grad(c.sum(), a)], [a], [av], [25])
    np.testing.assert_allclose(d_a, c_value / av, rtol=RTOL)  # df/da = f(a)/a


# --- data made block by block on the workers --------------------------------------------------


def _generated(blocks, rows, log=None, pause=0.0):
    """Features and labels of ``blocks`` blocks of ``rows`` rows, made where they are used
    (the features' blocks logged and paused as ``Maker`` says)."""
    return [
        da.map_blocks(
            Maker(make, rows, log if make is features else None, pause),
            chunks=((rows,) * blocks, (width,)),
            dtype=np.float64,
            meta=np.empty((0, 0)),
        )
        for make, width in ((features, FEATURES), (labels, CLASSES))
    ]


def _reference(blocks, rows, W):
    """Loss and gradient of the softmax regression with the NumPy backend, block by block."""
    (X, Y, Wv), _ = _softmax_regression()
    Z = X @ Wv
    total = (sg.logsumexp(Z, axis=1) - (Y * Z).sum(axis=1)).sum()
    f = sg.compile([total, sg.grad(total, Wv)], [X, Y, Wv])
    loss, grad = 0.0, np.zeros_like(W)
    for b in range(blocks):
        value, g = f(features(b, rows), labels(b, rows), W)
        loss, grad = loss + value, grad + g
    n = blocks * rows
    return loss / n, grad / n


def _making(name, dask_worker):
    """How many blocks of the array ``name`` the worker is making now."""
    return sum(ts.key[0] == name for ts in dask_worker.state.executing)


def test_a_worker_killed_mid_computation_is_recovered(client, tmp_path):
    (X, Y, W), loss = _softmax_regression()
    f = sg.compile([loss, sg.grad(loss, W)], [X, Y, W], backend="dask")
    blocks, rows = 8, 2000
    log = tmp_path / "blocks.log"
    Xd, Yd = _generated(blocks, rows, log, pause=0.3)  # a worker is killed mid-block
    Wv = np.random.default_rng(4).normal(size=(FEATURES, CLASSES)) * 0.1
    futures = client.compute(f(Xd, Yd, Wv))
    pids = client.run(os.getpid)
    # Wait until a few blocks are made and a worker is making one, then kill that worker.
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline, "the computation never got going"
        made = len(log.read_text().split()) if log.exists() else 0
        running = client.run(_making, Xd.name)
        making = [address for address, n in running.items() if n]
        if made >= 3 and making:
            break
        time.sleep(0.02)
    victim = making[0]
    os.kill(pids[victim], signal.SIGKILL)
    assert not all(future.done() for future in futures)
    value, grad = client.gather(futures)
    expected = _reference(blocks, rows, Wv)
    np.testing.assert_allclose(value, expected[0], rtol=RTOL)
    np.testing.assert_allclose(grad, expected[1], rtol=RTOL, atol=ATOL)
    made = sorted(int(line) for line in log.read_text().split())
    assert set(made) == set(range(blocks))
    assert len(made) > blocks  # the block the killed worker was making was made again


def test_data_larger_than_the_workers_memory_is_processed_whole(client):
    (X, Y, W), loss = _softmax_regression()
    f = sg.compile([loss, sg.grad(loss, W)], [X, Y, W], backend="dask")
    blocks, rows = 80, 2**16  # 8 MiB blocks of features: 640 MiB, and 160 MiB of labels
    Xd, Yd = _generated(blocks, rows)
    assert Xd.nbytes + Yd.nbytes > 2 * WORKER_MEMORY  # more than all workers hold
    Wv = np.random.default_rng(5).normal(size=(FEATURES, CLASSES)) * 0.1
    client.wait_for_workers(2, timeout=60)  # (if one was killed, its nanny restarts it)
    workers = set(client.scheduler_info()["workers"])
    value, grad = dask.compute(*f(Xd, Yd, Wv))  # on the active Client
    assert set(client.scheduler_info()["workers"]) == workers  # no worker died or restarted
    expected = _reference(blocks, rows, Wv)
    np.testing.assert_allclose(value, expected[0], rtol=RTOL)
    np.testing.assert_allclose(grad, expected[1], rtol=RTOL, atol=ATOL)
