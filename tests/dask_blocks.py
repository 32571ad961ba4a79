"""Data made block by block where it is used: by the workers of a cluster, or again in the
test process for a reference. Kept apart from the tests so that a worker unpickling a block
maker imports numpy only, not symgrad."""

import time

import numpy as np

FEATURES, CLASSES = 16, 4


def features(index, rows):
    """Block ``index`` of the features: the same numbers wherever it is made."""
    return np.random.default_rng(index).uniform(-1.0, 1.0, size=(rows, FEATURES))


def labels(index, rows):
    """Block ``index`` of one-hot labels."""
    return np.eye(CLASSES)[np.random.default_rng(index + 10**6).integers(0, CLASSES, rows)]


class Maker:
    """Makes the blocks of a Dask array of ``rows``-row blocks with ``make`` (for
    ``da.map_blocks``); with a ``log``, it writes a line there each time it starts a block,
    and sleeps ``pause`` seconds before making it."""

    def __init__(self, make, rows, log=None, pause=0.0):
        self.make, self.rows, self.log, self.pause = make, rows, log, pause

    def __call__(self, block_info=None):
        index = block_info[None]["chunk-location"][0]
        if self.log is not None:
            with open(self.log, "a") as file:
                file.write(f"{index}\n")
        if self.pause:
            time.sleep(self.pause)
        return self.make(index, self.rows)
