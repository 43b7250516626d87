#!/usr/bin/env python3
"""The sigma at which a noisy oracle meets each issue #19 goal, and the sigma at which it hits as often as agent
(docs/policies/agent-research-log.md, "Session 23, noise24"). Pure Python (standard library).

  noisecurve.py even|odd NOISE.json

NOISE.json: a `simulate --json` of agent:oracle=seconds and agent:oraclenoise=0.25,0.5,1,1.5,2,3 (in that order) at
1%, 2.5%, 5% and 10% on that WEKA half. LRU, Belady and agent (with and without hints) are the session 11 / 19 numbers
of docs/policies/agent-research-log.md (`simulate --sessions even|odd --policy lru,belady,agent [--no-hints]`). Each answer is the largest sigma
whose share of the LRU -> Belady gap is still at the target, linear between the grid's points.
"""
import json
import sys

SIGMAS = [0, 0.25, 0.5, 1, 1.5, 2, 3]
LRU = {"even": [0.23105, 0.49273, 0.78105, 0.93201], "odd": [0.23302, 0.49960, 0.79329, 0.92510]}
BELADY = {"even": [0.52559, 0.75791, 0.89374, 0.95550], "odd": [0.52667, 0.76115, 0.89158, 0.94956]}
AGENT = {"even": ([0.43666, 0.65564, 0.83056, 0.93673], [0.42264, 0.64306, 0.81785, 0.93386]),
         "odd": ([0.42423, 0.65944, 0.83155, 0.92893], [0.41169, 0.64424, 0.82002, 0.92795])}
GOALS = ([75, 75, 50, 30], [65, 55, 30, 15])


def main(half, path):
    rows = {}
    for r in json.load(open(path))["results"]:
        rows.setdefault(r["policy"], []).append(r["token_hit_rate"])
    curves = list(rows.values())
    if len(curves) != len(SIGMAS):
        sys.exit(f"{path}: {len(curves)} policies, expected {len(SIGMAS)} (sigma = {SIGMAS})")

    def share(v, i):
        return 100 * (v - LRU[half][i]) / (BELADY[half][i] - LRU[half][i])

    shares = [[share(v[i], i) for i in range(4)] for v in curves]

    def cross(i, target):
        for k in range(len(SIGMAS) - 1):
            a, b = shares[k][i], shares[k + 1][i]
            if a >= target > b:
                return f"{SIGMAS[k] + (SIGMAS[k + 1] - SIGMAS[k]) * (a - target) / (a - b):.2f}"
        return "below 0" if shares[0][i] < target else "above 3"

    for name, goal, agent in zip(("hints", "no hints"), GOALS, AGENT[half]):
        print(f"{half}, {name}: goal met up to sigma", " / ".join(cross(i, goal[i]) for i in range(4)))
        print(f"{half}, {name}: agent hits as sigma", " / ".join(cross(i, share(agent[i], i)) for i in range(4)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
