#!/usr/bin/env python3
"""Fits the polynomial of ExpNonPositive and checks its constants, with mpmath.

exp(r) ~= 1 + r * q(r) on the reduced range |r| <= ln(2)/2 (widened by 1%, since n comes from
round(x * log2(e)) and the lo term nudges r). q interpolates expm1(r)/r at Chebyshev nodes, which is
within a few percent of the minimax error. Prints the coefficients rounded to float and double and
the worst relative error of 1 + r*q(r) with those rounded coefficients, evaluated in exact arithmetic
(the rounding of the evaluation itself adds at most ~0.5 ulp, from the final fma).

Run: python3 src/FastSoftmax/Math/fit_exp_polynomial.py
"""
import struct
import mpmath as mp

mp.mp.dps = 60
A = mp.log(2) / 2 * mp.mpf('1.01')


def expm1_over_r(r):
    return mp.expm1(r) / r if abs(r) > mp.mpf(10) ** -40 else 1 + r / 2


def to_f32(x):
    return struct.unpack('f', struct.pack('f', float(x)))[0]


def fit(degree):
    n = degree + 1
    nodes = [A * mp.cos(mp.pi * (2 * k + 1) / (2 * n)) for k in range(n)]
    m = mp.matrix([[x ** j for j in range(n)] for x in nodes])
    c = mp.lu_solve(m, mp.matrix([expm1_over_r(x) for x in nodes]))
    return [c[j] for j in range(n)]


def worst_error(coefficients):
    grid = [A * (2 * mp.mpf(i) / 4000 - 1) for i in range(4001)]
    return max(abs((1 + x * mp.polyval(coefficients[::-1], x)) / mp.exp(x) - 1) for x in grid)


for name, degree, rounding, digits in (('float', 5, to_f32, 9), ('double', 10, float, 17)):
    c = [mp.mpf(rounding(v)) for v in fit(degree)]
    print(f'{name}: q of degree {degree} (exp of degree {degree + 1}); worst relative error {mp.nstr(worst_error(c), 3)}')
    print('  ' + ', '.join(repr(rounding(v)) for v in c))

ln2 = mp.log(2)
for name, hi, rounding in (('float', 0.693145751953125, to_f32), ('double', 6.93147180369123816490e-01, float)):
    lo = rounding(ln2 - mp.mpf(hi))
    bits = struct.unpack('<I', struct.pack('<f', hi))[0] if name == 'float' else struct.unpack('<Q', struct.pack('<d', hi))[0]
    print(f'{name}: Ln2Hi = {hi!r} (bits {bits:#x}), Ln2Lo = {lo!r}, |Ln2Hi + Ln2Lo - ln 2| = {mp.nstr(abs(mp.mpf(hi) + mp.mpf(lo) - ln2), 3)}')
