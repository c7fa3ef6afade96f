#!/usr/bin/env python3
"""Generates cross_entropy_reference.jsonl: softmax cross-entropy losses and gradients with PyTorch's
options (reduction, class weights, ignore index, label smoothing; hard labels and soft targets),
computed with mpmath at 320 bits and rounded once, correctly, to float or double.

Per line: {"type", "name", "classes", "logits", "labels" | "targets", "weights", "ignore",
"smoothing", "reduction", "loss", "losses", "gradient"}; floats as hex bits (see generate_reference.py).
Run: python3 generate_cross_entropy_reference.py > cross_entropy_reference.jsonl
"""
import json
import math
import random

import mpmath as mp

from generate_reference import bits, round_to, to_type

mp.mp.prec = 320


def log_softmax(z):
    """Exact log-softmax of one row (finite max), as mpf; -inf entries stay -inf."""
    zs = [mp.mpf(v) if v != -math.inf else None for v in z]
    zmax = max(v for v in zs if v is not None)
    terms = [mp.exp(v - zmax) if v is not None and v - zmax > -5000 else mp.mpf(0) for v in zs]
    one = terms.index(mp.mpf(1))
    log_total = mp.log1p(mp.fsum(terms[:one] + terms[one + 1:]))
    return [(v - zmax - log_total) if v is not None else mp.mpf('-inf') for v in zs]


def row(z, u, w):
    """loss = -Σ w_c u_c log p_c (0 where w_c u_c = 0), gradient K p - w ⊙ u with K = Σ w u."""
    lp = log_softmax(z)
    loss = -mp.fsum(w[c] * u[c] * lp[c] for c in range(len(z)) if w[c] * u[c] != 0)
    k = mp.fsum(w[c] * u[c] for c in range(len(z)))
    grad = [k * (mp.exp(lp[c]) if lp[c] != mp.mpf('-inf') else 0) - w[c] * u[c] for c in range(len(z))]
    return loss, grad


def case(fmt, name, classes, logits, labels=None, targets=None, weights=None, ignore=-100, smoothing=0.0, reduction='mean'):
    rows = len(logits) // classes
    w = [mp.mpf(v) for v in weights] if weights else [mp.mpf(1)] * classes
    eps = mp.mpf(smoothing)
    losses, grads, denominator = [], [], mp.mpf(0)
    for r in range(rows):
        z = logits[r * classes:(r + 1) * classes]
        if labels is not None:
            if labels[r] == ignore:
                losses.append(mp.mpf(0))
                grads.append([mp.mpf(0)] * classes)
                continue
            u = [(1 - eps) * (1 if c == labels[r] else 0) + eps / classes for c in range(classes)]
            denominator += w[labels[r]]
        else:
            u = [(1 - eps) * mp.mpf(targets[r * classes + c]) + eps / classes for c in range(classes)]
            denominator += 1
        loss, grad = row(z, u, w)
        losses.append(loss)
        grads.append(grad)
    f = (1 / denominator if denominator > 0 else mp.mpf(0)) if reduction == 'mean' else mp.mpf(1)
    total = mp.fsum(losses) * f
    out = {
        'type': fmt, 'name': name, 'classes': classes, 'reduction': reduction,
        'logits': [bits(v, fmt) for v in logits],
        'weights': [bits(v, fmt) for v in weights] if weights else [],
        'ignore': ignore, 'smoothing': bits(smoothing, fmt),
        'loss': bits(round_to(total, fmt), fmt),
        'losses': [bits(round_to(v, fmt), fmt) for v in losses],
        'gradient': [bits(round_to(g * f, fmt), fmt) for gr in grads for g in gr],
    }
    if labels is not None:
        out['labels'] = labels
    else:
        out['targets'] = [bits(v, fmt) for v in targets]
    return out


def cases(fmt, rng):
    t = lambda v: to_type(v, fmt)
    inf = math.inf
    for classes in (1, 3, 10, 17, 40):
        rows = 5
        logits = [t(rng.gauss(0, 4)) for _ in range(rows * classes)]
        labels = [rng.randrange(classes) for _ in range(rows)]
        weights = [t(rng.uniform(0.2, 2.0)) for _ in range(classes)]
        raw = [rng.random() for _ in range(rows * classes)]
        targets = [t(raw[i] / sum(raw[(i // classes) * classes:(i // classes + 1) * classes])) for i in range(rows * classes)]
        for reduction in ('mean', 'sum'):
            yield case(fmt, f'C={classes} plain {reduction}', classes, logits, labels=labels, reduction=reduction)
            yield case(fmt, f'C={classes} weighted {reduction}', classes, logits, labels=labels, weights=weights, reduction=reduction)
            yield case(fmt, f'C={classes} smoothing {reduction}', classes, logits, labels=labels, smoothing=t(0.1), reduction=reduction)
            yield case(fmt, f'C={classes} weighted smoothing ignore {reduction}', classes, logits,
                       labels=[-100 if r == 1 else labels[r] for r in range(rows)], weights=weights, smoothing=t(0.2), reduction=reduction)
            yield case(fmt, f'C={classes} soft {reduction}', classes, logits, targets=targets, reduction=reduction)
            yield case(fmt, f'C={classes} soft weighted smoothing {reduction}', classes, logits, targets=targets, weights=weights, smoothing=t(0.3), reduction=reduction)
    big = 3.0e38 if fmt == 'f' else 1.0e308
    yield case(fmt, 'huge logits', 4, [t(1e30), t(-1e30), t(1e30 - 1e24), t(0.0), t(big), t(-big), t(0.0), t(big / 2)], labels=[1, 2])
    yield case(fmt, 'confident and right', 3, [t(60.0), t(0.0), t(-3.0)], labels=[0])
    yield case(fmt, '-inf logits', 5, [t(1.0), -inf, t(2.0), -inf, t(0.5)] * 2, labels=[0, 1])
    yield case(fmt, '-inf logit with zero target', 4, [t(1.0), -inf, t(2.0), t(3.0)], targets=[t(0.25), 0.0, t(0.25), t(0.5)])
    yield case(fmt, 'all rows ignored', 3, [t(1.0), t(2.0), t(3.0)] * 2, labels=[-100, -100])


def main():
    rng = random.Random(2)
    for fmt in ('f', 'd'):
        for c in cases(fmt, rng):
            print(json.dumps(c))


if __name__ == '__main__':
    main()
