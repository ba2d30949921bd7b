"""Monthly charts drawn on the server as inline SVG: no JavaScript, no CDN, and only SVG
presentation attributes (the CSP forbids style attributes). Every bar links to its records."""

from decimal import Decimal

from markupsafe import Markup, escape

from casework.plans.output import plain

WIDTH, HEIGHT = 360, 130
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 8, 20
MONTH_LABELS = ("4", "5", "6", "7", "8", "9", "10", "11", "12", "1", "2", "3")


def _num(value) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def monthly_chart(values, last_year, target, *, links=None, elapsed: int = 12, unit: str = "",
                  title: str = "", pace_start=None, pace_kind: str = "") -> Markup:
    """Bars: this year's month-end values (months not yet begun are left out); a grey line:
    last year; a dashed line: the target; a dotted line: the steady pace."""
    this_year = [_num(v) if i < elapsed else None for i, v in enumerate(values)]
    previous = [_num(v) for v in (last_year or [None] * 12)]
    goal = _num(target)
    numbers = [v for v in this_year + previous + [goal, _num(pace_start)] if v is not None]
    top = max(numbers) if numbers else 1.0
    top = top * 1.1 if top > 0 else 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / 12

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="{"group" if links else "img"}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#767676" stroke-width="1"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="9" text-anchor="end" fill="#4a4a4a">{escape(_short(top / 1.1))}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" font-size="9" text-anchor="end" fill="#4a4a4a">0</text>',
    ]
    for i, label in enumerate(MONTH_LABELS):
        parts.append(f'<text x="{LEFT + step * i + step / 2:.1f}" y="{HEIGHT - 6}" font-size="9" '
                     f'text-anchor="middle" fill="#4a4a4a">{label}</text>')
    for i, v in enumerate(this_year):
        if v is None:
            continue
        bar_top = y(max(v, 0))
        rect = (f'<rect x="{LEFT + step * i + 2:.1f}" y="{bar_top:.1f}" width="{step - 4:.1f}" '
                f'height="{TOP + plot_h - bar_top:.1f}" fill="#0b5394"><title>{MONTH_LABELS[i]}月末: '
                f'{escape(plain(values[i]))}{escape(unit)}</title></rect>')
        href = links[i] if links else None
        # A chart with links is a group (role="img" may not hold links); each bar link is named.
        name = f"{MONTH_LABELS[i]}月末: {plain(values[i])}{unit}の元になった記録"
        parts.append(f'<a href="{escape(href)}" aria-label="{escape(name)}">{rect}</a>' if href else rect)
    points = [f"{LEFT + step * i + step / 2:.1f},{y(v):.1f}" for i, v in enumerate(previous) if v is not None]
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#8a8a8a" stroke-width="2"><title>前年度</title></polyline>')
    elif points:
        x, yy = points[0].split(",")
        parts.append(f'<circle cx="{x}" cy="{yy}" r="3" fill="#8a8a8a"><title>前年度</title></circle>')
    if goal is not None:
        parts.append(f'<line x1="{LEFT}" y1="{y(goal):.1f}" x2="{WIDTH - RIGHT}" y2="{y(goal):.1f}" '
                     f'stroke="#a61b1b" stroke-width="1.5" stroke-dasharray="6 3"><title>目標 {escape(plain(target))}{escape(unit)}</title></line>')
        if pace_kind in ("annual", "cumulative"):
            start = 0.0 if pace_kind == "annual" else (_num(pace_start) or 0.0)
            parts.append(f'<line x1="{LEFT}" y1="{y(start):.1f}" x2="{WIDTH - RIGHT}" y2="{y(goal):.1f}" '
                         f'stroke="#8a5a00" stroke-width="1" stroke-dasharray="2 3"><title>目標への一定のペース</title></line>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")
