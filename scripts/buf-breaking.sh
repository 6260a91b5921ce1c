#!/usr/bin/env bash
# buf breaking: the contract in the working tree against the contract as last
# released on main (the commit in proto/released-contract). Move that commit
# forward only to release a deliberate, announced break.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BUF_BREAKING_AGAINST:-$(tr -d '[:space:]' < proto/released-contract)}"
if ! git cat-file -e "${base}^{commit}" 2>/dev/null; then
  echo "buf breaking: commit $base (proto/released-contract) is not in this clone; clone with full history" >&2
  exit 1
fi
exec npx buf breaking --against ".git#ref=${base}"
