#!/usr/bin/env bash
# Installs everything bench needs on this machine, idempotently: Node >= 22 (Node 24 from npm
# where the machine's is older), the npm dependencies (npm ci), the build, and the local
# cloud's parts (moto, etcd, kube-apiserver/controller-manager/scheduler, kwok, tofu,
# Prometheus) into ~/.cache/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
echo "bench setup: node $(node --version) ($(command -v node))"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
bash test/harness/install.sh
echo "bench setup: done. Run the tests with: bash scripts/test.sh"
echo "bench setup: to use bench from this shell: source scripts/node-env.sh && export PATH=\"$PWD/bin:\$PATH\""
