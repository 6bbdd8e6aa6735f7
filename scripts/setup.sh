#!/usr/bin/env bash
# Installs everything bench needs on this machine, idempotently: Node >= 22 (Node 24 from npm
# where the machine's is older), the npm dependencies (npm ci), the build (each when stale), and the local
# cloud's parts (moto, etcd, kube-apiserver/controller-manager/scheduler, kwok, tofu,
# Prometheus) into ~/.cache/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
echo "bench setup: node $(node --version) ($(command -v node))"
# npm ci again only when the lock file changed since the last install (it starts from nothing).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.bench-lock-hash ]] || [[ $(cat node_modules/.bench-lock-hash) != "$lock_hash" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.bench-lock-hash
fi
bash scripts/build-if-stale.sh
bash test/harness/install.sh
# Headless Chromium (Debian's) opens report.html in the tests, as a person would.
if ! command -v chromium >/dev/null 2>&1; then
  echo "bench setup: installing Debian's chromium (for the report tests)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }; } >/dev/null
fi
echo "bench setup: done. Run the tests with: bash scripts/test.sh"
echo "bench setup: to use bench from this shell: source scripts/node-env.sh && export PATH=\"$PWD/bin:\$PATH\""
