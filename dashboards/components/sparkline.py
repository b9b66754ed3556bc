"""A sparkline as a tiny SVG image: no chart library, no JavaScript, a text alternative."""

from __future__ import annotations

from urllib.parse import quote

from dash import html

WIDTH, HEIGHT, PAD = 120, 32, 3


def sparkline(values: tuple[float, ...] | list[float], description: str) -> html.Img | None:
    """A line through the values, oldest left, with a dot on the latest; None under 2 values."""
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / (len(values) - 1)
    points = [(PAD + i * step, HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD))
              for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}"><polyline fill="none" stroke="#1a4480" '
           f'stroke-width="2" points="{path}"/><circle cx="{last_x:.1f}" cy="{last_y:.1f}" '
           f'r="3" fill="#1a4480"/></svg>')
    return html.Img(src="data:image/svg+xml," + quote(svg), alt=description, width=WIDTH,
                    height=HEIGHT, className="sparkline")
