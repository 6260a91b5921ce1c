#!/usr/bin/env bash
# Runs "$@" against a Docker Engine of our own: a dockerd on a socket in a
# fresh temp folder (so any other Docker on the machine is left alone), no
# bridge and no iptables rules (containers use host networking on loopback),
# its data-root in the stand-in cache (so images survive between runs).
# Stops that dockerd by its pid when the command ends.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/cache-dir.sh"

command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io (or run .ci/run)" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || { echo "dockerd needs root here" >&2; exit 1; }

mkdir -p "$CONTAINER_CACHE"
# One dockerd per data-root: a second run on this machine waits its turn.
exec 9>"$CONTAINER_CACHE/lock"
flock -w 1800 9 || { echo "another container run holds $CONTAINER_CACHE/lock" >&2; exit 1; }

run_dir="$(mktemp -d /tmp/fm-dockerd.XXXXXX)"
dockerd --data-root "$CONTAINER_CACHE/docker" --exec-root "$run_dir/exec" \
  --host "unix://$run_dir/docker.sock" --pidfile "$run_dir/dockerd.pid" \
  --iptables=false --ip-masq=false --bridge=none >"$run_dir/dockerd.log" 2>&1 &
dockerd_pid=$!

stop_dockerd() {
  kill "$dockerd_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$dockerd_pid" 2>/dev/null || true
  # dockerd may leave its network namespace mount behind.
  awk -v dir="$run_dir/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l || true
  rm -rf "$run_dir" || true
}
trap stop_dockerd EXIT

export DOCKER_HOST="unix://$run_dir/docker.sock"
for _ in $(seq 1 120); do
  docker version >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || { cat "$run_dir/dockerd.log" >&2; exit 1; }
  sleep 0.5
done
docker version >/dev/null || { tail -20 "$run_dir/dockerd.log" >&2; exit 1; }
echo "dockerd $dockerd_pid on $DOCKER_HOST (data-root $CONTAINER_CACHE/docker)" >&2
"$@"
