#!/usr/bin/env python3
"""Fit agent's learned ranker (agent:rank=learned) on the dumps of a KVTIER_RANKDUMP build.

Pure Python (standard library): pairwise logistic regression on feature differences between two live resident
sessions at one victim choice, label "the first returns later" (its true next use is later), as PARROT / Glider
learn Belady's decision (docs/policies/agent-research-log.md, "Session 21, rank22"). Usage:

  rankfit.py diag DUMP.csv            where agent's victim and the oracle's differ (categories, counts)
  rankfit.py fit DUMP.csv [DUMP.csv]  fit on odd-numbered decisions, report top-1 agreement on even-numbered ones,
                                      print the weights (features 1.., the rules' log rank scaled to 1)

Row: decision, slot, score, rule, chosen, next, state, x0..x13 (AgentLearnedRank.Features)[, next request].
The label is `next` (the next use of the session's deepest block, Session 21's) unless RANKFIT_LABEL=request: then
the last column, the next use of the session's next request (as agent:oracle=true ranks it; dumps since refit23).
Settings (environment): RANKFIT_PAIRS (pairs per choice, default 6; the shipped weights used 20), RANKFIT_LOSS=list
(softmax over agent's top RANKFIT_TOP, default 8, instead of pairs), RANKFIT_WEIGHT=tokens (pairs weighted by the
resident blocks of the session that should go), RANKFIT_ANCHOR=victim (only pairs with the rules' victim). Every variant but the default pairs lost (docs/policies/agent-research-log.md).
"""
import math
import os
import random
import sys
from collections import Counter, defaultdict

NEVER = 1e18
WEIGHTED = os.environ.get("RANKFIT_WEIGHT", "") == "tokens"
ANCHORED = os.environ.get("RANKFIT_ANCHOR", "") == "victim"
LABEL = 21 if os.environ.get("RANKFIT_LABEL", "") == "request" else 5
NAMES = ["log w", "log tau", "log g", "past gap", "paused", "awaiting", "paused x log hint age",
         "awaiting x log hint age", "log turns", "log context", "log resident", "log prev added", "after user",
         "probation"]
STATE = {0: "in flight", 1: "paused", 3: "awaiting user"}


def clean(v):
    # A NaN feature (a negative previous growth, before AgentLearnedRank clamped it) reads as the clamp does: 0.
    return 0.0 if v != v or v == float("-inf") else v


def read(path):
    decisions = defaultdict(list)
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split(",")
            if len(p) < 21:
                continue
            row = (float(p[2]), float(p[3]), int(p[4]), min(float(p[LABEL]), NEVER), int(p[6]), [clean(float(v)) for v in p[7:21]])
            decisions[int(p[0])].append(row)
    return decisions


def category(row):
    score, rule, _, nxt, state, x = row
    if score > rule * 1.0000001:
        return "dead branch"
    return STATE.get(state, str(state)) + (" (probation)" if x[13] > 0 else "")


