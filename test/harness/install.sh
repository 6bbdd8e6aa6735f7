#!/usr/bin/env bash
# Installs the parts of the local cloud (see ../../../shared/DESIGN.md, "The local cloud") into a
# cache outside the repository, so every later run reuses them.
#
# Idempotent and resumable: each part writes a stamp naming its pinned version once it is
# complete; a part whose stamp matches is skipped, a part interrupted halfway is redone.
#
#   bash test/harness/install.sh [part ...]     parts: kube tofu kwok etcd prometheus moto
#
# Environment: BENCH_CACHE (default ~/.cache/bench) — binaries go to $BENCH_CACHE/sandbox/bin.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${BENCH_CACHE:-$HOME/.cache/bench}/sandbox
BIN=$CACHE/bin
STAMPS=$CACHE/stamps
mkdir -p "$BIN" "$STAMPS"

# Pinned versions. Kubernetes matches the default EKS version of the suites (1.34).
KUBE_VERSION=v1.34.4
TOFU_VERSION=v1.12.6
KWOK_VERSION=v0.8.0
MOTO_VERSION=5.2.5
ETCD_DEB=etcd-server
PROMETHEUS_DEB=prometheus

ALL_PARTS=(kube tofu kwok etcd prometheus moto)
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=("${ALL_PARTS[@]}")

fail() { # part, problem, fix
  echo "sandbox install: $1: $2" >&2
  echo "  fix: $3" >&2
  exit 1
}

need() { # part, command, fix
  command -v "$2" >/dev/null 2>&1 || fail "$1" "'$2' is not on PATH" "$3"
}

stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { printf '%s' "$2" >"$STAMPS/$1"; }

# Extracts one Debian package's files without installing it (no maintainer scripts, no
# system service started): the tool starts these binaries itself, on loopback.
extract_deb() { # part, package, dest
  local part=$1 pkg=$2 dest=$3 tmp
  need "$part" apt-get "run on Debian or Ubuntu, or put the binary in $BIN yourself"
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>"$tmp/err"); then
    # A fresh machine has empty package lists; refresh them once and retry.
    apt-get update >/dev/null 2>&1 || true
    (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>"$tmp/err") ||
      fail "$part" "apt-get download $pkg failed: $(tail -1 "$tmp/err")" "check that Debian's package archive is reachable ('apt-get update')"
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dest"
  rm -rf "$tmp"
}

go_build_env() {
  need "$1" go "install Go 1.26 or newer (https://go.dev/doc/install) and put it on PATH"
  export GOFLAGS=-trimpath CGO_ENABLED=0
}

install_kube() {
  local v=$KUBE_VERSION
  stamp_ok kube "$v" && return 0
  go_build_env kube
  local minor=${v#v1.}; minor=${minor%%.*}
  local pkg=k8s.io/component-base/version cpkg=k8s.io/client-go/pkg/version ld="-s -w"
  for p in $pkg $cpkg; do
    ld="$ld -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$HERE/build/kube" && go build -ldflags "$ld" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler) ||
    fail kube "go build of kube-apiserver/controller-manager/scheduler $v failed (output above)" "check 'go version' (1.24+) and that the Go module proxy is reachable, then rerun"
  "$BIN/kube-apiserver" --version | grep -q "$v" || fail kube "kube-apiserver does not report $v" "delete $BIN/kube-* and rerun"
  stamp_set kube "$v"
}

install_tofu() {
  local v=$TOFU_VERSION
  stamp_ok tofu "$v-release" && return 0
  go_build_env tofu
  # version.dev=no makes the binary report a release version instead of "-dev".
  (cd "$HERE/build/tofu" && go build -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$BIN/tofu" github.com/opentofu/opentofu/cmd/tofu) ||
    fail tofu "go build of OpenTofu $v failed (output above)" "check 'go version' (1.26+) and that the Go module proxy is reachable, then rerun"
  "$BIN/tofu" version | grep -q "OpenTofu ${v}\$" || fail tofu "the built tofu does not report $v" "delete $BIN/tofu and rerun"
  stamp_set tofu "$v-release"
}

# The directory of kwok's Go module (downloaded into the module cache if it is not there).
kwok_module_dir() {
  local dir
  dir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] && [ -d "$dir/kustomize" ] || fail kwok "the kwok module's files were not found" "rerun; check 'go mod download sigs.k8s.io/kwok@$KWOK_VERSION'"
  printf '%s' "$dir"
}

