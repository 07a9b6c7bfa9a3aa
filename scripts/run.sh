#!/usr/bin/env bash
# The main job: set up, build, and verify every example program with the
# same judge the network runs, printing each verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
status=0
./build/apps/aethel/aethel check examples/*.ae || status=$?
# The corpus holds refuted and invalid programs on purpose, so exit status 1
# (something not PROVED) and 2 (an INVALID file) are the expected outcomes
# here; anything else is a failure of the judge itself.
case $status in
  0|1|2) echo "run: aethel check finished with status $status (see README: 0 all PROVED, 1 some not PROVED, 2 some INVALID)" ;;
  *) echo "run: aethel check failed with status $status" >&2; exit "$status" ;;
esac
