#!/usr/bin/env python3
"""Draws throughput (elements/ns) against n for every implementation in BenchmarkDotNet's
VectorSoftmax CSV as an SVG line chart, log-scaled n. Standard library only.

Usage: python3 benchmarks/chart.py docs/results/FastSoftmax.Benchmarks.VectorSoftmax-report.csv docs/softmax-throughput.svg
"""
import csv
import math
import sys

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from report import nanoseconds  # noqa: E402

COLORS = ['#888888', '#e69f00', '#56b4e9', '#d62728', '#009e73', '#cc79a7']


def main(source, target):
    with open(source, newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    methods = list(dict.fromkeys(r['Method'] for r in rows))
    series = {m: sorted((int(r['N']), int(r['N']) / nanoseconds(r['Mean'])) for r in rows if r['Method'] == m) for m in methods}
    ns = sorted({n for s in series.values() for n, _ in s})
    top = max(v for s in series.values() for _, v in s) * 1.1
    width, height, left, right, bottom, upper = 760, 420, 60, 200, 50, 20
    x = lambda n: left + (math.log10(n) - math.log10(ns[0])) / (math.log10(ns[-1]) - math.log10(ns[0])) * (width - left - right)
    y = lambda v: height - bottom - v / top * (height - bottom - upper)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for tick in range(0, int(top) + 1):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for n in ns:
        out.append(f'<text x="{x(n):.1f}" y="{height - bottom + 18}" text-anchor="middle">{n:,}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 8}" text-anchor="middle">n (floats, log scale)</text>')
    out.append(f'<text x="14" y="{(height - bottom) / 2}" transform="rotate(-90 14 {(height - bottom) / 2})" text-anchor="middle">elements / ns</text>')
    for i, m in enumerate(methods):
        color = COLORS[i % len(COLORS)]
        points = ' '.join(f'{x(n):.1f},{y(v):.1f}' for n, v in series[m])
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        out.append(f'<text x="{width - right + 10}" y="{upper + 20 + 20 * i}" fill="{color}">{m}</text>')
    out.append('</svg>')
    with open(target, 'w', encoding='utf-8') as f:
        f.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
