#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ through SharpFuzz: builds the harness program, instruments KvTiering and
# KvTiering.Simulation, .Transfer, .Redis and .Extensions in its output with the `sharpfuzz` tool, writes the seeds
# and runs afl-fuzz per target (every target the program's `seeds` command writes, unless targets are named).
#   tests/KvTiering.Fuzz/afl.sh [seconds per target] [target ...]     (default: 30 s, every target)
# Needs afl-fuzz (Debian: apt-get install afl++) and the tool (dotnet tool install --global SharpFuzz.CommandLine
# --version 2.3.0). Exits 1 if AFL kept a crash; its inputs are in $KVT_AFL_OUT/<target>/default/crashes.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-30}"
shift || true
targets=("$@")
out="${KVT_AFL_OUT:-$(mktemp -d)/afl}"
export PATH="$PATH:$HOME/.dotnet/tools"

bin="$out/bin"
dotnet build tests/KvTiering.Fuzz/KvTiering.Fuzz.csproj -c Release -o "$bin" -v q -nologo > "$out.build.log" 2>&1 \
  || { cat "$out.build.log"; exit 1; }
# Seeds first: instrumented code runs only under the fuzzer.
dotnet "$bin/KvTiering.Fuzz.dll" seeds "$out/seeds"
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls "$out/seeds")
for lib in KvTiering.dll KvTiering.Simulation.dll KvTiering.Transfer.dll KvTiering.Redis.dll KvTiering.Extensions.dll; do
  sharpfuzz "$bin/$lib" > /dev/null
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_NO_AFFINITY=1 AFL_QUIET=1
crashed=0
for target in "${targets[@]}"; do
  afl-fuzz -V "$seconds" -t 10000 -m none -i "$out/seeds/$target" -o "$out/$target" \
    -- dotnet "$bin/KvTiering.Fuzz.dll" "$target" > "$out/$target.log" 2>&1 || { tail -20 "$out/$target.log"; exit 1; }
  stats="$out/$target/default/fuzzer_stats"
  execs=$(awk -F': *' '$1 ~ /^execs_done/ {print $2}' "$stats")
  paths=$(awk -F': *' '$1 ~ /^corpus_count/ {print $2}' "$stats")
  crashes=$(find "$out/$target/default/crashes" -type f -name 'id:*' | wc -l)
  echo "afl $target: $execs executions in ${seconds} s, $paths paths, $crashes crashes"
  [ "$crashes" -eq 0 ] || crashed=1
done
exit $crashed
