#!/usr/bin/env bash
# Prints docker-compose.yml for N validators (default 4, the committed file, which
# scripts/compose-test.sh checks against this output). For another N, from the repository root:
#   bash scripts/compose-file.sh 7 > compose-7.yml && docker compose -f compose-7.yml up -d
set -euo pipefail
n="${1:-4}"
[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 50 ] || { echo "usage: compose-file.sh [validators 1..50]" >&2; exit 2; }
last=$((n - 1))
cat <<EOF
# An inferchain localnet of $n validators in containers: \`docker compose up -d\` (or docker-compose).
# Written by \`bash scripts/compose-file.sh $n\` (another N makes another network size).
#
#   init        one-shot: \`inferd localnet init\` writes the homes ./.compose/node0..$last (one
#               genesis, each validator staked, its operator key \`validator\` and sidecar key
#               \`worker\`); skipped when the homes exist, so \`down\` and \`up\` continue the chain
#   node0..$last    validator i: the ABCI app and its CometBFT (\`inferd start\`), healthy once
#               CometBFT answers /status
#   sidecar0..$last validator i's inference sidecar: registers its worker key, then runs the models
#
# Host networking (Linux only): every container binds 127.0.0.1 on its node's ports, as the
# native \`inferd localnet\` does, so the CLI on the host reaches them with the keys and
# client.toml in ./.compose/nodeI. Node i's ports are these + 100·(K + i), K = INFERCHAIN_PORT_OFFSET:
#   26656 / 26657   CometBFT p2p / RPC
#   26658           ABCI (app <-> CometBFT)
#   9090            gRPC (+ reflection)
#   26660 / 26661   CometBFT / app metrics
#   26662           sidecar metrics
#
# Settings (environment or .env): INFERCHAIN_DATA (./.compose), INFERCHAIN_PORT_OFFSET (0),
# INFERCHAIN_CHAIN_ID (inferchain-localnet), INFERCHAIN_TIMEOUT_COMMIT (1s), INFERCHAIN_ACCOUNTS
# ("ADDR=COINS ..." funded at genesis), INFERCHAIN_UID / INFERCHAIN_GID (1000: who owns the
# homes and runs the nodes; set your own \`id -u\` / \`id -g\` to read the keys from the host),
# INFERCHAIN_IMAGE (inferchain:local). scripts/compose-test.sh runs this file for real.

x-inferchain: &inferchain
  image: \${INFERCHAIN_IMAGE:-inferchain:local}
  network_mode: host
  init: true
  entrypoint: ["inferchain-node"]
  user: "\${INFERCHAIN_UID:-1000}:\${INFERCHAIN_GID:-1000}"
  volumes:
    - \${INFERCHAIN_DATA:-./.compose}:/data
  restart: unless-stopped

x-healthcheck: &healthcheck
  interval: 5s
  timeout: 5s
  retries: 5
  start_period: 60s

services:
  init:
    <<: *inferchain
    build: .     # the one service that builds the image; the others run it
    command: ["init"]
    # root only to hand the homes (a bind mount docker may have made as root) to INFERCHAIN_UID
    user: "0:0"
    restart: "no"
    environment:
      INFERCHAIN_VALIDATORS: "$n"
      INFERCHAIN_CHAIN_ID: \${INFERCHAIN_CHAIN_ID:-inferchain-localnet}
      INFERCHAIN_PORT_OFFSET: \${INFERCHAIN_PORT_OFFSET:-0}
      INFERCHAIN_TIMEOUT_COMMIT: \${INFERCHAIN_TIMEOUT_COMMIT:-1s}
      INFERCHAIN_ACCOUNTS: \${INFERCHAIN_ACCOUNTS:-}
      INFERCHAIN_UID: \${INFERCHAIN_UID:-1000}
      INFERCHAIN_GID: \${INFERCHAIN_GID:-1000}
EOF
for i in $(seq 0 "$last"); do
  cat <<EOF

  node$i:
    <<: *inferchain
    command: ["node", "$i"]
    depends_on: { init: { condition: service_completed_successfully } }
    healthcheck: { <<: *healthcheck, test: ["CMD", "inferchain-node", "healthy", "$i"] }
  sidecar$i:
    <<: *inferchain
    command: ["sidecar", "$i"]
    depends_on: { node$i: { condition: service_healthy } }
EOF
done
