#!/usr/bin/env bash
# Builds the models this project makes itself (lib/models/mlp.ts) into models/.
# The committed models/*.onnx must be exactly what the code builds: `--check` verifies that
# without writing (CI); lib/models/build.test.ts checks it too.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.json
if [ ! -f dist/lib/models/build.js ]; then
  echo "dist/lib/models/build.js was not built: lib/ must be in tsconfig.json \"include\"" >&2
  exit 1
fi
node dist/lib/models/build.js "$@"