def diag(path):
    decisions = read(path)
    agree = differ = noagent = 0
    pairs = Counter()
    oracle_never = 0
    agent_never = 0
    position = Counter()
    for rows in decisions.values():
        chosen = [r for r in rows if r[2] == 1]
        if not chosen:
            noagent += 1
            continue
        a = chosen[0]
        best = max(r[3] for r in rows)
        o = max(rows, key=lambda r: r[3])
        oracle_never += best >= NEVER
        agent_never += a[3] >= NEVER
        if a[3] >= best:
            agree += 1
            continue
        differ += 1
        pairs[(category(a), category(o), "never" if best >= NEVER else "returns")] += 1
        ranked = sorted(rows, key=lambda r: -r[0])
        position[min(ranked.index(o), 16)] += 1
    n = agree + differ
    print(f"{path}: {len(decisions)} decisions, {n} with agent's victim a live session ({noagent} shared/none)")
    print(f"agent's victim returns last (as the oracle's would): {agree} ({agree / n:.1%}); differs: {differ} ({differ / n:.1%})")
    print(f"the oracle's choice never returns: {oracle_never / n:.1%}; agent's victim never returns: {agent_never / n:.1%}")
    print("| agent's victim | the oracle's choice | it | decisions | share of differing |")
    print("|---|---|---|---:|---:|")
    for (ac, oc, never), c in pairs.most_common(14):
        print(f"| {ac} | {oc} | {never} | {c} | {c / differ:.1%} |")
    def share(pred):
        return sum(c for k, c in pairs.items() if pred(k)) / differ
    print(f"where they differ: agent's victim in flight {share(lambda k: k[0].startswith('in flight')):.1%}; the oracle's "
          f"choice in flight {share(lambda k: k[1].startswith('in flight')):.1%}, paused {share(lambda k: k[1].startswith('paused')):.1%}, "
          f"awaiting its user {share(lambda k: k[1].startswith('awaiting')):.1%}, a dead branch {share(lambda k: k[1] == 'dead branch'):.1%}")
    b = [position[1], sum(position[k] for k in range(2, 5)), sum(position[k] for k in range(5, 16)), position[16]]
    print("the oracle's choice is agent's 2nd / 3rd-5th / 6th-16th / later choice: " + " / ".join(f"{v / differ:.1%}" for v in b))
    print("the oracle's choice's position in agent's ranking (0 = agent's victim; 16 = 16 or later):",
          ", ".join(f"{k}: {position[k] / differ:.1%}" for k in sorted(position)))


def pairs_of(rows, top, rng, per_decision):
    live = [r for r in rows if r[0] <= r[1] * 1.0000001]
    live.sort(key=lambda r: -r[0])
    cand = live[:top]  # not the oracle's choice beside them: added only when ranked low, it biases log w negative
    out = []
    # RANKFIT_ANCHOR=victim: only pairs with the rules' victim (learn when to give up another session instead).
    for i in range(1 if ANCHORED else len(cand)):
        for j in range(i + 1, len(cand)):
            a, b = cand[i], cand[j]
            if a[3] == b[3]:
                continue
            y = 1.0 if a[3] > b[3] else 0.0
            # RANKFIT_WEIGHT=tokens: a pair counts by the blocks at stake, those of the session that should go (e^x10 - 1).
            stake = math.exp((a if y else b)[5][10]) - 1 if WEIGHTED else 1.0
            out.append(([xa - xb for xa, xb in zip(a[5], b[5])], y, stake))
    rng.shuffle(out)
    return out[:per_decision]


def fit(samples, l2=1e-3, iters=12):
    k = len(samples[0][0])
    w = [0.0] * k
    for _ in range(iters):
        g = [0.0] * k
        h = [[0.0] * k for _ in range(k)]
        for d, y, c in samples:
            z = sum(wi * di for wi, di in zip(w, d))
            p = 1 / (1 + math.exp(-max(-35, min(35, z))))
            e = (p - y) * c
            s = p * (1 - p) * c
            for i in range(k):
                g[i] += e * d[i]
                hi = h[i]
                sdi = s * d[i]
                for j in range(i, k):
                    hi[j] += sdi * d[j]
        w = newton_step(w, g, h, sum(c for _, _, c in samples), l2)
    return w


def newton_step(w, g, h, n, l2):
    """One Newton step of an L2-regularised mean loss: g and the upper triangle of h hold sums over n samples."""
    k = len(w)
    for i in range(k):
        g[i] = g[i] / n + l2 * w[i]
        for j in range(i, k):
            h[i][j] = h[i][j] / n + (l2 if i == j else 0)
            h[j][i] = h[i][j]
    step = solve(h, g)
    return [wi - si for wi, si in zip(w, step)]


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[c][c] != 0:
                f = m[r][c] / m[c][c]
                for cc in range(c, n + 1):
                    m[r][cc] -= f * m[c][cc]
    return [m[i][n] / m[i][i] if m[i][i] != 0 else 0 for i in range(n)]


