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
    """One series of counts as an inline SVG bar chart (empty string when there is nothing to draw)."""
    if not rows:
        return Markup("")
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(style=STYLE, title=title, show_legend=False, js=(), height=max(220, 42 * len(rows) + 80)
                 if horizontal else 300, width=640, print_values=True, margin=10, disable_xml_declaration=True)
    if horizontal:
        for label, count in reversed(rows):
            chart.add(label, [count])
        chart.show_legend, chart.print_labels = True, False
        chart.legend_at_bottom = True
    else:
        chart.x_labels = [label for label, _ in rows]
        chart.add(title, [count for _, count in rows])
    return Markup(chart.render(is_unicode=True))
