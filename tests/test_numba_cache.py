"""Emitted source in the per-user kernel cache (symgrad.backends.numba_cache)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from symgrad.backends import numba_cache
from symgrad.backends.numba_cache import CacheDirectoryError, load_source, source_key, write_source

SOURCE = "def twice(x):\n    return 2 * x\n"


def test_directory_honours_overrides(monkeypatch, tmp_path):
    monkeypatch.delenv("SYMGRAD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert numba_cache.cache_directory() == tmp_path / "xdg" / "symgrad" / "numba"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert numba_cache.cache_directory() == tmp_path / "home" / ".cache" / "symgrad" / "numba"
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(tmp_path / "mine"))
    assert numba_cache.cache_directory() == tmp_path / "mine"


def test_file_is_named_by_the_source_hash(tmp_path):
    path = write_source(SOURCE, tmp_path)
    assert path.name == f"symgrad_numba_{source_key(SOURCE)}.py"
    assert path.read_text() == SOURCE
    assert source_key(SOURCE) != source_key(SOURCE + "\n")
    assert set(source_key(SOURCE)) <= set("0123456789abcdef")  # nothing from the source


def test_existing_file_is_not_rewritten(tmp_path):
    # Rewriting would change the modification time, which invalidates Numba's cache.
    path = write_source(SOURCE, tmp_path)
    stamp = path.stat().st_mtime_ns
    time.sleep(0.01)
    assert write_source(SOURCE, tmp_path) == path
    assert path.stat().st_mtime_ns == stamp


def test_damaged_file_is_replaced(tmp_path):
    path = write_source(SOURCE, tmp_path)
    path.write_text("raise SystemExit('not the emitted source')\n")
    module = load_source(SOURCE, tmp_path)
    assert module.twice(4) == 8
    assert path.read_text() == SOURCE


def test_concurrent_writers_leave_one_whole_file(tmp_path):
    source = "VALUE = " + repr("x" * 200_000) + "\n"
    errors = []

    def write():
        try:
            write_source(source, tmp_path)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"symgrad_numba_{source_key(source)}.py"], files  # no temporaries left
    assert (tmp_path / files[0]).read_text() == source


def test_load_imports_once_per_process(tmp_path):
    first = load_source(SOURCE, tmp_path)
    assert first.twice(21) == 42
    assert load_source(SOURCE, tmp_path) is first
    assert first.__file__ == str(write_source(SOURCE, tmp_path))


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_directory_writable_by_others_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(CacheDirectoryError, match="writable by other users"):
        write_source(SOURCE, shared)


def test_new_directory_is_private(tmp_path):
    directory = tmp_path / "a" / "b"
    write_source(SOURCE, directory)
    assert directory.stat().st_mode & 0o077 == 0


KERNEL_SOURCE = textwrap.dedent(
    """
    import numpy as np
    from numba import njit, prange
    from symgrad.backends import numba_math as vm

    @njit(parallel=True, cache=True, fastmath={"reassoc", "contract"}, error_model="numpy")
    def kernel(x):
        total = 0.0
        for i in prange(x.shape[0]):
            total += vm.sin(x[i]) * vm.exp(x[i])
        return total
    """
)

RUN_KERNEL = textwrap.dedent(
    """
    import json, sys, time
    start = time.perf_counter()
    import numpy as np
    from symgrad.backends.numba_cache import load_source
    module = load_source(sys.argv[1], sys.argv[2])
    value = module.kernel(np.linspace(0.0, 1.0, 1000))
    elapsed = time.perf_counter() - start
    print(json.dumps({"value": value, "seconds": elapsed,
                      "from_cache": bool(module.kernel.stats.cache_hits)}))
    """
)


def _run_in_fresh_process(directory):
    done = subprocess.run(
        [sys.executable, "-c", RUN_KERNEL, KERNEL_SOURCE, str(directory)],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    return json.loads(done.stdout)


def test_second_process_loads_compiled_kernels_from_disk(tmp_path):
    pytest.importorskip("numba", reason="numba is not installed (pip install 'symgrad[numba]')")
    import numpy as np

    cold = _run_in_fresh_process(tmp_path)
    warm = _run_in_fresh_process(tmp_path)
    assert not cold["from_cache"] and warm["from_cache"], (cold, warm)
    x = np.linspace(0.0, 1.0, 1000)
    assert warm["value"] == pytest.approx(float(np.sum(np.sin(x) * np.exp(x))), rel=1e-12)
    assert any(p.suffix == ".nbc" for p in (tmp_path / "__pycache__").iterdir())
