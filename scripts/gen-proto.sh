#!/usr/bin/env bash
# Regenerates gen/ (TypeScript, by ts-proto) from proto/inferchain. Never edit gen/ by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf gen
npx --no-install buf generate --template buf.gen.yaml --path proto/inferchain
echo "generated: $(find gen -name '*.ts' | wc -l) files in gen/"
