#!/usr/bin/env bash
# The main job on the local cloud, on a fresh machine: install what is missing, start the local
# cloud, run a short Thyme benchmark on it (provision, deploy, verify, ramp / active / cool-down,
# teardown), and print where the run's journal and manifests are.
set -euo pipefail
cd "$(dirname "$0")/.."
# .ci/run has run it once already (BENCH_SETUP_DONE=1); a person running this file has not.
[[ ${BENCH_SETUP_DONE:-} == 1 ]] || bash scripts/setup.sh
source scripts/node-env.sh
export PATH="$PWD/bin:$PATH"
bench sandbox up
trap 'bench sandbox down >/dev/null' EXIT
thyme-bench run --target sandbox --ramp 20s --active 40s --cooldown 20s
echo "The run is in $(bench list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).runs[0].dir))')"
