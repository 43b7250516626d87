#!/usr/bin/env bash
# The guard grid: the cells a change to a default policy must leave alone (or move on purpose), each written as JSON
# so compare.py can diff every field but timing. Usage: run.sh <tree> <outdir>, where <tree> is a checkout whose CLI is
# built (dotnet build -c Release); run it on main and on a branch, then compare.py main-out branch-out.
# Cells: Mooncake conversation and synthetic (agent, agent:anonadaptive=0 at 1 / 2.5 / 5 / 10%), the seeded synthetic
# agent workload (every policy), WEKA --sessions odd at 1% and 5% (agent, with and without hints). About a minute on 2 cores
# once the traces are parsed (the first run parses and caches them).
set -euo pipefail
tree=$(cd "$1" && pwd); out=$2
mkdir -p "$out"
traces=$(cd "$(dirname "$0")/../../../shared/traces" 2>/dev/null && pwd || true)
[ -d "$traces" ] || { echo "run.sh: ../shared/traces (beside the repository) not found" >&2; exit 2; }
cli="$tree/src/KvTiering.Cli/bin/Release/net10.0/kvtier.dll"
[ -f "$cli" ] || { echo "run.sh: $cli not built (dotnet build -c Release in $tree)" >&2; exit 2; }
k() { dotnet "$cli" simulate --quiet "$@"; }
k --trace "$traces/mooncake/conversation_trace.jsonl" --policy agent,agent:anonadaptive=0 --json "$out/conversation.json" >/dev/null
k --trace "$traces/mooncake/synthetic_trace.jsonl" --policy agent,agent:anonadaptive=0 --json "$out/synthetic.json" >/dev/null
k --json "$out/seeded.json" >/dev/null
for c in 1% 5%; do
  k --trace "$traces/weka-claude-code" --sessions odd --capacity $c --policy agent --json "$out/weka-odd-$c.json" >/dev/null
  k --trace "$traces/weka-claude-code" --sessions odd --capacity $c --policy agent --no-hints --json "$out/weka-odd-nh-$c.json" >/dev/null
done
ls "$out"
