"""A time limit for work that may run long, such as SymPy's expansion of a big expression.

In the main thread of a POSIX process the limit is hard: a timer signal interrupts the work
between two Python bytecodes (a single long C call, such as one huge integer power, still
runs to its end). Elsewhere (other threads, Windows) there is no signal to use, and the work
runs unlimited.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeBudgetExceeded(TimeoutError):
    """The work took longer than its budget."""


def can_interrupt() -> bool:
    """True where :func:`time_budget` can stop work that runs too long."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimeBudgetExceeded` in the block if it runs longer than ``seconds``.

    ``None`` means no limit. Nested budgets restore the outer one when they end.

    >>> import time
    >>> from symgrad.check.time_budget import TimeBudgetExceeded, time_budget
    >>> try:
    ...     with time_budget(0.05):
    ...         while True:
    ...             time.sleep(0.001)
    ... except TimeBudgetExceeded as stop:
    ...     print(stop)
    took longer than 0.05 s
    """
    if seconds is None or not can_interrupt():
        yield
        return
    if seconds <= 0:
        raise TimeBudgetExceeded(f"took longer than {seconds:g} s")

    def expire(signum: int, frame: object) -> None:
        raise TimeBudgetExceeded(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        remaining, _ = signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # an enclosing budget: give it back what is left of it
            used = seconds - remaining
            signal.setitimer(signal.ITIMER_REAL, max(outer - used, 1e-3))
