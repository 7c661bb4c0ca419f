"""The dashboard's charts, drawn server-side as SVG by pygal (no JavaScript, readable on a phone) in the
console's font and colours; labels are the programme's own Thai names, values are counts."""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

STYLE = Style(background="white", plot_background="white", font_family="Sarabun, sans-serif",
              colors=("#06c755", "#1f5fa8", "#f59e0b", "#dc2626", "#6b7280"), label_font_size=14,
              major_label_font_size=14, value_font_size=13, title_font_size=16, legend_font_size=14)


def bar_chart(title: str, rows: Sequence[tuple[str, int]], horizontal: bool = False) -> Markup:
    """One series of counts as an inline SVG bar chart, labels on the axis (empty when there is nothing)."""
    if not rows:
        return Markup("")
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(style=STYLE, title=title, show_legend=False, js=(), width=640, margin=10, print_values=True,
                 height=max(240, 34 * len(rows) + 90) if horizontal else 320, truncate_label=-1,
                 x_label_rotation=0 if horizontal else 20, min_scale=1, max_scale=6,
                 disable_xml_declaration=True)
    ordered = list(reversed(rows)) if horizontal else list(rows)  # the largest at the top of a horizontal chart
    chart.x_labels = [label for label, _ in ordered]
    chart.add(title, [count for _, count in ordered])
    return Markup(chart.render(is_unicode=True))
