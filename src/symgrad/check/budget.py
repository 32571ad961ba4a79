"""Running a pure-Python computation (SymPy's) with a time limit that really stops it.

SymPy cannot be interrupted from another thread. In the main thread, on POSIX, a timer
signal raises an exception inside the computation (every 50 ms after the limit, in case
something catches the first one): this costs microseconds. Elsewhere the computation runs in
a forked child process, which is killed at the limit (a few milliseconds to start). Without
either, it runs in a thread that is abandoned at the limit.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: How often the timer signal repeats once the limit has passed.
_REPEAT = 0.05


class OutOfTime(Exception):
    """The computation did not finish within its time limit."""


class _Alarm(BaseException):
    """Raised inside the computation by the timer signal (a BaseException, so that code
    catching ``Exception`` does not swallow it)."""


def run(fn: Callable[[], T], timeout: float | None) -> T:
    """``fn()``, or :class:`OutOfTime` if it takes longer than ``timeout`` seconds (no limit
    if ``None``). Exceptions of ``fn`` propagate (from a child process, as the same type
    where it can be pickled, else as a RuntimeError naming it)."""
    if timeout is None:
        return fn()
    if timeout <= 0:
        raise OutOfTime(f"no time left (timeout={timeout:g} s)")
    if _can_use_signal():
        return _with_signal(fn, timeout)
    if hasattr(os, "fork"):
        return _in_child(fn, timeout)
    return _in_thread(fn, timeout)


def _can_use_signal() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer of someone else's
    )


def _guarded(fn: Callable[[], T]) -> T:
    """``fn()``; the timer signal raises only inside this call (found by its frame), never
    in the code that sets up or removes the timer."""
    return fn()


def _with_signal(fn: Callable[[], T], timeout: float) -> T:
    def alarm(signum: int, frame: Any) -> None:
        while frame is not None:
            if frame.f_code is _guarded.__code__:
                raise _Alarm
            frame = frame.f_back

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout, _REPEAT)
        return _guarded(fn)
    except _Alarm:
        raise OutOfTime(f"it took longer than {timeout:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_child(fn: Callable[[], T], timeout: float) -> T:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send the pickled outcome, leave without cleanup
        status = 0
        try:
            os.close(read)
            try:
                outcome: tuple[str, Any] = ("value", fn())
            except BaseException as error:  # noqa: BLE001 - every failure goes to the parent
                outcome = ("error", error)
            try:
                data = pickle.dumps(outcome)
            except Exception:  # noqa: BLE001 - an unpicklable result or exception
                data = pickle.dumps(("error", RuntimeError(repr(outcome[1])[:500])))
            view = memoryview(data)
            while view:
                view = view[os.write(write, view) :]
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write)
    try:
        received = _read_until(read, time.monotonic() + timeout)
    finally:
        os.close(read)
        if received is None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if received is None:
        raise OutOfTime(f"it took longer than {timeout:g} s")
    if not received:
        raise RuntimeError("the child process computing the result died")
    kind, payload = pickle.loads(received)
    if kind == "error":
        raise payload
    return payload


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to ``fd`` until it is closed, or ``None`` at the deadline."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _in_thread(fn: Callable[[], T], timeout: float) -> T:  # pragma: no cover - no fork
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(("value", fn()))
        except BaseException as error:  # noqa: BLE001
            outcome.append(("error", error))

    worker = threading.Thread(target=target, daemon=True, name="symgrad-budget")
    worker.start()
    worker.join(timeout)
    if not outcome:  # the thread runs on in the background until it is done
        raise OutOfTime(f"it took longer than {timeout:g} s")
    kind, payload = outcome[0]
    if kind == "error":
        raise payload
    return payload
