"""Emitted source on disk, so that Numba's ``cache=True`` can keep compiled kernels.

Numba caches a compiled function next to the file that defines it, keyed by that file's
path and modification time. Emitted source is therefore written to a file named by a hash
of its text, in a per-user directory, and imported from there: a second process that emits
the same source finds the same file, unchanged, and Numba loads the kernels compiled by the
first instead of compiling them again.

>>> import tempfile
>>> from symgrad.backends.numba_cache import load_source
>>> with tempfile.TemporaryDirectory() as d:
...     module = load_source("def twice(x):\\n    return 2 * x\\n", directory=d)
...     module.twice(21)
42

The directory is ``$SYMGRAD_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/symgrad/numba``,
else ``~/.cache/symgrad/numba``. Whatever is in it gets executed, so it must belong to the
user and be writable by nobody else: it is created with mode 0700 and checked before use.
A file is imported only if its content still hashes to its name. Files are written to a
temporary name and renamed into place, so concurrent writers never expose a half-written
file, and an existing file is never rewritten (which would change its modification time
and make Numba discard its cache). This module needs only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from types import ModuleType

__all__ = ["CacheDirectoryError", "cache_directory", "load_source", "source_key", "write_source"]

# Bump when the layout of emitted modules changes in a way the source text does not show.
_FORMAT = "1"
_PREFIX = "symgrad_numba_"


class CacheDirectoryError(OSError):
    """The kernel cache directory cannot be used safely (wrong owner, writable by others)."""


def cache_directory() -> Path:
    """The directory for emitted modules (not created here); see the module docstring."""
    explicit = os.environ.get("SYMGRAD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "symgrad" / "numba"


def _dependency_fingerprint() -> str:
    """What a cached kernel depends on besides its own text: the vectorizable math it calls
    (Numba's cache does not notice a change in a called function), and the versions."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).with_name("numba_math.py").read_bytes())
    digest.update(f"{_FORMAT}|{sys.version_info[:2]}".encode())
    return digest.hexdigest()


def source_key(source: str) -> str:
    """The hash that names a module: of its text and of what its kernels depend on."""
    digest = hashlib.sha256()
    digest.update(_dependency_fingerprint().encode())
    digest.update(b"\0")
    digest.update(source.encode("utf-8"))
    return digest.hexdigest()[:40]


def _checked_directory(directory: Path) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise CacheDirectoryError(f"kernel cache {directory} is not a directory")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CacheDirectoryError(
            f"kernel cache {directory} belongs to uid {info.st_uid}, not to this user "
            f"(uid {os.getuid()}); set SYMGRAD_CACHE_DIR to a directory of your own"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheDirectoryError(
            f"kernel cache {directory} is writable by other users "
            f"(mode {stat.S_IMODE(info.st_mode):o}); make it 0700 or set SYMGRAD_CACHE_DIR"
        )
    return directory


def write_source(source: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """Write ``source`` to ``<directory>/symgrad_numba_<key>.py`` unless it is there already,
    and return the path. Safe against concurrent writers (write, then atomic rename)."""
    folder = _checked_directory(Path(directory) if directory is not None else cache_directory())
    key = source_key(source)
    path = folder / f"{_PREFIX}{key}.py"
    data = source.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return path
    handle, temporary = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if path.exists() and path.read_bytes() == data:
            os.unlink(temporary)  # another process won the race; keep its file (and mtime)
        else:
            os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def load_source(source: str, directory: str | os.PathLike[str] | None = None) -> ModuleType:
    """Write ``source`` (see ``write_source``) and import it as a module.

    Importing the same source again in one process returns the module already imported.
    Functions in it decorated with ``numba.njit(cache=True)`` keep their compiled code in
    ``__pycache__`` beside the file, for the next process.
    """
    path = write_source(source, directory)
    name = path.stem
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__file__", None) == str(path):
        return module
    # Run the text that was hashed, not whatever the file holds by the time it is read again.
    data = path.read_bytes()
    if data != source.encode("utf-8"):
        raise CacheDirectoryError(f"{path} does not hold the source it is named after")
    module = ModuleType(name)
    module.__file__ = str(path)
    code = compile(data, str(path), "exec")
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module
