"""Keeping a training step's memory from one batch to the next (glibc's malloc, on Linux).

Each batch of a fit allocates and frees the same arrays: patches, activations, their gradients, tens of MB for
a convnet. glibc's malloc serves an array above its mmap threshold from fresh pages of the system, and hands
the free top of its heap back once that exceeds its trim threshold; both thresholds follow the largest array
freed so far, so a step whose arrays are all freed at its end gives most of them back, and the next batch
pays a page fault for every 4 KiB it touches again. On 2 cores that was about 0.4 s of a 2.5 s epoch of the
keras.io MNIST convnet (about 200,000 faults an epoch, 30,000 with the settings below).

So while a fit runs, nnlite asks malloc to keep up to ``KEEP`` bytes of free heap and to serve arrays up to
``LARGEST`` from its heap:

    mallopt(M_TRIM_THRESHOLD, KEEP), mallopt(M_MMAP_THRESHOLD, LARGEST)

When the last running fit ends, the trim threshold goes back to glibc's default and ``malloc_trim(0)`` returns
the kept memory to the system. The mmap threshold stays at ``LARGEST`` (glibc's own value after any array of
32 MiB has been freed; setting either threshold stops glibc adjusting them). Elsewhere (macOS, Windows, musl)
this does nothing, as it does with ``NNLITE_HEAP=off``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers in glibc's malloc.h
KEEP = 256 * 2**20  # free heap kept while fitting
LARGEST = 32 * 2**20  # arrays up to this size come from the heap (glibc's largest mmap threshold on 64-bit)
DEFAULT_TRIM = 128 * 2**10  # glibc's default trim threshold


def _libc() -> Any:
    """glibc's C library through ctypes, or None on another C library or platform."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        import ctypes

        return ctypes.CDLL("libc.so.6")
    except (AttributeError, ValueError, OSError):  # no confstr (Windows), no such name, no such library
        return None


class _Keeping:
    """How many fits are running; the first to start sets the thresholds, the last to end restores them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.libc: Any = None

    def start(self) -> None:
        with self.lock:
            if self.running == 0:
                self.libc = _libc()
                if self.libc is not None:
                    self.libc.mallopt(M_MMAP_THRESHOLD, LARGEST)
                    self.libc.mallopt(M_TRIM_THRESHOLD, KEEP)
            self.running += 1

    def end(self) -> None:
        with self.lock:
            self.running -= 1
            if self.running == 0 and self.libc is not None:
                self.libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM)
                self.libc.malloc_trim(0)
                self.libc = None


_KEEPING = _Keeping()


class KeptHeap:
    """A context manager for one fit: freed memory stays in the process until the last fit ends (see the
    module). Nothing happens with ``NNLITE_HEAP=off`` or without glibc."""

    def __init__(self) -> None:
        setting = os.environ.get("NNLITE_HEAP", "on").strip().lower()
        if setting not in ("on", "off"):
            raise ValueError(f"NNLITE_HEAP must be 'on' or 'off'; got {setting!r}.")
        self.active = setting == "on"

    def __enter__(self) -> KeptHeap:
        if self.active:
            _KEEPING.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            _KEEPING.end()
