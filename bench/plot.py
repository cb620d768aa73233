#!/usr/bin/env python3
"""Draws the connection sweep of one bench/run.sh run as an SVG, by hand (standard library only).

plot.py RESULTS OUT.svg

Two panels side by side, req/s and p99 latency against the connection count (log2 axis), one line
per target, a legend under them. RESULTS is the record file of bench/lib.sh; the sweep's records
are the `run` records of group `sweep`.
"""

import math
import sys
from xml.sax.saxutils import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
DASHES = ["", "6,3", "2,3", "8,3,2,3", "", "4,4"]
W, H = 920, 440
PANEL_W, PANEL_H = 360, 280
TOP, LEFT = 50, 80


def load(path):
    points = {}
    labels = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            kind, *fields = line.rstrip("\n").split("\t")
            rec = dict(field.partition("=")[::2] for field in fields)
            if kind == "run" and rec.get("group") == "sweep":
                labels[rec["target"]] = rec["label"]
                points.setdefault(rec["target"], []).append(
                    (int(rec["connections"]), float(rec["rps"]), float(rec["p99"])))
    return labels, {t: sorted(p) for t, p in points.items()}


def nice_max(v):
    """A round number at or above v for the top of an axis."""
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        if step * exp >= v:
            return step * exp
    return 10 * exp


def panel(x0, title, ylabel, conns, series, index):
    """One panel: axes, grid, ticks, labels and a polyline per series (value at `index`)."""
    out = []
    lo, hi = math.log2(min(conns)), math.log2(max(conns))
    span = (hi - lo) or 1
    ymax = nice_max(max((p[index] for pts in series.values() for p in pts), default=1) * 1.05)
    sx = lambda c: x0 + (math.log2(c) - lo) / span * PANEL_W  # noqa: E731
    sy = lambda v: TOP + PANEL_H - v / ymax * PANEL_H  # noqa: E731
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP - 18}" text-anchor="middle" font-weight="bold">'
               f'{escape(title)}</text>')
    for i in range(6):
        v = ymax * i / 5
        y = sy(v)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{v:,.0f}" if ymax >= 50 else f"{v:.1f}"
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{label}</text>')
    for c in conns:
        x = sx(c)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + PANEL_H}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + PANEL_H + 16}" text-anchor="middle" font-size="11">{c}</text>')
    out.append(f'<rect x="{x0}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP + PANEL_H + 36}" text-anchor="middle" font-size="12">'
               'connections (log₂ scale)</text>')
    out.append(f'<text transform="translate({x0 - 58},{TOP + PANEL_H / 2}) rotate(-90)" text-anchor="middle" '
               f'font-size="12">{escape(ylabel)}</text>')
    for n, (target, pts) in enumerate(series.items()):
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        path = " ".join(f"{sx(p[0]):.1f},{sy(p[index]):.1f}" for p in pts)
        style = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{style}/>')
        for p in pts:
            out.append(f'<circle cx="{sx(p[0]):.1f}" cy="{sy(p[index]):.1f}" r="3" fill="{colour}"/>')
    return out


def main(results, out_path):
    labels, series = load(results)
    if not series:
        sys.exit("plot.py: no sweep records in " + results)
    conns = sorted({p[0] for pts in series.values() for p in pts})
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>']
    parts += panel(LEFT, "Throughput", "requests per second", conns, series, 1)
    parts += panel(LEFT + PANEL_W + 110, "p99 latency", "p99 latency (ms)", conns, series, 2)
    y = TOP + PANEL_H + 62
    for n, target in enumerate(series):
        x = LEFT + (n % 2) * 420
        yy = y + (n // 2) * 18
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        style = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x}" y1="{yy - 4}" x2="{x + 28}" y2="{yy - 4}" stroke="{colour}" '
                     f'stroke-width="2"{style}/>')
        parts.append(f'<text x="{x + 36}" y="{yy}">{escape(labels[target])}</text>')
    parts.append("</svg>")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
