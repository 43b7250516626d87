#!/usr/bin/env python3
"""Compare two guard-grid JSON files (tools/guard-grid/run.sh) field by field, ignoring what only timing or the build
changes. Prints IDENTICAL or each differing field; exits 1 on a difference. Usage: compare.py base.json new.json, or
compare.py base-dir new-dir for every grid file at once."""
import json
import os
import sys

# Timing, memory and the build's identity (the command names the tree's path) change run to run.
SKIP = {"elapsed_seconds", "references_per_second", "peak_working_set_bytes", "gc_heap_bytes", "allocated_bytes",
        "version", "command"}


def walk(a, b, path, diffs):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key in SKIP:
                continue
            walk(a.get(key), b.get(key), f"{path}.{key}", diffs)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", diffs)
    elif a != b:
        diffs.append(f"{path}: {a!r} -> {b!r}")


def compare(base_path, new_path):
    base, new = (json.load(open(p)) for p in (base_path, new_path))
    diffs = []
    walk(base, new, "", diffs)
    print(f"{os.path.basename(new_path)}: " + ("IDENTICAL" if not diffs else "DIFFERENT\n  " + "\n  ".join(diffs[:50])))
    return not diffs


a, b = sys.argv[1:3]
if os.path.isdir(a):
    names = sorted(n for n in os.listdir(a) if n.endswith(".json"))
    same = all([compare(os.path.join(a, n), os.path.join(b, n)) for n in names])
else:
    same = compare(a, b)
sys.exit(0 if same else 1)
