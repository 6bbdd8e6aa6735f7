#!/usr/bin/env bash
# Runs every test (build, type check, lint, unit, integration and end-to-end on the local
# cloud) with Node >= 22. Works on a fresh machine: scripts/setup.sh installs what is missing
# first (idempotent; seconds when everything is cached).
set -euo pipefail
cd "$(dirname "$0")/.."
# .ci/run has run it once already (BENCH_SETUP_DONE=1); a person running this file has not.
[[ ${BENCH_SETUP_DONE:-} == 1 ]] || bash scripts/setup.sh
source scripts/node-env.sh
npm test
