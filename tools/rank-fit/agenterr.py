#!/usr/bin/env python3
"""Agent's own ranking error, by session state, from the dumps of a KVTIER_RANKDUMP build (docs/policies/agent-research-log.md,
"Session 23, noise24"). Pure Python (standard library).

  agenterr.py DUMP.csv [DUMP.csv ...]

For every dumped victim choice and every live resident session: agent's expected wait (column 3, the rules' wait that
rules 2-20 rank it by) against its true wait in seconds until its next request (column 23, dumps since noise24).
Per state (in flight = no hint since its request, paused on a tool, awaiting its user): how many never return, and of
those that do the bias (mean of ln(expected / true)), the spread (standard deviation of that log ratio) and the
Spearman rank correlation of expected against true wait among agent's top 16 (the 16 it would give up first; a
session that never returns ranks last to return), averaged over choices (a state's own sessions among the top 16,
three or more). The information in the estimate: the correlation of ln(expected) with ln(true) and the sigma of a
noisy oracle with the same correlation (sd(ln true) x sqrt(1 / corr^2 - 1)). The last lines map rank quality to a noisy oracle's sigma: the same choices' true waits multiplied
by exp(sigma z), z standard normal, give the Spearman (top 16 by the noisy rank) that agent's is compared with.
"""
import math
import random
import sys
from collections import defaultdict

STATE = {0: "in flight", 1: "paused", 3: "awaiting user"}
FLOOR = 1e-3  # seconds: a wait of 0 (a session just served) is read as a millisecond, so its logarithm is finite
TOP = 16


def read(paths):
    decisions = defaultdict(list)
    for k, path in enumerate(paths):
        with open(path) as f:
            for line in f:
                p = line.rstrip("\n").split(",")
                if len(p) < 24:
                    continue
                wait = float(p[23])
                rule = float(p[3])
                decisions[(k, int(p[0]))].append((max(rule, FLOOR), math.inf if wait == math.inf or wait > 1e17 else max(wait, FLOOR), int(p[6])))
    return decisions


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a, b):
    if len(a) < 3:
        return None
    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return None if va == 0 or vb == 0 else cov / math.sqrt(va * vb)


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def main(paths):
    decisions = read(paths)
    logs = defaultdict(list)
    pairs = defaultdict(list)
    never = defaultdict(int)
    count = defaultdict(int)
    rho = defaultdict(list)
    for rows in decisions.values():
        for rule, true, state in rows:
            for key in (state, "all"):
                count[key] += 1
                if true == math.inf:
                    never[key] += 1
                else:
                    logs[key].append(math.log(rule / true))
                    pairs[key].append((math.log(rule), math.log(true)))
        top = sorted(rows, key=lambda r: -r[0])[:TOP]
        for key in [None] + list(STATE):
            sel = [r for r in top if key is None or r[2] == key]
            s = spearman([r[0] for r in sel], [r[1] for r in sel])
            if s is not None:
                rho["all" if key is None else key].append(s)
    print(f"{len(decisions)} choices")
    print("| state | rows | never return | bias (mean ln ratio) | spread (sd) | sd of ln true wait | corr. ln est., ln true | sigma equivalent | Spearman, top 16 (choices) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in list(STATE) + ["all"]:
        if count[key] == 0:
            continue
        xs = logs[key]
        m = mean(xs)
        sd = math.sqrt(mean([(x - m) ** 2 for x in xs])) if xs else float("nan")
        name = STATE.get(key, key)
        est, true = [a for a, _ in pairs[key]], [b for _, b in pairs[key]]
        me, mt = mean(est), mean(true)
        se = math.sqrt(mean([(a - me) ** 2 for a in est]))
        st = math.sqrt(mean([(b - mt) ** 2 for b in true]))
        r = mean([(a - me) * (b - mt) for a, b in pairs[key]]) / (se * st) if se > 0 and st > 0 else float("nan")
        # The noise of a noisy oracle carrying as much information: est = true x exp(sigma z) has corr st / sqrt(st^2 + sigma^2).
        eq = st * math.sqrt(1 / (r * r) - 1) if r > 0 else float("inf")
        print(f"| {name} | {count[key]:,} | {100.0 * never[key] / count[key]:.1f}% | {m:+.2f} | {sd:.2f} | {st:.2f} | {r:.3f} | {eq:.2f} | "
              f"{mean(rho[key]):.3f} ({len(rho[key]):,}) |")
    rng = random.Random(24)
    print("| noisy oracle sigma | Spearman, top 16 by the noisy rank (same choices) |")
    print("|---:|---:|")
    for sigma in (0.25, 0.5, 1, 1.5, 2, 3):
        vals = []
        for rows in decisions.values():
            noisy = [(r[1] * math.exp(sigma * rng.gauss(0, 1)), r[1]) for r in rows]
            top = sorted(noisy, key=lambda r: -r[0])[:TOP]
            s = spearman([r[0] for r in top], [r[1] for r in top])
            if s is not None:
                vals.append(s)
        print(f"| {sigma} | {mean(vals):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
