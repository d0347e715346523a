"""A circuit breaker: after enough failed calls in a row, skip the LLM for a while."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]

_log = logging.getLogger("nextbest.llm")


class CircuitBreaker:
    """Counts consecutive failed calls; at ``failures`` it opens for ``cooldown_s`` seconds.

    Closed: every call may go. Open: none may, until the cooldown has passed. Half-open: exactly
    one trial call may go; its success closes the breaker, its failure reopens it for another
    cooldown. The clock is injected so tests can pin it.

    Safe within one event loop: no method awaits, so each runs without interleaving. It is not
    meant to be shared across threads.
    """

    def __init__(
        self,
        failures: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str = "llm",
    ) -> None:
        if failures < 1:
            raise ValueError(f"failures must be at least 1, got {failures!r}")
        if cooldown_s <= 0:
            raise ValueError(f"cooldown_s must be positive, got {cooldown_s!r}")
        self.name = name
        self._threshold = failures
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._trial_in_flight or self._clock() - self._opened_at >= self._cooldown_s:
            return "half_open"
        return "open"

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def allow(self) -> bool:
        """May a call go now? In half-open state, True once: the caller makes the trial call."""
        state = self.state
        if state == "closed":
            return True
        if state == "open" or self._trial_in_flight:
            return False
        self._trial_in_flight = True
        return True

    def record_success(self) -> None:
        if self._opened_at is not None:
            _log.info(
                "LLM circuit breaker %s closed: a trial call succeeded",
                self.name,
                extra={"breaker": self.name, "state": "closed"},
            )
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_in_flight or self._failures >= self._threshold:
            self._opened_at = self._clock()
            _log.warning(
                "LLM circuit breaker %s open for %gs after %d failed call(s) in a row",
                self.name,
                self._cooldown_s,
                self._failures,
                extra={"breaker": self.name, "state": "open", "failures": self._failures},
            )
        self._trial_in_flight = False

    def release(self) -> None:
        """The allowed call ended with neither verdict (it was cancelled): free the trial slot."""
        self._trial_in_flight = False