def candidates(rows, top):
    live = [r for r in rows if r[0] <= r[1] * 1.0000001]
    live.sort(key=lambda r: -r[0])
    cand = live[:top]  # not the oracle's choice beside them: added only when ranked low, it biases log w negative
    return cand


def fit_listwise(decisions, top, l2=1e-3, iters=10):
    """Softmax over a decision's candidates (agent's top ones and the oracle's choice), target: the sessions that
    return last (ties: every session that never returns), so the model learns the victim, not every pair."""
    k = len(decisions[0][0][5])
    lists = []
    for rows in decisions:
        cand = candidates(rows, top)
        if len(cand) < 2:
            continue
        best = max(r[3] for r in cand)
        winners = [r for r in cand if r[3] >= best]
        if len(winners) == len(cand):
            continue
        lists.append(([r[5] for r in cand], [1.0 / len(winners) if r[3] >= best else 0.0 for r in cand]))
    w = [0.0] * k
    for _ in range(iters):
        g = [0.0] * k
        h = [[0.0] * k for _ in range(k)]
        for xs, ts in lists:
            zs = [sum(wi * xi for wi, xi in zip(w, x)) for x in xs]
            m = max(zs)
            es = [math.exp(z - m) for z in zs]
            s = sum(es)
            ps = [e / s for e in es]
            mean = [sum(p * x[i] for p, x in zip(ps, xs)) for i in range(k)]
            for p, t, x in zip(ps, ts, xs):
                for i in range(k):
                    g[i] += (p - t) * x[i]
                    if p > 1e-9:
                        pxi = p * (x[i] - mean[i])
                        hi = h[i]
                        for j in range(i, k):
                            hi[j] += pxi * (x[j] - mean[j])
        w = newton_step(w, g, h, len(lists), l2)
    return w, len(lists)


def top1(decisions, w):
    agree_rule = agree_learned = n = 0
    for rows in decisions:
        live = [r for r in rows if r[0] <= r[1] * 1.0000001]
        if len(live) < 2:
            continue
        best = max(r[3] for r in live)
        n += 1
        agree_rule += max(live, key=lambda r: r[0])[3] >= best
        agree_learned += max(live, key=lambda r: sum(wi * xi for wi, xi in zip(w, r[5])))[3] >= best
    return agree_rule / n, agree_learned / n, n


def main():
    if sys.argv[1] == "diag":
        for path in sys.argv[2:]:
            diag(path)
        return
    top = 16
    per = int(os.environ.get("RANKFIT_PAIRS", "6"))
    rng = random.Random(21)
    train, test = [], []
    for path in sys.argv[2:]:
        for d, rows in read(path).items():
            (train if d % 2 else test).append(rows)
    if os.environ.get("RANKFIT_LOSS", "pairs") == "list":
        top = int(os.environ.get("RANKFIT_TOP", "8"))
        w, n = fit_listwise(train, top)
        print(f"{len(train)} training decisions ({n} with a choice to learn), listwise over agent's top {top} and the oracle's choice; {len(test)} test decisions")
    else:
        samples = [s for rows in train for s in pairs_of(rows, top, rng, per)]
        print(f"{len(train)} training decisions, {len(samples)} pairs; {len(test)} test decisions")
        w = fit(samples)
    print("raw weights:", ", ".join(f"{n} {v:+.4f}" for n, v in zip(NAMES, w)))
    r, l, n = top1(test, w)
    print(f"top-1 agreement with the oracle on {n} test decisions: rules {r:.1%}, learned {l:.1%}")
    if w[0] > 0:
        c = [v / w[0] for v in w[1:]]
        print("correction weights (features 1.., log w scaled to 1):")
        print("[" + ", ".join(f"{v:.4f}" for v in c) + "]")


if __name__ == "__main__":
    main()
