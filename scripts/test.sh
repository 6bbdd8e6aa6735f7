#!/usr/bin/env bash
# Runs every test (build, type check, lint, unit, integration and end-to-end on the local
# cloud) with Node >= 22. Run scripts/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
npm test
