#!/usr/bin/env python3
"""How well can any predictor built from the features the WEKA traces carry rank live sessions by their next request?
(docs/policies/agent.md, #19 item 3.) Pure Python (standard library).

  waitfeatures.py [TRACE_DIR]      (default ../shared/traces/weka-claude-code)

For every main-agent request that has a next one, two waits: from the request's arrival to the next request (a session
in flight) and from its response's end to the next request (paused on a tool or awaiting its user). Each predictor is
the mean log wait per bin of its features, fitted on the even sessions and scored on the odd ones as the correlation
of predicted and true log wait. A noisy oracle (agent:oraclenoise=sigma: true wait x exp(sigma z)) has correlation
s / sqrt(s^2 + sigma^2), s the spread of the true log wait, so each correlation is also written as the sigma that
oracle would need to carry the same information. The goals need sigma <= 0.69 at 1% and <= 1.19 at 2.5% with hints
(noisecurve.py). Sessions' last requests (no next request: the wait is "never") are left out, which flatters every
predictor: an oracle knows "never", a bin mean does not.
"""
import collections
import gzip
import glob
import json
import math
import os
import statistics as st
import sys

OUT_EDGES = [50, 100, 200, 500, 1000, 3000]
GAP_EDGES = [2, 5, 10, 30, 100, 600]
ADD_EDGES = [200, 1000, 5000, 20000]
CTX_EDGES = [20000, 50000, 100000, 150000]


def binned(x, edges):
    return next((i for i, e in enumerate(edges) if x < e), len(edges))


def requests(trace_dir):
    files = sorted(glob.glob(os.path.join(trace_dir, "trace_*.json.gz")))
    if not files:
        sys.exit(f"waitfeatures.py: no trace_*.json.gz under {trace_dir}")
    for index, path in enumerate(files):
        with gzip.open(path) as f:
            session = json.load(f)
        main = sorted((r for r in session["requests"] if r.get("type") != "subagent" and "t" in r), key=lambda r: r["t"])
        since_user, previous_gap, previous_in = 0, 0.0, None
        for i, r in enumerate(main):
            types = r.get("input_types") or []
            user = "text" in types and "tool_result" not in types
            since_user = 0 if user else since_user + 1
            nxt = main[i + 1] if i + 1 < len(main) else None
            if nxt is not None:
                end = r["t"] + (r.get("api_time") or 0)
                yield dict(half=index % 2, user=user, since=min(since_user, 8), stop=r.get("stop"), out=r.get("out", 0),
                           prev=previous_gap, ctx=r["in"], add=r["in"] - (previous_in or 0),
                           in_flight=nxt["t"] - r["t"], paused=nxt["t"] - end)
            previous_gap, previous_in = r.get("think_time") or 0.0, r["in"]


PREDICTORS = [
    ("nothing (one bin)", "arrival", lambda r: 0),
    ("input type, tool calls since the user", "arrival", lambda r: (r["user"], r["since"])),
    ("... + previous gap + tokens added", "arrival",
     lambda r: (r["user"], min(r["since"], 5), binned(r["prev"], [5, 30, 300]), binned(r["add"], [500, 5000]))),
    ("stop reason (the hint)", "response end", lambda r: r["stop"]),
    ("stop reason, response size", "response end", lambda r: (r["stop"], binned(r["out"], OUT_EDGES))),
    ("stop, size, previous gap", "response end",
     lambda r: (r["stop"], binned(r["out"], [100, 300, 1000]), binned(r["prev"], GAP_EDGES))),
    ("stop, size, context", "response end",
     lambda r: (r["stop"], binned(r["out"], [100, 300, 1000]), binned(r["ctx"], CTX_EDGES))),
    ("stop, size, tokens added", "response end",
     lambda r: (r["stop"], binned(r["out"], [100, 300, 1000]), binned(r["add"], ADD_EDGES))),
]


def score(rows, key, wait):
    log = lambda x: math.log(max(x, 0.5))
    bins = collections.defaultdict(list)
    for r in rows:
        if r["half"] == 0:
            bins[key(r)].append(log(r[wait]))
    overall = st.mean(v for vs in bins.values() for v in vs)
    means = {k: st.mean(vs) for k, vs in bins.items() if len(vs) >= 20}
    held = [(means.get(key(r), overall), log(r[wait])) for r in rows if r["half"] == 1]
    truth = [t for _, t in held]
    spread = st.pstdev(truth)
    if len(means) < 2:
        return 0.0, math.inf, spread
    c = st.correlation([p for p, _ in held], truth)
    return c, (spread * math.sqrt(1 / c ** 2 - 1) if c > 0 else math.inf), spread


def main():
    trace_dir = sys.argv[1] if len(sys.argv) > 1 else "../shared/traces/weka-claude-code"
    rows = list(requests(trace_dir))
    print(f"{len(rows)} requests with a next one; fitted on the even sessions, scored on the odd")
    print(f"{'features':42s} {'known at':13s} {'wait':9s} {'corr':>6s} {'sigma':>6s} {'spread':>6s}")
    for name, known, key in PREDICTORS:
        for wait in ("in_flight", "paused"):
            c, sigma, spread = score(rows, key, wait)
            print(f"{name:42s} {known:13s} {wait:9s} {c:6.3f} {sigma:6.2f} {spread:6.2f}")


if __name__ == "__main__":
    main()
