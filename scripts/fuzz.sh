#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer targets with clang (ASan + UBSan)
# and runs each for SECONDS (default 30) from its seed corpus. Any crash,
# leak or timeout fails the run and leaves the input in build-fuzz/findings.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DAETHEL_FUZZ=ON -DAETHEL_TESTS=OFF >/dev/null
# Every folder under fuzz/ with a corpus is a target named fuzz_<folder>.
targets=()
for dir in fuzz/*/corpus; do targets+=("$(basename "$(dirname "$dir")")"); done
cmake --build build-fuzz --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"
mkdir -p build-fuzz/findings
for target in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "fuzz/$target/corpus/." "$work/"
  echo "fuzz: fuzz_$target for ${seconds}s"
  log=build-fuzz/fuzz_$target.log
  status=0
  ./build-fuzz/fuzz/$target/fuzz_$target "$work" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=70000 -artifact_prefix=build-fuzz/findings/ -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ *DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" "$log" || true
  rm -rf "$work"
  [ "$status" -eq 0 ] || tail -40 "$log" >&2
  if [ "$status" -ne 0 ]; then
    echo "fuzz: fuzz_$target found a failure (status $status); inputs in build-fuzz/findings" >&2
    exit 1
  fi
done
echo "fuzz: no findings"
