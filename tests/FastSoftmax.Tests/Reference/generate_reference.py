#!/usr/bin/env python3
"""Generates reference.jsonl: softmax, log-softmax and log-sum-exp of float and double rows,
computed with mpmath at 320 bits and rounded once, correctly (ties to even, subnormals included),
to the element type.

Each line: {"type": "f"|"d", "name", "scale", "x": [...], "softmax": [...], "logsoftmax": [...],
"lse"}, every number as the hex of its IEEE bits, so the file holds exact values.
The inputs are seeded, so the file is reproducible: python3 generate_reference.py > reference.jsonl
"""
import json
import math
import random
import struct

import mpmath as mp

mp.mp.prec = 320

FORMATS = {
    # name: (significand bits after the point, minimum normal exponent, maximum exponent, pack code, hex width)
    'f': (23, -126, 127, 'f', 'I', 8),
    'd': (52, -1022, 1023, 'd', 'Q', 16),
}


def bits(value, fmt):
    _, _, _, code, icode, width = FORMATS[fmt]
    return format(struct.unpack('<' + icode, struct.pack('<' + code, value))[0], '0%dx' % width)


def exact(value):
    """A Python float (already of the element type) as an exact mpf."""
    return mp.mpf(value)


def round_to(v, fmt):
    """Correctly rounds an mpf (or ±inf/nan) to the format, as a Python float."""
    mant, emin, emax, code, _, _ = FORMATS[fmt]
    if mp.isnan(v):
        return math.nan
    if mp.isinf(v):
        return math.inf if v > 0 else -math.inf
    if v == 0:
        return 0.0
    sign = -1 if v < 0 else 1
    a = abs(v)
    _, e = mp.frexp(a)  # a = m * 2^e with 0.5 <= m < 1
    e -= 1
    if e < emin - mant - 2:
        return sign * 0.0  # below half the smallest subnormal
    quantum = mp.mpf(2) ** (max(e, emin) - mant)
    q = a / quantum
    n = int(mp.floor(q))
    frac = q - n
    if frac > 0.5 or (frac == 0.5 and n % 2 == 1):
        n += 1
    r = mp.mpf(n) * quantum
    if r >= mp.mpf(2) ** (emax + 1):
        return sign * math.inf
    out = float(r)  # exact: r is representable in the format, hence in double
    if fmt == 'f':
        out = struct.unpack('<f', struct.pack('<f', out))[0]
    return sign * out


def to_type(value, fmt):
    if fmt == 'f':
        return struct.unpack('<f', struct.pack('<f', value))[0]
    return value


def reference(xs, scale, fmt):
    """(softmax, logsoftmax, lse) with the special-value conventions of FastSoftmax."""
    n = len(xs)
    if any(math.isnan(v) for v in xs):
        return [math.nan] * n, [math.nan] * n, math.nan
    pos_inf = sum(1 for v in xs if v == math.inf)
    if pos_inf:
        share = 1.0 / pos_inf
        return ([round_to(mp.mpf(1) / pos_inf, fmt) if v == math.inf else 0.0 for v in xs],
                [round_to(-mp.log(pos_inf), fmt) if v == math.inf else -math.inf for v in xs],
                math.inf)
    finite = [v for v in xs if v != -math.inf]
    if not finite:
        return [0.0] * n, [-math.inf] * n, -math.inf
    s = exact(scale)
    z = [s * exact(v) if v != -math.inf else None for v in xs]
    zmax = max(t for t in z if t is not None)
    # exp(d) for d < -5000 is below 2^-7200: 0 in both formats and nothing at 320 bits of the total.
    terms = [mp.exp(t - zmax) if t is not None and t - zmax > -5000 else mp.mpf(0) for t in z]
    # log(total) as log1p(total - 1), the 1 being one max term: exact however small the rest is.
    one = terms.index(mp.mpf(1))
    rest = mp.fsum(terms[:one] + terms[one + 1:])
    total = 1 + rest
    log_total = mp.log1p(rest)
    soft = [round_to(term / total, fmt) for term in terms]
    logsoft = [round_to(t - zmax - log_total, fmt) if t is not None else -math.inf for t in z]
    return soft, logsoft, round_to(zmax + log_total, fmt)


