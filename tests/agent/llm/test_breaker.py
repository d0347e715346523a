"""CircuitBreaker on a pinned clock: closed → open → half-open (one trial) → closed or open."""

from __future__ import annotations

import pytest

from agent.llm import CircuitBreaker


def state(breaker: CircuitBreaker) -> str:
    """The breaker's state, read fresh (mypy would keep a property narrowed across calls)."""
    return breaker.state


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_opens_after_consecutive_failures_only(clock: Clock) -> None:
    breaker = CircuitBreaker(3, 30.0, clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # resets the run
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) == "closed"
    assert breaker.allow()

    breaker.record_failure()

    assert state(breaker) == "open"
    assert not breaker.allow()


def test_half_open_after_cooldown_lets_exactly_one_trial_through(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 30.0, clock)
    breaker.record_failure()
    clock.now = 29.9
    assert state(breaker) == "open"
    assert not breaker.allow()

    clock.now = 30.0

    assert state(breaker) == "half_open"
    assert breaker.allow()
    assert not breaker.allow()  # the trial is in flight


@pytest.mark.parametrize(
    ("trial_succeeds", "state_after"),
    [
        pytest.param(True, "closed", id="success-closes"),
        pytest.param(False, "open", id="failure-reopens"),
    ],
)
def test_the_trial_call_decides(clock: Clock, trial_succeeds: bool, state_after: str) -> None:
    breaker = CircuitBreaker(2, 10.0, clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now = 10.0
    assert breaker.allow()

    if trial_succeeds:
        breaker.record_success()
    else:
        breaker.record_failure()

    assert state(breaker) == state_after
    if not trial_succeeds:  # a fresh cooldown, counted from the failed trial
        clock.now = 19.9
        assert not breaker.allow()
        clock.now = 20.0
        assert breaker.allow()


def test_a_cancelled_trial_frees_the_slot(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 5.0, clock)
    breaker.record_failure()
    clock.now = 5.0
    assert breaker.allow()

    breaker.release()

    assert breaker.allow()


@pytest.mark.parametrize(
    ("failures", "cooldown_s"),
    [pytest.param(0, 1.0, id="no-failures"), pytest.param(1, 0.0, id="no-cooldown")],
)
def test_rejects_nonsense_settings(failures: int, cooldown_s: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        CircuitBreaker(failures, cooldown_s)
