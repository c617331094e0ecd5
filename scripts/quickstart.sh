#!/usr/bin/env bash
# `npm run quickstart`: a working single-node chain for a newcomer. Installs what is missing,
# creates a home (./.quickstart) with a funded key `alice`, prints where everything is, and
# runs the node and its inference sidecar in the foreground (Ctrl-C stops both; run again to
# continue the same chain, or with --reset to start over).
set -euo pipefail
source "$(dirname "$0")/ensure-setup.sh"
home="${INFERCHAIN_HOME:-$root/.quickstart}"
inferd() { node "$root/dist/cmd/inferd.js" "$@"; }

if [ "${1:-}" = "--reset" ]; then rm -rf "$home"; fi
if [ ! -f "$home/config/genesis.json" ]; then
  echo "==> creating $home"
  inferd init quickstart --chain-id inferchain-quickstart --home "$home" --timeout-commit 1s >/dev/null
  inferd keys add alice --home "$home" --output json 2>/dev/null >"$home/alice.json"
  inferd genesis add-account alice 1000000000000uinf --home "$home" >/dev/null
fi
alice="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).address)' "$home/alice.json")"

cat <<MSG

  inferchain quickstart node
  --------------------------
  home        $home
  funded key  alice = $alice   (1,000,000 INF; mnemonic in $home/alice.json)
  RPC         http://127.0.0.1:26657     (CometBFT, websocket at /websocket)
  gRPC        127.0.0.1:9090             (grpcurl -plaintext 127.0.0.1:9090 list)
  sidecar     log $home/sidecar.log, metrics http://127.0.0.1:26662/metrics
              (worker key "worker", registered for mlp-16x8 and silero-vad once blocks are made)

  In another terminal, buy an inference and wait for its result:
    npx inferd infer --model mlp-16x8 --input examples/mlp-input.json --from alice --wait --home $home
    npx inferd infer --model silero-vad --input examples/silero-input.json --from alice --wait --home $home

  and more:
    npx inferd query models list --home $home
    npx inferd query inference jobs --client $alice --home $home
    npx inferd query bank balances $alice --home $home
    npx inferd tx bank send alice infer1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqql8th9f 1000uinf --home $home --yes
    npx inferd status --home $home

MSG
exec node "$root/dist/cmd/inferd.js" start --home "$home" --with-sidecar
