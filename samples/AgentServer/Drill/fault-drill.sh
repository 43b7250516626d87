#!/bin/bash
# An operator's fault drill against the agent server (docs/reliability.md, "An operator's path"): the tiny model, a
# 1 MiB DRAM tier over a 64 MiB flash tier in a scratch folder, 6 sessions sharing a system prompt; then a graceful
# restart, kill -9 and restart, slot bytes flipped, the file cut short, the superblock damaged, three geometry changes, a misspelt key and,
# as root, a full disk (a 24 MiB tmpfs) and a full disk under a preallocated file (a 100 MiB tmpfs).
# Usage: samples/AgentServer/Drill/fault-drill.sh [port]   (after: dotnet build -c Release samples/AgentServer)
set -u
PORT=${1:-18093}
APP=$(cd "$(dirname "$0")/.." && pwd)
R=$(mktemp -d /tmp/kvtiering-drill.XXXXXX)
DLL=$APP/bin/Release/net10.0/AgentServer.dll
[ -f "$DLL" ] || { echo "build first: dotnet build -c Release samples/AgentServer"; exit 1; }

srv() { # srv LOG FLASHDIR [args]: start the server, wait for /healthz
  local log=$R/$1 dir=$2; shift 2
  ( cd "$APP" && exec dotnet "$DLL" --urls http://127.0.0.1:$PORT --AgentServer:Preset=tiny --AgentServer:ModelDirectory=$R \
    --KvTiering:FlashDirectory=$dir --KvTiering:MemoryBytes=1048576 --KvTiering:FlashBytes=67108864 "$@" > $log 2>&1 ) &
  echo $! > $R/pid
  for _ in $(seq 240); do curl -s -o /dev/null localhost:$PORT/healthz && return 0; kill -0 $(cat $R/pid) 2>/dev/null || return 1; sleep 0.5; done
}
k9() { kill -9 $(cat $R/pid); wait $(cat $R/pid) 2>/dev/null; }
faults() { curl -s localhost:$PORT/metrics | grep -E '^(kvtiering_tier_faults_total|kvtiering_write_failures_total\{[^}]*flash|agentserver_restores_total)' \
  | grep -v ' 0$' | sed 's/otel_scope_name="[^"]*",//'; }
warnings() { grep -A1 "^warn" $R/$1 | grep -v -e "^--" -e "^warn" | cut -c1-240; }
turns() { # turns TAG SESSION...: one request per session (shared system prompt, per-session text), the restore it got
  local tag=$1; shift
  for s in "$@"; do
    body=$(python3 -c "import json;print(json.dumps({'messages':[{'role':'system','content':'sys '*50},{'role':'user','content':'session $s '+('word$s ')*300+'$tag'}],'max_tokens':4,'user':'s$s'}))")
    curl -s -D - -o /dev/null localhost:$PORT/v1/chat/completions -H 'Content-Type: application/json' -d "$body" | grep -i x-kvtiering-explain
  done
}
flip() { # flip FILE N: one payload byte flipped in N written slots (seeded)
  python3 - "$1" "$2" <<'PY'
import sys, random, struct
path, n = sys.argv[1], int(sys.argv[2]); random.seed(1)
with open(path, 'r+b') as f:
    sb = f.read(64); slots, = struct.unpack_from('<i', sb, 16); stride, = struct.unpack_from('<q', sb, 24); first, = struct.unpack_from('<q', sb, 40)
    written = [s for s in range(slots) if (f.seek(first + s * stride), any(f.read(16)))[1]]
    for s in random.sample(written, min(n, len(written))):
        off = first + s * stride + 128 + random.randrange(1000); f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0xFF]))
    print(f"{len(written)} written slots, a payload byte flipped in {min(n, len(written))}")
PY
}

echo "== 0. serve 6 sessions, stop gracefully (SIGTERM), restart, the next turn of sessions 1 and 6"
srv t1.log $R/term; turns a 1 2 3 4 5 6 >/dev/null; kill -TERM $(cat $R/pid); wait $(cat $R/pid) 2>/dev/null
grep -A1 "TieredKvStore\[6\]" $R/t1.log | tail -1
srv t2.log $R/term; grep -A1 "TieredKvStore\[2\]" $R/t2.log | tail -1; turns b 1 6; k9
F=$R/flash
echo "== 1. serve 6 sessions, kill -9, restart, the next turn of sessions 1 and 6"
srv s1.log $F; turns a 1 2 3 4 5 6 >/dev/null; k9
srv s2.log $F; grep -A1 "TieredKvStore\[2\]" $R/s2.log | tail -1; turns b 1 6; faults; k9
echo "== 2. a payload byte flipped in 100 written slots, restart"
flip $F/blocks.kvt 100
srv s3.log $F; warnings s3.log; turns c 1 2; faults; k9
echo "== 3. the file cut short (truncate -s 10M), restart"
truncate -s 10M $F/blocks.kvt
srv s4.log $F; warnings s4.log; faults; k9
echo "== 4. the superblock damaged, restart"
printf '\xff' | dd of=$F/blocks.kvt bs=1 seek=20 conv=notrunc 2>/dev/null
srv s5.log $F; warnings s5.log; faults; ls $F; k9
echo "== 5. three restarts, each with another geometry (FlashBytes 32, 16, 64 MiB)"
for fb in 33554432 16777216 67108864; do srv g$fb.log $F --KvTiering:FlashBytes=$fb; k9; done
ls $F
echo "== 6. a misspelt key"
( cd "$APP" && dotnet "$DLL" --urls http://127.0.0.1:$PORT --AgentServer:Preset=tiny --AgentServer:ModelDirectory=$R \
  --KvTiering:FlashDirectory=$F --KvTiering:FlashByte=67108864 2>&1 >/dev/null | cut -c1-160; echo "exit ${PIPESTATUS[0]}" )
if [ "$(id -u)" != 0 ]; then echo "== 7, 8: skipped (mounting a tmpfs needs root)"; rm -rf $R; exit 0; fi
echo "== 7. a full disk: the flash file on a 24 MiB tmpfs, 12 sessions"
mkdir -p $R/small; mount -t tmpfs -o size=24m tmpfs $R/small
srv s7.log $R/small/flash; turns d 1 2 3 4 5 6 7 8 9 10 11 12 | sed 's/ (snapshot of [0-9]*)//' | sort | uniq -c
curl -s localhost:$PORT/healthz; echo; faults; df -k $R/small | tail -1
grep -A2 "TieredKvStore\[4\]" $R/s7.log | head -3 | cut -c1-200; echo "WriteFailed warnings: $(grep -c 'TieredKvStore\[4\]' $R/s7.log), WriteFailuresRepeated: $(grep -c 'TieredKvStore\[8\]' $R/s7.log)"
k9; umount $R/small
echo "== 8. a full disk under a preallocated flash file: 100 MiB tmpfs, fallocate after the first start, the rest filled"
mount -t tmpfs -o size=100m tmpfs $R/small
srv p1.log $R/small/flash; kill -TERM $(cat $R/pid); wait $(cat $R/pid) 2>/dev/null
f=$R/small/flash/blocks.kvt; fallocate -l $(stat -c %s $f) $f; dd if=/dev/zero of=$R/small/filler bs=1M 2>/dev/null; df -k $R/small | tail -1
srv p2.log $R/small/flash; turns p 1 2 3 4 5 6 7 8 9 10 11 12 | sed 's/ (snapshot of [0-9]*)//' | sort | uniq -c; faults
k9; umount $R/small; rm -rf $R
