#!/bin/bash
# An operator's drill of the agent server's remote tier (docs/reliability.md, "The remote tier: Garnet"): the tiny
# model, a 1 MiB DRAM tier over a 1 MiB flash tier over a Garnet server (password-protected, started here), so most of
# each session's snapshot lives on Garnet; 6 sessions sharing a system prompt. Then, each checked from a client's side:
# Garnet killed mid-run and restarted, Garnet restarted empty, values garbled and swapped straight in Garnet, a wrong
# and a missing password, Garnet down at start, a slow remote (a TCP relay adding delay below and above the timeout), and
# values forged with valid checksums, without and with an AuthenticationKey (needs Python's xxhash, else skipped).
# Installs Garnet's dotnet tool (garnet-server 2.2.12) into $KVT_TOOLS (default /tmp/kvtiering-tools) when missing.
# Usage: samples/AgentServer/Drill/remote-drill.sh [port] [garnet port]   (after: dotnet build -c Release samples/AgentServer)
# KVT_DRILL_PARTS picks parts (default "0-3 4 5 6"; 0 to 3 share one server; 6 runs before 5), KVT_DRILL_DELAYS part
# 5's delays in ms (default "20 100 400"): KVT_DRILL_PARTS=5 KVT_DRILL_DELAYS="20 100" runs the slow remote alone.
# KVT_DRILL_KEEP=1 keeps the work directory (the servers' and Garnet's logs) and prints its path.
set -u
PORT=${1:-18094}; GPORT=${2:-16390}; RPORT=$((GPORT + 1)); PW=drill-secret
PARTS=" ${KVT_DRILL_PARTS:-0-3 4 5 6} "; DELAYS=${KVT_DRILL_DELAYS:-20 100 400}
part() { [[ "$PARTS" == *" $1 "* ]]; }
APP=$(cd "$(dirname "$0")/.." && pwd)
DRILL=$APP/Drill
TOOLS=${KVT_TOOLS:-/tmp/kvtiering-tools}
R=$(mktemp -d /tmp/kvtiering-remote-drill.XXXXXX)
DLL=$APP/bin/Release/net10.0/AgentServer.dll
[ -f "$DLL" ] || { echo "build first: dotnet build -c Release samples/AgentServer"; exit 1; }
[ -x "$TOOLS/garnet-server" ] || dotnet tool install --tool-path "$TOOLS" garnet-server --version 2.2.12 >/dev/null || { echo "could not install garnet-server"; exit 1; }
NS=drill$$

garnet() { # start Garnet (empty: no persistence) on GPORT, wait until it answers
  "$TOOLS/garnet-server" --bind 127.0.0.1 --port $GPORT --memory 256m --index 16m --auth Password --password $PW >> $R/garnet.log 2>&1 &
  echo $! > $R/gpid
  for _ in $(seq 100); do resp PING >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "garnet did not start"; return 1
}
garnet_kill() { kill -9 $(cat $R/gpid) 2>/dev/null; wait $(cat $R/gpid) 2>/dev/null; }
resp() { python3 "$DRILL/resp.py" $GPORT $PW "$@"; } # resp CMD ARG...: one command to Garnet (AUTH first), the reply printed
srv() { # srv LOG [args]: start the server on the remote tier, wait for /healthz
  local log=$R/$1; shift
  ( cd "$APP" && exec dotnet "$DLL" --urls http://127.0.0.1:$PORT --AgentServer:Preset=tiny --AgentServer:ModelDirectory=$R \
    --KvTiering:FlashDirectory=$R/flash --KvTiering:MemoryBytes=1048576 --KvTiering:FlashBytes=1048576 \
    --KvTiering:Redis:Bytes=67108864 --KvTiering:Redis:Namespace=$NS "$@" > $log 2>&1 ) &
  echo $! > $R/pid
  for _ in $(seq 240); do curl -s -o /dev/null localhost:$PORT/healthz && return 0; kill -0 $(cat $R/pid) 2>/dev/null || return 1; sleep 0.5; done
}
REMOTE="--KvTiering:Redis:Configuration=127.0.0.1:$GPORT,password=$PW"
k9() { kill -9 $(cat $R/pid); wait $(cat $R/pid) 2>/dev/null; }
faults() { curl -s localhost:$PORT/metrics | grep -E '^(kvtiering_tier_faults_total|kvtiering_write_failures_total|kvtiering_unreachable_writes_total|agentserver_restores_total)' \
  | grep -v ' 0$' | sed -e 's/otel_scope_name="[^"]*",//' -e 's/kvtiering_//' -e 's/_total//' | tr '\n' ' '; echo; }
