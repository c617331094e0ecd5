#!/usr/bin/env bash
# `inferchain-node` inside the image: the roles of docker-compose.yml's services.
#   inferchain-node init        write the localnet homes /data/node0..N-1 once (`inferd localnet
#                               init`), then give them to $INFERCHAIN_UID:$INFERCHAIN_GID; a no-op
#                               when /data/node0 has a genesis already, so `up` again continues
#   inferchain-node node I      run validator I (`inferd start`: the app and its CometBFT)
#   inferchain-node sidecar I   once node I makes blocks, register its worker key (if genesis did
#                               not) and run its inference sidecar
#   inferchain-node healthy I   exit 0 when node I's CometBFT answers /status (the health check)
# Settings (environment): INFERCHAIN_VALIDATORS (4), INFERCHAIN_CHAIN_ID (inferchain-localnet),
# INFERCHAIN_PORT_OFFSET (0: node i on the default ports + 100·i), INFERCHAIN_TIMEOUT_COMMIT (1s),
# INFERCHAIN_ACCOUNTS ("ADDR=COINS ..." funded in genesis), INFERCHAIN_UID/GID (1000).
set -euo pipefail
data=/data
role="${1:-}"
i="${2:-}"
home="$data/node$i"
case "$role" in
  init | node | sidecar | healthy) ;;
  *) exec inferd "$@" ;;
esac
if [ "$role" != init ] && ! [[ "$i" =~ ^[0-9]+$ ]]; then
  echo "usage: inferchain-node $role <node index>" >&2
  exit 2
fi

case "$role" in
  init)
    if [ -f "$data/node0/config/genesis.json" ]; then
      echo "homes in $data exist (chain $(node -p 'require("/data/node0/config/genesis.json").chain_id')): continuing that chain"
      exit 0
    fi
    if [ -n "$(ls -A "$data")" ]; then
      echo "$data is not empty but has no node0 genesis: remove its contents (docker compose down; rm -rf the data dir) and start again" >&2
      exit 1
    fi
    args=(--validators "${INFERCHAIN_VALIDATORS:-4}" --output "$data" --chain-id "${INFERCHAIN_CHAIN_ID:-inferchain-localnet}"
      --timeout-commit "${INFERCHAIN_TIMEOUT_COMMIT:-1s}" --port-offset "${INFERCHAIN_PORT_OFFSET:-0}")
    for a in ${INFERCHAIN_ACCOUNTS:-}; do args+=(--account "$a"); done
    inferd localnet init "${args[@]}"
    if [ "$(id -u)" = 0 ]; then chown -R "${INFERCHAIN_UID:-1000}:${INFERCHAIN_GID:-1000}" "$data"; fi
    ;;
  node)
    [ -f "$home/config/genesis.json" ] || { echo "no home $home (the init service writes it)" >&2; exit 1; }
    exec inferd start --home "$home"
    ;;
  sidecar)
    # The same registration as `inferd localnet start` (client/worker.ts), then the sidecar in
    # the foreground so that its log is the container's.
    node -e '
      const { ensureWorkerRegistered, waitForHeight } = require("/app/dist/client/worker.js");
      const { readClientConfig } = require("/app/dist/client/home.js");
      const home = process.argv[1];
      const rpcUrl = readClientConfig(home).node.replace(/^tcp:\/\//, "http://");
      (async () => {
        await waitForHeight(rpcUrl, 1, 600_000);
        const r = await ensureWorkerRegistered(home, { rpcUrl });
        console.log(`${r.registered ? "registered" : "found"} worker ${r.worker} of ${r.operator} for ${r.modelIds.join(", ")}`);
      })().catch((e) => { console.error(e.message ?? e); process.exit(1); });
    ' "$home"
    exec inferd sidecar --home "$home"
    ;;
  healthy)
    exec node -e '
      const toml = require("fs").readFileSync(process.argv[1] + "/config/client.toml", "utf8");
      const rpc = /^node\s*=\s*"tcp:\/\/([^"]+)"/m.exec(toml)[1];
      fetch(`http://${rpc}/status`, { signal: AbortSignal.timeout(3000) })
        .then((r) => r.json())
        .then((b) => process.exit(b.result && b.result.sync_info ? 0 : 1), () => process.exit(1));
    ' "$home"
    ;;
esac
