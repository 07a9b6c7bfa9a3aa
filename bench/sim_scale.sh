#!/usr/bin/env bash
# sim_scale.sh [AETHEL_BINARY]: the simulator's scale benchmark.
#
# N = 1,000 and N = 10,000 validators with equal stake, f = floor((N-1)/3)
# of them silent, 50 ms +- 10 ms one-way latency, 1 Gbit/s per node, CPU
# costs measured on this machine at start-up (printed in cpu_costs_us), the
# collector vote pattern with relayed certificates (the default above 64
# nodes). Prints one JSON object: the machine, then each run's full result
# (finality in simulated time, wall time and peak memory of the simulation).
#
# Targets: N = 1,000 finality p50 < 1 s; N = 10,000 finality p50 < 3 s, and
# 5 blocks simulated in under 15 minutes of wall time and 16 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
aethel=${1:-build/apps/aethel/aethel}
if [[ ! -x $aethel ]]; then
  echo "sim_scale.sh: $aethel not found; build first (scripts/build.sh build -DCMAKE_BUILD_TYPE=Release)" >&2
  exit 2
fi
seed=${AETHEL_SIM_SEED:-1}

run() {
  local nodes=$1 blocks=$2
  local faulty=$(( (nodes - 1) / 3 ))
  "$aethel" sim --nodes "$nodes" --byzantine "$faulty" --strategy silent \
    --latency-ms 50 --jitter-ms 10 --bandwidth-mbps 1000 --loss 0 \
    --blocks "$blocks" --seed "$seed" --json
}

status=0
small=$(run 1000 10) || status=1
large=$(run 10000 5) || status=1
cat <<JSON
{
  "benchmark": "sim_scale",
  "machine": {"cores": $(nproc), "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"},
  "runs": [
$small,
$large
  ]
}
JSON
exit $status