# kwok serves container logs from files named by Logs objects (--enable-crds=Logs), and pod
# port-forwards to where PortForward objects point (`bench grafana` on the local cloud); bench
# sandbox up installs their CRDs from here before kwok starts. Checked on every run, not
# stamped, so a cache built before the CRD was needed gets it too.
install_kwok_crds() {
  local f
  for f in kwok.x-k8s.io_logs.yaml kwok.x-k8s.io_portforwards.yaml; do
    [ -s "$CACHE/kwok-crds/$f" ] && continue
    go_build_env kwok
    local dir; dir=$(kwok_module_dir)
    mkdir -p "$CACHE/kwok-crds"
    install -m 0644 "$dir/kustomize/crd/bases/$f" "$CACHE/kwok-crds/$f.tmp"
    mv "$CACHE/kwok-crds/$f.tmp" "$CACHE/kwok-crds/$f"
  done
}

install_kwok() {
  local v=$KWOK_VERSION
  if ! stamp_ok kwok "$v+stages"; then
    go_build_env kwok
    GOBIN=$BIN go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$v" ||
      fail kwok "go install sigs.k8s.io/kwok/cmd/kwok@$v failed (output above)" "check that the Go module proxy is reachable, then rerun"
    # The kwok binary has no built-in stages: it needs Stage objects. Its module ships the
    # standard ones; take node-initialize, node-heartbeat, pod-ready and pod-delete from it
    # (not pod-complete: it would finish a workload Job's pod the moment it starts).
    local dir; dir=$(kwok_module_dir)
    [ -d "$dir/kustomize/stage" ] || fail kwok "the kwok module's stages were not found" "rerun; check 'go mod download sigs.k8s.io/kwok@$v'"
    rm -rf "$CACHE/kwok-stages" && mkdir -p "$CACHE/kwok-stages"
    for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml pod/fast/pod-delete.yaml; do
      install -m 0644 "$dir/kustomize/stage/$f" "$CACHE/kwok-stages/$(basename "$f")"
    done
    stamp_set kwok "$v+stages"
  fi
  install_kwok_crds
}

install_etcd() {
  local v; v=$(apt-cache policy "$ETCD_DEB" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$v" ] && [ "$v" != "(none)" ] || { apt-get update >/dev/null 2>&1 || true; v=$(apt-cache policy "$ETCD_DEB" | awk '/Candidate:/ {print $2}'); }
  stamp_ok etcd "$v" && return 0
  extract_deb etcd "$ETCD_DEB" "$CACHE/deb/etcd"
  install -m 0755 "$CACHE/deb/etcd/usr/bin/etcd" "$BIN/etcd"
  "$BIN/etcd" --version >/dev/null || fail etcd "the extracted etcd does not run" "delete $CACHE/deb/etcd and rerun"
  stamp_set etcd "$v"
}

install_prometheus() {
  local v; v=$(apt-cache policy "$PROMETHEUS_DEB" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$v" ] && [ "$v" != "(none)" ] || { apt-get update >/dev/null 2>&1 || true; v=$(apt-cache policy "$PROMETHEUS_DEB" | awk '/Candidate:/ {print $2}'); }
  stamp_ok prometheus "$v" && return 0
  extract_deb prometheus "$PROMETHEUS_DEB" "$CACHE/deb/prometheus"
  install -m 0755 "$CACHE/deb/prometheus/usr/bin/prometheus" "$BIN/prometheus"
  "$BIN/prometheus" --version >/dev/null 2>&1 || fail prometheus "the extracted prometheus does not run" "delete $CACHE/deb/prometheus and rerun"
  stamp_set prometheus "$v"
}

install_moto() {
  local v=$MOTO_VERSION venv=$CACHE/moto
  stamp_ok moto "$v" && return 0
  need moto python3 "install Python 3.9+ with the venv module"
  rm -rf "$venv"
  python3 -m venv "$venv" || fail moto "python3 -m venv failed" "install Python's venv module (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$v" ||
    fail moto "pip install moto[server]==$v failed (output above)" "check that PyPI is reachable, then rerun"
  ln -sf "$venv/bin/moto_server" "$BIN/moto_server"
  stamp_set moto "$v"
}

n=0
for part in "${PARTS[@]}"; do
  n=$((n + 1))
  case " ${ALL_PARTS[*]} " in *" $part "*) ;; *) fail "$part" "unknown part" "choose from: ${ALL_PARTS[*]}" ;; esac
  start=$(date +%s)
  echo "[$n/${#PARTS[@]}] $part ..."
  "install_$part"
  echo "[$n/${#PARTS[@]}] $part ready ($(($(date +%s) - start))s)"
done
echo "local cloud parts in $BIN"