rstat() { # rstat NAME [TIER]: the tier's (default redis) kvtiering_NAME_total so far (lookups: its hits)
  local n; n=$(curl -s localhost:$PORT/metrics | grep "^kvtiering_$1_total{.*kvtiering_tier=\"${2:-redis}\"" | grep -v 'result="miss"' | awk '{print $2}'); echo ${n:-0}; }
rhits() { echo "$(rstat lookups) $(rstat staged_hits) $(rstat resident_puts) $(rstat lookups flash) $(rstat resident_puts flash)"; }
rread() { # rread H0: the redis tier's hits since rhits printed H0, and of them how many were reads from Garnet (restores'
  # batch reads included), hits on the staged copy of a write still in flight, and puts of a block already there; then
  # the flash tier's reads (where the rest of a restore's chunks were: which tier holds a chunk varies by run)
  local a b; read -r -a a <<< "$1"; read -r -a b <<< "$(rhits)"
  local h=$((b[0] - a[0])) s=$((b[1] - a[1])) p=$((b[2] - a[2])) f=$((b[3] - a[3] - b[4] + a[4]))
  echo "$h hits on Garnet's tier: $((h - s - p)) read from Garnet, $s from staged copies, $p puts of blocks already there; $f read from flash"; }
turns() { # turns TAG SESSION...: one request per session (shared system prompt, per-session text): status, time, restore;
  # the reply (greedy, so a function of the prompt's state) is kept in $R/reply.TAG.SESSION for same()
  local tag=$1; shift
  for s in "$@"; do
    body=$(python3 -c "import json;print(json.dumps({'messages':[{'role':'system','content':'sys '*50},{'role':'user','content':'session $s '+('word$s ')*300+'$tag'}],'max_tokens':8,'user':'s$s'}))")
    curl -s -D $R/h -o $R/body -w "session $s: %{http_code} in %{time_total}s; " localhost:$PORT/v1/chat/completions -H 'Content-Type: application/json' -d "$body"
    grep -i x-kvtiering-explain $R/h | cut -d' ' -f2- | tr -d '\r'
    python3 -c "import json,sys;print(json.load(open('$R/body'))['choices'][0]['message']['content'])" > $R/reply.$tag.$s 2>/dev/null
  done
}
keep() { local t=$1; shift; for s in "$@"; do cp $R/reply.$t.$s $R/reply.$t-before.$s 2>/dev/null; done; }
same() { # same TAG1 TAG2 SESSION...: whether each session's replies to the same prompt are equal (a wrong restored byte would change them)
  local a=$1 b=$2 n=0 d=0; shift 2
  for s in "$@"; do if cmp -s $R/reply.$a.$s $R/reply.$b.$s && [ -s $R/reply.$a.$s ]; then n=$((n + 1)); else d=$((d + 1)); fi; done
  echo "   replies equal to those before the fault: $n of $((n + d))"
}
waitback() { # waitback LOG: seconds until the server logs that the remote tier is back (up to 90 s)
  local t0=$(date +%s.%N)
  for _ in $(seq 450); do [ $(grep -c "Remote tier: .* is back" $R/$1) -gt ${2:-0} ] && break; sleep 0.2; done
  python3 -c "print(f'   the server logged \"is back\" {($(date +%s.%N) - $t0):.1f} s after Garnet answered')"
}
logs() { # logs LOG: its warnings and the remote tier's lines, block keys elided, each kind counted
  grep -A1 -E "^(warn|fail|crit)|RemoteTierConnection" $R/$1 | grep -v -e "^--" -e "^warn" -e "^info" -e "^fail" \
    | sed -E 's/block [0-9a-f]{32}/block <key>/' | cut -c1-260 | sort | uniq -c; }
cleanup() { for f in pid gpid rpid; do [ -f $R/$f ] && kill -9 $(cat $R/$f) 2>/dev/null; done; wait 2>/dev/null
  if [ -n "${KVT_DRILL_KEEP:-}" ]; then echo "logs kept in $R"; else rm -rf $R; fi; }
trap cleanup EXIT

