#!/usr/bin/env python3
"""Turns BenchmarkDotNet's CSV reports into the markdown tables of docs/benchmarks.md.

Throughput is elements per nanosecond (N, or rows x classes, over the mean time); every ratio is
against the baseline of the same class in the same run, so machine drift cancels out.

Usage: python3 benchmarks/report.py BenchmarkDotNet.Artifacts/results/*.csv
"""
import csv
import re
import sys

UNITS = {'ns': 1.0, 'us': 1e3, 'μs': 1e3, 'ms': 1e6, 's': 1e9}


def nanoseconds(cell):
    m = re.match(r'\s*([\d,.]+)\s*(ns|us|μs|ms|s)\s*$', cell)
    if not m:
        raise ValueError(f'not a time: {cell!r}')
    return float(m.group(1).replace(',', '')) * UNITS[m.group(2)]


# Benchmarks without a size parameter: their fixed element count.
FIXED = {'ExpOnly': 4096}


def elements(row, name=''):
    if name in FIXED:
        return FIXED[name]
    if row.get('N'):
        return int(row['N'])
    rows, classes = row['Shape'].split('x')
    return int(rows) * int(classes)


def report(path):
    with open(path, newline='', encoding='utf-8') as f:
        data = list(csv.DictReader(f))
    if not data:
        return
    name = path.rsplit('/', 1)[-1].split('-report')[0].split('.')[-1]
    key = 'N' if 'N' in data[0] else 'Shape' if 'Shape' in data[0] else None
    if key is None and name not in FIXED:
        print(f'{name}: no size to turn into elements/ns (the training fits), skipped', file=sys.stderr)
        return
    if key is None:
        for r in data:
            r['N'] = str(FIXED[name])
        key = 'N'
    methods = list(dict.fromkeys(r['Method'] for r in data))
    baseline = next((r['Method'] for r in data if r.get('Baseline', '').lower() == 'true'), methods[0])
    print(f'### {name}\n')
    print(f'Elements per ns (higher is better); in brackets, speed relative to {baseline} in the same run.\n')
    ours = [m for m in methods if m.startswith('Fast')] or methods[-1:]
    # Several jobs in one class (WithoutTieredCompilation): a row per job and size, each against its own job's baseline.
    jobs = list(dict.fromkeys(r.get('Job', '') for r in data))
    job_column = len(jobs) > 1
    print(('| Job ' if job_column else '') + f'| {key} | ' + ' | '.join(methods) + f" | allocated by {' / '.join(ours)} |")
    print(('|---' if job_column else '') + '|---|' + '---|' * (len(methods) + 1))
    for job in jobs:
        for size in dict.fromkeys(r[key] for r in data if r.get('Job', '') == job):
            rows = {r['Method']: r for r in data if r[key] == size and r.get('Job', '') == job}
            base = nanoseconds(rows[baseline]['Mean'])
            cells = []
            for m in methods:
                t = nanoseconds(rows[m]['Mean'])
                cells.append(f'{elements(rows[m]) / t:.2f} ({base / t:.2f}x)')
            print((f'| {job} ' if job_column else '') + f'| {size} | ' + ' | '.join(cells) + f" | {' / '.join(rows[m].get('Allocated', '-') for m in ours)} |")
    print()


if __name__ == '__main__':
    for p in sys.argv[1:]:
        report(p)