def cases(fmt, rng):
    big = 3.4028234663852886e38 if fmt == 'f' else 1.7976931348623157e308
    tiny = 1.401298464324817e-45 if fmt == 'f' else 5e-324
    under = 87.0 if fmt == 'f' else 708.0
    inf, nan = math.inf, math.nan
    yield 'issue: [1000, 0, -5]', 1.0, [1000.0, 0.0, -5.0]
    yield 'issue: [-200, -200]', 1.0, [-200.0, -200.0]
    yield 'single element', 1.0, [3.5]
    yield 'single -inf', 1.0, [-inf]
    yield 'ties', 1.0, [2.0] * 7
    yield 'huge magnitudes', 1.0, [1e30, -1e30, 1e30 - 1e23, 0.0, 1e29]
    yield 'max and -max', 1.0, [big, -big, big, 0.0, -1.0]
    yield 'all -max', 1.0, [-big] * 5
    yield 'denormal inputs', 1.0, [tiny, -tiny, 0.0, 3 * tiny, -0.0]
    yield 'NaN in row', 1.0, [1.0, nan, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    yield 'NaN after +inf', 1.0, [inf, nan, 2.0]
    yield 'NaN with -inf', 1.0, [-inf, nan, -inf]
    yield '-inf entries', 1.0, [0.5, -inf, 1.5, -inf, -2.0, 0.0, -inf, 7.0, 1.0, 2.0, 3.0, -inf, 4.0, 5.0, 6.0, -inf, 9.0, 10.0]
    yield 'fully masked', 1.0, [-inf] * 19
    yield 'one +inf', 1.0, [1.0, inf, -inf, 5.0, 1e30]
    yield 'three +inf', 1.0, [inf, 0.0, inf, -inf, inf, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0]
    yield 'near exp underflow', 1.0, [0.0] + [-(under - 2) - 0.37 * k for k in range(40)]
    yield 'beyond exp underflow', 1.0, [0.0, -(under + 30.0), -(under + 20.0), -(under + 10.0), -(under + 15.5)] * 4
    yield 'far below max', 1.0, [0.0, -1e6, -1e20, -50.0, -25.0, -100.0, -1000.0]
    yield 'small values near a large max', 1.0, [15.3, 0.1, -0.3, 15.29, 7.7, 1e-3, 12.0, 14.9, 15.0, 3.3, 9.1]
    yield 'offset large max', 1.0, [1e6 + 0.5 * k for k in range(33)]
    for scale in (0.5, 0.125, 3.7, 1e-3, 40.0):
        yield f'scale {scale}', scale, [rng.gauss(0, 3) for _ in range(37)]
    yield 'scale with -inf', 0.25, [1.0, -inf, 2.0, 3.0, -inf, 4.0, 5.0, 6.0, 7.0]
    yield 'scale near underflow', 0.5, [0.0] + [-2 * (under - 1) - k for k in range(20)]
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257, 1000, 4099):
        for sigma in (1.0, 10.0, 100.0):
            yield f'gaussian n={n} sigma={sigma}', 1.0, [rng.gauss(0, sigma) for _ in range(n)]
    yield 'uniform within 20 of max, n=32000', 1.0, [rng.uniform(-20, 0) + 5.0 for _ in range(32000)]


def main():
    rng = random.Random(20261124)
    for fmt in ('f', 'd'):
        for name, scale, xs in cases(fmt, rng):
            xs = [to_type(v, fmt) for v in xs]
            scale = to_type(scale, fmt)
            soft, logsoft, lse = reference(xs, scale, fmt)
            print(json.dumps({
                'type': fmt, 'name': name, 'scale': bits(scale, fmt),
                'x': [bits(v, fmt) for v in xs],
                'softmax': [bits(v, fmt) for v in soft],
                'logsoftmax': [bits(v, fmt) for v in logsoft],
                'lse': bits(lse, fmt),
            }))


if __name__ == '__main__':
    main()
