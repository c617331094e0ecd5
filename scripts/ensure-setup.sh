#!/usr/bin/env bash
# Makes a checkout runnable: node_modules (npm ci), dist/ (tsc) and the pinned cometbft.
# Cheap when everything is already there. Sourced by quickstart.sh and test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci
fi
if [ ! -f dist/cmd/inferd.js ] || [ -n "$(find base x app lib client sidecar server cmd gen bench test/support -name '*.ts' -newer dist/cmd/inferd.js -print -quit 2>/dev/null)" ]; then
  echo "==> npm run build"
  npm run build
fi
bash scripts/install-cometbft.sh
gobin="$(go env GOBIN 2>/dev/null || true)"
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
