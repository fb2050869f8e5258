"""Stopping cleanly when asked: SIGTERM/SIGINT handlers and the clock of time-based checkpoints.

The first signal sets a flag. Inside `StopSignal.deferred()` (the trainer's loop) the work stops at the next
step boundary, after writing a checkpoint; elsewhere it stops at once, which loses nothing (every file is
written atomically, and unfinished evaluation is redone). A second signal stops at once.

"At once" means the handler raises `Stopped` wherever Python happens to be, and a C extension may swallow it and
raise its own error instead (matplotlib's Agg renderer turns it into "ValueError: Invalid bounding box").
`stop_on_signals` therefore reports any error that follows a handler's raise as the stop it is.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from genlab.errors import Stopped

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignal:
    """The stop flag the handlers set: `name` is the first signal's name, None until one arrives."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.raised: Stopped | None = None  # what a handler raised at once, to recognise it when disguised
        self._deferring = 0

    @property
    def requested(self) -> bool:
        return self.name is not None

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """While inside, the first signal only sets the flag; the caller stops at its next safe point."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1

    def handle(self, signum: int, frame=None) -> None:
        name = signal.Signals(signum).name
        if self.name is not None:
            self.raised = Stopped(f"second {name}: stopped at once, without a new checkpoint", exit_code=128 + signum)
            raise self.raised
        self.name = name
        if not self._deferring:
            self.raised = Stopped(f"{name} outside a training step: nothing to checkpoint")
            raise self.raised


@contextmanager
def stop_on_signals() -> Iterator[StopSignal]:
    """Route SIGTERM and SIGINT to a StopSignal for the duration; the previous handlers come back after.
    Off the main thread (where Python cannot install handlers) the flag simply never rises. An error other than
    `Stopped` that leaves the block after a handler raised is that stop, disguised by the code it interrupted:
    it leaves as the handler's `Stopped` (exit code 4, or 128 + signal), the disguise chained as its cause."""
    stop = StopSignal()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {s: signal.signal(s, stop.handle) for s in SIGNALS}
    try:
        yield stop
    except Exception as e:
        if stop.raised is None or isinstance(e, Stopped):
            raise
        raise Stopped(str(stop.raised), exit_code=stop.raised.exit_code) from e
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def wall_clock() -> float:
    """Seconds on this process's monotonic wall clock (what time-based checkpoints measure)."""
    return time.monotonic()


class CheckpointClock:
    """Due once `minutes` of this process's wall clock have passed since the last reset; 0 = never."""

    def __init__(self, minutes: float, clock: Callable[[], float] | None = None):
        self.minutes, self.clock = minutes, clock or wall_clock
        self.last = self.clock()

    def reset(self) -> None:
        self.last = self.clock()

    def due(self) -> bool:
        return self.minutes > 0 and self.clock() - self.last >= 60.0 * self.minutes
