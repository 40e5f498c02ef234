"""Reads the curves back out of an SVG that gnuplot drew (one panel): the
axis ticks give the map from pixels to data, each plot's path its points.

  python3 svgcurves.py FILE.svg   prints {legend: [[x, y], ...]} as JSON
"""
import json
import re
import sys

NUM = r"(-?[\d.]+)"


def fit(pairs):
    """value = a + b * pixel through the ticks (least squares)."""
    n = len(pairs)
    assert n >= 2, "fewer than two ticks"
    mp = sum(p for p, _ in pairs) / n
    mv = sum(v for _, v in pairs) / n
    b = sum((p - mp) * (v - mv) for p, v in pairs) / sum((p - mp) ** 2 for p, _ in pairs)
    return lambda p: mv + b * (p - mp), abs(b)


def read(path):
    svg = open(path).read()
    # a tick: its mark path, then its label; y ticks are horizontal marks
    # labelled to the left (anchor end), x ticks vertical ones labelled below
    ytick = re.findall(r"d='M" + NUM + "," + NUM + r" L" + NUM + r",\2 M[^']*'/>\s*<g transform=\"translate\([^)]*\)\"[^>]*text-anchor=\"end\">\s*<text>([^<]*)</text>", svg)
    xtick = re.findall(r"d='M" + NUM + "," + NUM + r" L\1," + NUM + r" M[^']*'/>\s*<g transform=\"translate\([^)]*\)\"[^>]*text-anchor=\"middle\">\s*<text>([^<]*)</text>", svg)
    fy, sy = fit([(float(y), float(t)) for _, y, _, t in ytick])
    fx, sx = fit([(float(x), float(t)) for x, _, _, t in xtick])
    curves = {}
    for chunk in svg.split('<g id="gnuplot_plot_')[1:]:
        name = re.search(r"<text>([^<]*)</text>", chunk).group(1)
        d = re.search(r"<path stroke='rgb[^']*'\s+d='([^']*)'", chunk).group(1)
        subpaths = [s for s in d.split("M") if s.strip()][1:]      # [0]: the legend's sample
        pts = []
        for s in subpaths:
            for x, y in re.findall(NUM + "," + NUM, s):
                pts.append([fx(float(x)), fy(float(y))])
        curves[name] = pts
    # coordinates are written to 0.01 px (points and ticks both): allow
    # 0.02 px, in data units
    return curves, 0.02 * sx, 0.02 * sy


if __name__ == "__main__":
    c, tx, ty = read(sys.argv[1])
    print(json.dumps({"curves": c, "tol_x": tx, "tol_y": ty}))
