"""CEL conditions of playbooks, evaluated against one activation per decision."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import cel

from agent.context import RequestContext
from agent.profile import Profile
from agent.signals.models import Signals
from tools import Purpose

__all__ = ["build_activation", "compile_condition", "evaluate_conditions"]

_NO_RENEWAL = 9999


@functools.lru_cache(maxsize=2048)
def compile_condition(expr: str) -> Any:
    """The compiled program (cached); raises ValueError on a syntax error."""
    return cel.compile(expr)


def _json_with_floats(json_value: Any, python_value: Any) -> Any:
    """The JSON-mode dump, except that Decimals (strings in JSON mode) become floats."""
    if isinstance(python_value, Decimal):
        return float(python_value)
    if isinstance(json_value, dict) and isinstance(python_value, dict):
        return {k: _json_with_floats(v, python_value.get(k)) for k, v in json_value.items()}
    if isinstance(json_value, list) and isinstance(python_value, list | tuple):
        return [_json_with_floats(j, p) for j, p in zip(json_value, python_value, strict=False)]
    return json_value


def _days_to_renewal(profile: Profile, now: datetime) -> int:
    today = now.date()
    ends = [
        p.end_date
        for p in profile.products
        if p.end_date is not None
        and p.end_date >= today
        and p.status in ("active", "trial", "past_due")
        and p.kind in ("subscription", "policy")
    ]
    return (min(ends) - today).days if ends else _NO_RENEWAL


def build_activation(
    profile: Profile,
    signals: Signals,
    context: RequestContext,
    now: datetime,
    open_case_types: Iterable[str] = (),
) -> dict[str, object]:
    """What a condition can read: ``profile`` (plus derived keys), ``signals``, ``context``.

    ``profile.open_case_types`` holds the types of the profile's open cases and of
    ``open_case_types``: those that events and our own decisions opened."""
    tenure = profile.tenure_months(now)
    dumped = _json_with_floats(profile.model_dump(mode="json"), profile.model_dump())
    profile_data: dict[str, Any] = dumped | {
        "tenure_months": -1 if tenure is None else tenure,
        "open_case_types": sorted({*(c.type for c in profile.active_cases), *open_case_types}),
        "consented": {
            purpose.value: sorted(
                {c.channel.value for c in profile.consents if c.purpose == purpose and c.granted}
            )
            for purpose in Purpose
        },
        "days_to_renewal": _days_to_renewal(profile, now),
        "has_trial": any(p.status == "trial" for p in profile.products),
    }
    return {
        "profile": profile_data,
        "signals": signals.model_dump(mode="json"),
        "context": context.model_dump(mode="json"),
    }


def evaluate_conditions(
    exprs: Sequence[str], activation: Mapping[str, object] | cel.Context
) -> tuple[bool, list[str]]:
    """(all held, errors). Never raises: an error or a non-bool result is 'not met'.

    Pass a ``cel.Context`` to evaluate many playbooks against one activation: CEL converts a
    Context's variables once, a plain mapping on every expression."""
    if not isinstance(activation, cel.Context):
        activation = cel.Context(dict(activation))
    errors: list[str] = []
    for expr in exprs:
        try:
            result = compile_condition(expr).execute(activation)
        except Exception as exc:
            errors.append(f"{expr!r}: {exc}")
            return False, errors
        if not isinstance(result, bool):
            errors.append(f"{expr!r}: returned {type(result).__name__}, not bool")
            return False, errors
        if not result:
            return False, errors
    return True, errors
