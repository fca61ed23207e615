#!/usr/bin/env bash
# Builds the pinned Kubernetes test/dev toolchain (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok, helm) from the Go module proxy into a cache directory outside the repo.
#
#   hack/toolchain.sh [build]   build what is missing (a no-op when everything is built)
#   hack/toolchain.sh dir       print the bin directory (whether or not it is built)
#   hack/toolchain.sh check     exit 0 when everything is built, 1 otherwise
#
# The cache directory is keyed by the pinned versions and the wrapper modules' go.mod/go.sum, so a
# version bump builds into a new directory and never mixes binaries. Override the cache root with
# KUBEFED_TOOLCHAIN_CACHE (default: ${XDG_CACHE_HOME:-$HOME/.cache}/kubefed-ts/toolchain).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/toolchain"
# shellcheck source=toolchain/versions.env
. "$src/versions.env"

components=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok helm)

key=$(cat "$src/versions.env" "$src/kube/go.mod" "$src/kube/go.sum" "$src/etcd/go.mod" "$src/etcd/go.sum" \
  | sha256sum | cut -c1-12)
root=${KUBEFED_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubefed-ts/toolchain}
dir="$root/k8s-$KUBE_VERSION-$key"
bin="$dir/bin"

complete() {
  for c in "${components[@]}"; do [ -x "$bin/$c" ] || return 1; done
  [ -f "$dir/kwok-stages.yaml" ]
}

cmd=${1:-build}
case "$cmd" in
  dir) echo "$bin"; exit 0 ;;
  check) complete; exit $? ;;
  build) ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "toolchain.sh: unknown command '$cmd' (use build, dir or check)" >&2; exit 2 ;;
esac

if complete; then
  echo "toolchain: up to date in $bin"
  exit 0
fi

command -v go >/dev/null || { echo "toolchain: 'go' is not on PATH; install Go >= 1.24 to build the local clusters" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath
mkdir -p "$bin"
start=$SECONDS

# step NAME CMD...: runs CMD with a heartbeat so a cold build shows which component and how long.
step() {
  local name=$1; shift
  local t0=$SECONDS log="$dir/build-$name.log"
  printf 'toolchain: building %s ...\n' "$name"
  ( while sleep 30; do printf 'toolchain:   still building %s (%ds)\n' "$name" $((SECONDS - t0)); done ) &
  local ticker=$!
  if ! "$@" >"$log" 2>&1; then
    kill "$ticker" 2>/dev/null || true
    echo "toolchain: building $name FAILED after $((SECONDS - t0))s; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  printf 'toolchain: built %s in %ds\n' "$name" $((SECONDS - t0))
}

kube_minor=${KUBE_VERSION#v1.}; kube_minor=${kube_minor%%.*}
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$kube_minor -X $p.gitTreeState=clean"
done

build_kube() { (cd "$src/kube" && go build -p "$(nproc)" -ldflags "$ld" -o "$bin/$1.tmp" "./cmd/$1" && mv "$bin/$1.tmp" "$bin/$1"); }
build_etcd() { (cd "$src/etcd" && go build -ldflags "-s -w" -o "$bin/etcd.tmp" . && mv "$bin/etcd.tmp" "$bin/etcd"); }
build_gobin() { # build_gobin NAME PKG@VERSION LDFLAGS
  local tmp="$dir/gobin-$1"; mkdir -p "$tmp"
  GOBIN="$tmp" go install -ldflags "$3" "$2" && mv "$tmp/$1" "$bin/$1" && rmdir "$tmp"
}
# kwok needs stage definitions (v0.8 exits "no stages found" without them): the module's "fast" set
# (kustomize/stage/fast = node/fast + node/heartbeat-with-lease + pod/fast), concatenated into one stream.
kwok_stages() {
  local kdir; kdir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  : >"$dir/kwok-stages.yaml.tmp"
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    [ -f "$kdir/kustomize/stage/$f.yaml" ] || { echo "kwok stage $f.yaml not found under $kdir/kustomize/stage"; return 1; }
    { echo "---"; cat "$kdir/kustomize/stage/$f.yaml"; } >>"$dir/kwok-stages.yaml.tmp"
  done
  mv "$dir/kwok-stages.yaml.tmp" "$dir/kwok-stages.yaml"
}

[ -x "$bin/etcd" ] || step etcd build_etcd
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -x "$bin/$c" ] || step "$c" build_kube "$c"
done
[ -x "$bin/kwok" ] || step kwok build_gobin kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" \
  "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
[ -f "$dir/kwok-stages.yaml" ] || step kwok-stages kwok_stages
[ -x "$bin/helm" ] || step helm build_gobin helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
  "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"

complete || { echo "toolchain: build finished but $bin is incomplete" >&2; exit 1; }
echo "toolchain: ready in $bin (built in $((SECONDS - start))s)"