garnet
if part 0-3; then
echo "== 0. six sessions on DRAM 1 MiB + flash 1 MiB + Garnet; the next turn of sessions 1 and 6"
srv s0.log $REMOTE; logs s0.log
h0=$(rhits); turns a 1 2 3 4 5 6 >/dev/null; echo "   new sessions 1-6: $(rread "$h0")"; turns b 1 6; faults
echo "   Garnet holds $(resp DBSIZE) keys"

echo "== 1. Garnet killed (kill -9) mid-run: sessions 1 and 2 (on Garnet) and a new session 7"
garnet_kill
turns c 1 2 7; faults; echo "   /healthz: $(curl -s localhost:$PORT/healthz | cut -c1-40)"; logs s0.log | grep -v connected
echo "   Garnet restarted (empty); new sessions 8-13, then the next turn of session 8"
garnet; waitback s0.log
turns d 8 9 10 11 12 13 >/dev/null; keep d 8 9; turns e 8; faults; echo "   Garnet holds $(resp DBSIZE) keys"

echo "== 2. Garnet restarted empty under a running server (kill -9, start at once): sessions 8 and 9 send their last prompt again"
garnet_kill; garnet; sleep 1
turns d 8 9; same d-before d 8 9; faults; logs s0.log | grep -v connected

echo "== 3. values tampered with straight in Garnet: sessions 14-19 served, then 20 garbled and 20 swapped values"
turns g 14 15 16 17 18 19 >/dev/null; keep g 14 15 16 17 18 19; turns h 20 21 22 23 24 25 > /dev/null
python3 - "$DRILL" $GPORT $PW $NS <<'PY'
import random, sys
sys.path.insert(0, sys.argv[1]); from resp import Resp
port, pw, ns = int(sys.argv[2]), sys.argv[3], sys.argv[4]
cmd = Resp(port, pw).cmd; random.seed(2)
keys = sorted(cmd('KEYS', ns + ':*')); big = [k for k in keys if len(cmd('GET', k) or b'') > 4096]
picked = random.sample(big, 40)
for k in picked[:20]:  # garbled: one payload byte flipped (the header says the block, the checksum says otherwise)
    v = bytearray(cmd('GET', k)); v[64 + 1000] ^= 0xFF; cmd('SET', k, bytes(v))
for a, b in zip(picked[20:30], picked[30:40]):  # swapped: a genuine value of another block under this key, both ways
    va, vb = cmd('GET', a), cmd('GET', b); cmd('SET', a, vb); cmd('SET', b, va)
print(f"   {len(keys)} keys, {len(big)} of them chunks; 20 garbled, 20 swapped")
PY
turns g 14 15 16 17 18 19; same g-before g 14 15 16 17 18 19; faults
k9
fi

if part 4; then

echo "== 4. a wrong password, no password, and Garnet down at start"
for pw in ",password=not-the-password" ""; do # each should refuse at once: one line, exit 2
  ( cd "$APP" && timeout 60 dotnet "$DLL" --urls http://127.0.0.1:$PORT --AgentServer:Preset=tiny --AgentServer:ModelDirectory=$R \
    --KvTiering:FlashDirectory=$R/flash --KvTiering:Redis:Configuration=127.0.0.1:$GPORT$pw 2>&1 >/dev/null | cut -c1-400; echo "   exit ${PIPESTATUS[0]}" )
done
garnet_kill
srv s4.log $REMOTE; echo "   Garnet down: /healthz $(curl -s localhost:$PORT/healthz | cut -c1-30)"; logs s4.log
turns i 1 2 3 >/dev/null; turns j 1; faults
garnet; waitback s4.log; turns i 4 5 6 7 8 9 >/dev/null; turns k 4; faults; echo "   Garnet holds $(resp DBSIZE) keys"
k9
fi

if part 6; then
echo "== 6. values forged with valid checksums: each chunk on Garnet given another chunk's bytes, its header and XXH3 checksums"
echo "   recomputed (what a writer with the server's password but not the secret can do); without, then with an AuthenticationKey"
FPY=; for py in python3 /usr/bin/python3; do $py -c "import xxhash" 2>/dev/null && { FPY=$py; break; }; done
if [ -z "$FPY" ]; then echo "   skipped: forging needs XXH3 in Python (Debian: apt-get install python3-xxhash)"; else
for sealed in no yes; do
  NS=forge$$$sealed  # a namespace of its own, deleted after
  if [ $sealed = yes ]; then export KvTiering__Redis__AuthenticationKey=$(head -c 32 /dev/urandom | base64); fi
  echo "   -- AuthenticationKey: $sealed"
  srv s6$sealed.log $REMOTE --KvTiering:FlashDirectory=$R/flash6$sealed
  turns f 41 42 43 44 45 46 >/dev/null; keep f 41 42 43 44 45 46; turns x 47 48 49 50 51 52 >/dev/null
  $FPY - "$DRILL" $GPORT $PW $NS <<'PY'
