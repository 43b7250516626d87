#!/bin/bash
# A fleet on one Garnet (docs/reliability.md, "A fleet on one Garnet"): server A serves six new sessions on the drill's
# tiers (the tiny model, DRAM 1 MiB over flash 1 MiB over a password-protected Garnet started here, so most of each
# snapshot lives on Garnet), then dies (kill -9, a failover); server B, a fresh flash directory on the same Garnet and
# namespace, gets the same six prompts: its restores read the snapshots A left in Garnet (X-KvTiering-Explain says how
# many tokens and from which tier) and its replies must equal A's. Server C, a fresh flash directory and no Garnet,
# prefills the same prompts: the time a restore from Garnet saves. Installs garnet-server as remote-drill.sh does.
# Usage: samples/AgentServer/Drill/fleet-drill.sh [port] [garnet port]   (after: dotnet build -c Release samples/AgentServer)
set -u
PORT=${1:-18194}; GPORT=${2:-16490}; PW=drill-secret
APP=$(cd "$(dirname "$0")/.." && pwd)
DRILL=$APP/Drill
TOOLS=${KVT_TOOLS:-/tmp/kvtiering-tools}
R=$(mktemp -d /tmp/kvtiering-fleet-drill.XXXXXX)
DLL=$APP/bin/Release/net10.0/AgentServer.dll
[ -f "$DLL" ] || { echo "build first: dotnet build -c Release samples/AgentServer"; exit 1; }
[ -x "$TOOLS/garnet-server" ] || dotnet tool install --tool-path "$TOOLS" garnet-server --version 2.2.12 >/dev/null || { echo "could not install garnet-server"; exit 1; }
NS=fleet$$
resp() { python3 "$DRILL/resp.py" $GPORT $PW "$@"; }
garnet() {
  "$TOOLS/garnet-server" --bind 127.0.0.1 --port $GPORT --memory 256m --index 16m --auth Password --password $PW >> $R/garnet.log 2>&1 &
  echo $! > $R/gpid
  for _ in $(seq 100); do resp PING >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "garnet did not start"; return 1
}
srv() { # srv LOG FLASHDIR [args]: start a server, wait for /healthz
  local log=$R/$1 flash=$R/$2; shift 2
  ( cd "$APP" && exec dotnet "$DLL" --urls http://127.0.0.1:$PORT --AgentServer:Preset=tiny --AgentServer:ModelDirectory=$R \
    --KvTiering:FlashDirectory=$flash --KvTiering:MemoryBytes=1048576 --KvTiering:FlashBytes=1048576 "$@" > $log 2>&1 ) &
  echo $! > $R/pid
  for _ in $(seq 240); do curl -s -o /dev/null localhost:$PORT/healthz && return 0; kill -0 $(cat $R/pid) 2>/dev/null || return 1; sleep 0.5; done
}
REMOTE="--KvTiering:Redis:Configuration=127.0.0.1:$GPORT,password=$PW --KvTiering:Redis:Bytes=67108864 --KvTiering:Redis:Namespace=$NS"
k9() { kill -9 $(cat $R/pid); wait $(cat $R/pid) 2>/dev/null; }
turns() { # turns SERVER SESSION...: the session's first prompt (shared system prompt, per-session text); reply kept per server
  local tag=$1; shift
  for s in "$@"; do
    body=$(python3 -c "import json;print(json.dumps({'messages':[{'role':'system','content':'sys '*50},{'role':'user','content':'session $s '+('word$s ')*300}],'max_tokens':8,'user':'s$s'}))")
    curl -s -D $R/h -o $R/body -w "   $tag, session $s: %{http_code} in %{time_total}s; " localhost:$PORT/v1/chat/completions -H 'Content-Type: application/json' -d "$body"
    grep -i x-kvtiering-explain $R/h | cut -d' ' -f2- | tr -d '\r'
    python3 -c "import json;print(json.load(open('$R/body'))['choices'][0]['message']['content'])" > $R/reply.$tag.$s 2>/dev/null
  done
}
same() { local n=0 d=0; for s in 1 2 3 4 5 6; do if [ -s $R/reply.$1.$s ] && cmp -s $R/reply.$1.$s $R/reply.$2.$s; then n=$((n + 1)); else d=$((d + 1)); fi; done
  echo "   $2's replies equal to $1's: $n of $((n + d))"; }
cleanup() { for f in pid gpid; do [ -f $R/$f ] && kill -9 $(cat $R/$f) 2>/dev/null; done; wait 2>/dev/null
  if [ -n "${KVT_DRILL_KEEP:-}" ]; then echo "logs kept in $R"; else rm -rf $R; fi; }
trap cleanup EXIT

garnet
echo "== A: six new sessions on DRAM 1 MiB + flash 1 MiB + Garnet, then kill -9"
srv a.log flash-a $REMOTE && turns A 1 2 3 4 5 6; k9
echo "   Garnet holds $(resp DBSIZE) keys"
echo "== B: a fresh flash directory on the same Garnet: the same six prompts"
srv b.log flash-b $REMOTE && turns B 1 2 3 4 5 6; k9
same A B
echo "== C: a fresh flash directory, no Garnet: the same six prompts, prefilled"
srv c.log flash-c && turns C 1 2 3 4 5 6; k9
same A C
