"""Interval estimates for KPI figures: Wilson for rates, the normal approximation for means."""

from __future__ import annotations

import math

__all__ = ["Z95", "mean_interval", "wilson"]

Z95 = 1.959963984540054
"""The standard normal quantile of a two-sided 95% interval."""


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``k`` successes in ``n`` trials; None when ``n`` is 0.

    Unlike the normal approximation it stays inside [0, 1] and is sound for small ``n`` and
    for rates near 0 or 1, which KPI slices often are."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"k must be within 0..n, got k={k}, n={n}")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(
    total: float, squares: float, n: int, z: float = Z95
) -> tuple[float, float, float] | None:
    """(mean, low, high) from the sum and the sum of squares of ``n`` values; None when ``n``
    is 0. The interval is the mean ± z·s/√n with the sample standard deviation s (0 when n=1)."""
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return mean, mean, mean
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = z * math.sqrt(variance / n)
    return mean, mean - half, mean + half
