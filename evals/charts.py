"""Inline SVG charts for the HTML report: no scripts, no external assets, every label escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "histogram"]

_WIDTH = 640
_BAR_HEIGHT = 22
_LABEL_WIDTH = 190


def _color(share: float) -> str:
    if share >= 0.9:
        return "#2e7d32"
    if share >= 0.7:
        return "#f9a825"
    return "#c62828"


def bar_chart(rows: Sequence[tuple[str, float, str]], *, title: str) -> str:
    """Horizontal bars of shares (0..1): ``(label, share, note)`` per row."""
    height = 30 + _BAR_HEIGHT * len(rows) + 10
    span = _WIDTH - _LABEL_WIDTH - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}"><title>{escape(title)}</title>',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, share, note) in enumerate(rows):
        y = 30 + i * _BAR_HEIGHT
        width = max(0.0, min(1.0, share)) * span
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{span}" height="{_BAR_HEIGHT - 6}" '
            'fill="#eee"/>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{_BAR_HEIGHT - 6}" '
            f'fill="{_color(share)}"><title>{escape(label)}: {share:.1%} {escape(note)}</title>'
            "</rect>"
            f'<text x="{_LABEL_WIDTH + span + 6}" y="{y + 15}">{share:.0%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bins(values: Sequence[float], count: int) -> tuple[float, list[int]]:
    top = max(values) if values else 1.0
    step = (top / count) or 1.0
    counts = [0] * count
    for value in values:
        counts[min(int(value / step), count - 1)] += 1
    return step, counts


def histogram(values: Sequence[float], *, title: str, unit: str = "ms", bins: int = 12) -> str:
    """A histogram of ``values`` (from 0 to the largest) in ``bins`` equal bins."""
    height, plot_top, plot_bottom = 220, 30, 180
    step, counts = _bins(values, bins)
    tallest = max(counts, default=0) or 1
    bar = (_WIDTH - 60) / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}"><title>{escape(title)}</title>',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
        f'<line x1="40" y1="{plot_bottom}" x2="{_WIDTH - 20}" y2="{plot_bottom}" stroke="#999"/>',
    ]
    for i, count in enumerate(counts):
        h = (plot_bottom - plot_top) * count / tallest
        x = 40 + i * bar
        low, high = i * step, (i + 1) * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{plot_bottom - h:.1f}" width="{bar - 2:.1f}" '
            f'height="{h:.1f}" fill="#1565c0"><title>{low:.0f}-{high:.0f} {escape(unit)}: '
            f"{count}</title></rect>"
        )
        if count:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{plot_bottom - h - 4:.1f}" '
                f'text-anchor="middle">{count}</text>'
            )
        if i % 2 == 0:
            parts.append(f'<text x="{x:.1f}" y="{plot_bottom + 16}" class="axis">{low:.0f}</text>')
    parts.append(
        f'<text x="{_WIDTH - 20}" y="{plot_bottom + 34}" text-anchor="end" class="axis">'
        f"{escape(unit)} (n={len(values)})</text></svg>"
    )
    return "".join(parts)
