#!/usr/bin/env bash
# `pnpm test:containers` (run through with-dockerd.sh): builds the offline
# stand-in base images if they are not cached yet, then runs the container
# tests (jest.containers.config.js) and prints the run's figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
scripts/containers/standins.sh
export CONTAINER_FIGURES_FILE="$PWD/.tmp/containers/figures.jsonl"
rm -f "$CONTAINER_FIGURES_FILE"
status=0
NODE_OPTIONS="--experimental-vm-modules --no-warnings" pnpm exec jest -c jest.containers.config.js --runInBand "$@" || status=$?
echo
echo "Container test figures:"
[[ -f "$CONTAINER_FIGURES_FILE" ]] && node -e '
  const seen = new Set();
  for (const line of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) {
    const { subject, what, value } = JSON.parse(line);
    // Test files that share an image each ask for it; its first build is the figure.
    if (seen.has(subject + what)) continue;
    seen.add(subject + what);
    console.log(`  ${subject.padEnd(14)} ${what.padEnd(18)} ${value}`);
  }' "$CONTAINER_FIGURES_FILE"
echo "  wall time (stand-ins, builds, tests): $(( $(date +%s) - started )) s"
exit $status