import struct, sys, xxhash
sys.path.insert(0, sys.argv[1]); from resp import Resp
port, pw, ns = int(sys.argv[2]), sys.argv[3], sys.argv[4]
cmd = Resp(port, pw).cmd
values = {k: cmd('GET', k) for k in sorted(cmd('KEYS', ns + ':*'))}
def payload(v):  # a 64-byte header, a 48-byte seal when flag bit 0 is set, then the payload
    return v[64 + (48 if struct.unpack_from('<H', v, 6)[0] & 1 else 0):]
by_length = {}
for k, v in values.items():
    if v and len(v) > 4096:  # the snapshots' chunks (manifests and waypoints are small)
        by_length.setdefault(len(payload(v)), []).append(k)
forged = 0
for group in by_length.values():
    for k, donor in zip(group, group[1:] + group[:1]):  # each chunk gets the next one's bytes, none its own
        if donor == k: continue
        h, p = bytearray(values[k][:64]), payload(values[donor])  # its own key, parent and length
        struct.pack_into('<H', h, 6, 0)  # unsealed: the forger has no secret to seal with
        struct.pack_into('<Q', h, 48, xxhash.xxh3_64_intdigest(p))
        struct.pack_into('<Q', h, 56, xxhash.xxh3_64_intdigest(bytes(h[:56])))
        cmd('SET', k, bytes(h) + p); forged += 1
print(f"   {len(values)} keys; {forged} chunks forged, each with another chunk's bytes and valid checksums")
PY
  turns f 41 42 43 44 45 46 | sed 's/^/   /'; same f-before f 41 42 43 44 45 46; faults
  k9; unset KvTiering__Redis__AuthenticationKey
  python3 -c "import sys; sys.path.insert(0, '$DRILL'); from resp import Resp; c = Resp($GPORT, '$PW').cmd; [c('DEL', k) for k in c('KEYS', '$NS:*')]"
done
NS=drill$$  # part 5 goes on in the drill's namespace, with Garnet holding what it held before this part
fi
fi

part 5 || exit 0

echo "== 5. a slow remote: a TCP relay adding a delay to every reply from Garnet (operation timeout 250 ms)"
echo 0 > $R/delay
python3 - $RPORT $GPORT $R/delay <<'PY' &
import asyncio, sys, time
lport, gport, delay_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def delay():
    try: return float(open(delay_file).read()) / 1000
    except Exception: return 0.0
async def pipe(reader, writer, delayed):
    q = asyncio.Queue()
    async def deliver():  # a delay line: each chunk leaves `delay` after it came, in order
        while True:
            due, data = await q.get()
            if data is None: break
            await asyncio.sleep(max(0, due - time.monotonic())); writer.write(data); await writer.drain()
        writer.close()
    task = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            q.put_nowait((time.monotonic() + (delay() if delayed else 0), data))
    except ConnectionError: pass
    q.put_nowait((0, None)); await task
async def client(cr, cw):
    try:
        gr, gw = await asyncio.open_connection('127.0.0.1', gport)
        await asyncio.gather(pipe(cr, gw, False), pipe(gr, cw, True))
    except Exception: cw.close()
async def main():
    async with await asyncio.start_server(client, '127.0.0.1', lport): await asyncio.Future()
asyncio.run(main())
PY
echo $! > $R/rpid
srv s5.log --KvTiering:Redis:Configuration=127.0.0.1:$RPORT,password=$PW
turns l 31 32 33 34 35 36 >/dev/null; keep l 31 32; echo "   no delay:"; turns l 31 32 | sed 's/^/   /'
for d in $DELAYS; do
  echo $d > $R/delay; echo "   $d ms on every reply:"; h0=$(rhits); turns m$d 37 38 | sed 's/^/   /'
  echo "   sessions 37-38: $(rread "$h0")"; turns l 31 32 | sed 's/^/   /'; same l-before l 31 32; faults
  echo 0 > $R/delay; sleep 2
done
