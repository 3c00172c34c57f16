"""Ctrl-C during fit stops between steps, never inside one.

While ``fit`` runs (in the main thread), SIGINT only raises a flag; the loop checks it
after each completed step and then raises KeyboardInterrupt, so the weights are always
those of a whole step and the model stays usable.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class DeferredInterrupt:
    """Records Ctrl-C; ``check()`` raises KeyboardInterrupt once a step is complete."""

    def __init__(self) -> None:
        self.requested = False

    def handler(self, signum, frame) -> None:
        self.requested = True

    def check(self, where: str) -> None:
        if self.requested:
            raise KeyboardInterrupt(f"fit interrupted {where}; the weights are those after that step.")


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[DeferredInterrupt]:
    guard = DeferredInterrupt()
    if threading.current_thread() is not threading.main_thread():
        yield guard  # signals reach only the main thread; nothing to defer
        return
    previous = signal.signal(signal.SIGINT, guard.handler)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGINT, previous)
    guard.check("between steps")  # a Ctrl-C that came after the last check still reaches the caller
