"""Value and gradient of a loss over more data than the workers' memory, on a Dask cluster.

    pip install -e '.[dask]'
    python benchmarks/scale_out.py                  # 10^7 to 10^9 elements of data
    python benchmarks/scale_out.py --sizes 1e7 1e8  # a quicker pass
    python benchmarks/scale_out.py --sizes 1e8 --rows 1024 8192 65536 524288  # block sizes

The loss is a softmax regression, mean(logsumexp(X W, axis=1) - sum(Y * (X W), axis=1)),
and the gradient is with respect to W. X has ``--features`` columns; its elements are the
size. X and the one-hot labels Y are made block by block (``--rows`` rows a block) where
they are used, so no process ever holds all of them: a ``distributed.LocalCluster`` of
``--workers`` worker processes, each limited to ``--memory``, computes the function that
``symgrad.compile(..., backend="dask")`` wrote.

The NumPy backend computes the same numbers (the same blocks, made beforehand into one
array) for the sizes whose data, with half as much again for the work, fits in the memory
given to the workers in all ("-" for the others); the Dask result is checked against it.
For each size the table gives the tasks of the (optimized) Dask graph, the time of one call
(for Dask: making the data, and the loss and gradient, in one computation), the throughput
in elements of X per second, Dask's time to make the data alone, and the largest memory
(RSS) of each worker, sampled every 0.1 s during the call.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import threading
import time

import dask
import dask.array as da
import numpy as np
import psutil
from distributed import Client, LocalCluster

import symgrad as sg

CLASSES = 10


class Blocks:
    """Makes block ``index`` of X (``rows`` x ``features`` uniform in [-1, 1)) or of the
    one-hot labels Y: the same numbers wherever and however often it is made."""

    def __init__(self, rows: int, features: int, labels: bool):
        self.rows, self.features, self.labels = rows, features, labels

    def __call__(self, block_info=None) -> np.ndarray:
        index = block_info[None]["chunk-location"][0]
        return self.make(index)

    def make(self, index: int) -> np.ndarray:
        if self.labels:
            classes = np.random.default_rng([index, 1]).integers(0, CLASSES, self.rows)
            return np.eye(CLASSES)[classes]
        rng = np.random.default_rng([index, 0])
        return rng.random((self.rows, self.features)) * 2.0 - 1.0


def loss_and_gradient():
    X = sg.var("X", ("n", "d"))
    Y = sg.var("Y", ("n", "k"))
    W = sg.var("W", ("d", "k"))
    Z = X @ W
    loss = (sg.logsumexp(Z, axis=1) - (Y * Z).sum(axis=1)).mean()
    return [loss, sg.grad(loss, W)], [X, Y, W]


def lazy_data(blocks: int, rows: int, features: int) -> tuple[da.Array, da.Array]:
    return tuple(
        da.map_blocks(
            Blocks(rows, features, labels),
            chunks=((rows,) * blocks, (CLASSES if labels else features,)),
            dtype=np.float64,
            meta=np.empty((0, 0)),
        )
        for labels in (False, True)
    )


def in_one_array(blocks: int, rows: int, features: int) -> tuple[np.ndarray, np.ndarray]:
    """The same X and Y, made block by block into arrays in this process."""
    arrays = []
    for labels, width in ((False, features), (True, CLASSES)):
        maker = Blocks(rows, features, labels)
        array = np.empty((blocks * rows, width))
        for b in range(blocks):
            array[b * rows : (b + 1) * rows] = maker.make(b)
        arrays.append(array)
    return arrays[0], arrays[1]


class PeakMemory:
    """The largest RSS of each worker while it is open, sampled every ``period`` seconds."""

    def __init__(self, client: Client, period: float = 0.1):
        self.client, self.period = client, period
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for worker, rss in self.client.run(_rss).items():
                self.peak[worker] = max(self.peak.get(worker, 0), rss)
            self._stop.wait(self.period)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def merged_graph(collections: tuple) -> dict:
    """The tasks of several Dask collections (those they share once)."""
    graph: dict = {}
    for collection in collections:
        graph.update(collection.__dask_graph__())
    return graph


def _rss() -> int:
    return psutil.Process().memory_info().rss


def parse_size(text: str) -> int:
    return int(float(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", nargs="+", type=parse_size, default=[10**7, 10**8, 25 * 10**7, 10**9]
    )
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--rows", nargs="+", type=int, default=[2**16], help="rows a block")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="2GiB", help="memory limit of each worker")
    args = parser.parse_args()

    outputs, inputs = loss_and_gradient()
    on_dask = sg.compile(outputs, inputs, backend="dask")
    on_numpy = sg.compile(outputs, inputs)
    W = np.random.default_rng(7).normal(size=(args.features, CLASSES)) * 0.1
    limit = dask.utils.parse_bytes(args.memory)
    in_memory = args.workers * limit  # the NumPy backend runs where its data fits in this

    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        memory_limit=limit,
        dashboard_address=None,
    )
    client = Client(cluster)
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, Dask {dask.__version__}; {args.workers} workers of 1 thread "
        f"and {args.memory}; X of {args.features} columns"
    )
    header = (
        "| elements of X | data GiB | rows a block | tasks | NumPy s | NumPy M/s | Dask s "
        "| Dask M/s | Dask / NumPy | making the data s | peak MiB per worker |"
    )
    print(header, "|---" * (header.count("|") - 1) + "|", sep="\n", flush=True)
    try:
        for size, rows in itertools.product(args.sizes, args.rows):
            blocks = max(1, round(size / (rows * args.features)))
            elements = blocks * rows * args.features
            data_bytes = elements * 8 * (1 + CLASSES / args.features)
            X, Y = lazy_data(blocks, rows, args.features)
            tasks = len(merged_graph(dask.optimize(*on_dask(X, Y, W))))
            start = time.perf_counter()
            dask.compute(X.sum(), Y.sum())
            making = time.perf_counter() - start
            with PeakMemory(client) as memory:
                start = time.perf_counter()
                loss, grad = dask.compute(*on_dask(X, Y, W))
                seconds = time.perf_counter() - start
            peaks = "/".join(f"{rss / 2**20:.0f}" for rss in memory.peak.values())
            numpy_s = numpy_rate = ratio = "-"  # (the data does not fit)
            if data_bytes * 1.5 <= in_memory:
                Xn, Yn = in_one_array(blocks, rows, args.features)
                start = time.perf_counter()
                expected = on_numpy(Xn, Yn, W)
                numpy_seconds = time.perf_counter() - start
                del Xn, Yn
                np.testing.assert_allclose(loss, expected[0], rtol=1e-9)
                np.testing.assert_allclose(grad, expected[1], rtol=1e-9, atol=1e-12)
                numpy_s = f"{numpy_seconds:.2f}"
                numpy_rate = f"{elements / numpy_seconds / 1e6:.0f}"
                ratio = f"{seconds / numpy_seconds:.2f}"
            print(
                f"| {elements:.2e} | {data_bytes / 2**30:.2f} | {rows} | {tasks} | {numpy_s} "
                f"| {numpy_rate} "
                f"| {seconds:.2f} | {elements / seconds / 1e6:.0f} | {ratio} | {making:.2f} "
                f"| {peaks} (limit {limit / 2**20:.0f}) |",
                flush=True,
            )
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
