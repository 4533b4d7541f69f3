"""A wall-clock limit for a block of code, for the checks and benchmarks that call SymPy.

SymPy's ``simplify`` and matrix-expression derivatives have no time bound of their own; the
randomized tests, the long run and the derivation benchmark each stop them with this.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["time_limit"]


@contextmanager
def time_limit(seconds: float, error: Callable[[str], BaseException]) -> Iterator[None]:
    """Raise ``error(message)`` if the block runs longer than ``seconds``.

    Uses SIGALRM, so it works in the main thread on POSIX; elsewhere, or for ``seconds``
    ≤ 0, the block runs without a limit.
    """
    if seconds <= 0 or not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise error(f"over the {seconds:g} s deadline")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
