#!/usr/bin/env bash
# Everything CI checks: set up, then
#   1. a Release build and the whole test suite,
#   2. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. each fuzz target for a short time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)

echo "== Release build and tests"
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
ctest --test-dir build --output-on-failure --parallel "$jobs" --timeout 600

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DAETHEL_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$jobs" --timeout 1200

echo "== Fuzzing"
bash scripts/fuzz.sh "${AETHEL_FUZZ_SECONDS:-45}"
