#!/usr/bin/env bash
# The docker-compose localnet, for real: builds the image, brings docker-compose.yml up (4
# validators and their sidecars, host networking, on port offset 56: a native `npm run
# localnet` uses 0..3, the jest integration tests and benchmarks 20..149), then checks
#   0. docker-compose.yml is scripts/compose-file.sh's output for 4 and passes `config -q`
#   1. every node makes blocks (healthy containers), and the 4 validators are in the set
#   2. every sidecar serves (its worker registered, its models loaded)
#   3. a job submitted by the host's CLI (`inferd infer --wait`) gets its result
#   4. with one validator container stopped the chain goes on, and once started again that
#      node resumes from its kept home and catches up
#   5. `down` and `up` again continue the same chain
# and cleans up whatever it started (containers, its docker daemon, mounts, temp dirs), even on
# failure. Run by `npm test` (scripts/test.sh) and .ci/run.
#
# Docker: a daemon reachable with the usual settings (DOCKER_HOST, or /var/run/docker.sock) is
# used as it is, and the image is built the ordinary way (base images pulled). Otherwise, as
# root with dockerd installed, the script starts its own daemon in a temp dir (host networking
# only: no bridge, no iptables) and builds the image on a local base (scripts/docker-base.sh:
# debootstrap + this machine's node and cometbft), since no registry is reachable here.
# With neither, it prints SKIPPED and exits 0, unless INFERCHAIN_COMPOSE_TEST=required (CI).
#   INFERCHAIN_COMPOSE_TEST=0            skip
#   INFERCHAIN_DOCKER_BASE=local|pull    force the base images' source
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
t0=$SECONDS
say() { printf 'compose-test [%4ss]: %s\n' "$((SECONDS - t0))" "$*"; }
skip() {
  if [ "${INFERCHAIN_COMPOSE_TEST:-}" = required ]; then
    say "FAILED: cannot run: $*"
    exit 1
  fi
  say "SKIPPED: $* (CI runs it: .ci/run installs docker.io and docker-compose)"
  exit 0
}
[ "${INFERCHAIN_COMPOSE_TEST:-}" != 0 ] || skip "INFERCHAIN_COMPOSE_TEST=0"
command -v docker-compose >/dev/null || skip "docker-compose is not installed (apt-get install docker-compose)"
command -v docker >/dev/null || skip "the docker client is not installed (apt-get install docker.io)"

OFFSET=56
VALIDATORS=4
PROJECT=inferchain-compose-test
CHAIN_ID=inferchain-compose-test
IMAGE=inferchain:compose-test
RESTARTED=2 # the validator stopped and started again

tmp="$(mktemp -d /tmp/inferchain-compose.XXXXXX)"
own_daemon=""
compose_up=""
dc() { docker-compose -p "$PROJECT" -f "$root/docker-compose.yml" "$@"; }

cleanup() {
  local rc=$?
  set +e
  if [ -n "$compose_up" ]; then
    if [ "$rc" != 0 ]; then
      say "diagnostics:"
      dc ps
      dc logs --no-color --tail 25 2>&1 | tail -n 250
    fi
    timeout 120 docker-compose -p "$PROJECT" -f "$root/docker-compose.yml" down --volumes --remove-orphans -t 20 >"$tmp/down.log" 2>&1 || cat "$tmp/down.log"
  fi
  if [ -n "$own_daemon" ]; then
    local pid
    pid="$(cat "$tmp/docker.pid" 2>/dev/null || true)"
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null
    fi
    [ "$rc" = 0 ] || { say "dockerd log (tail):"; tail -n 20 "$tmp/dockerd.log"; }
    # Whatever the daemon left mounted under its roots (netns, overlay layers), deepest first.
    awk -v t="$tmp/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  else
    docker image rm "$IMAGE" >/dev/null 2>&1
  fi
  rm -rf "$tmp"
  [ "$rc" = 0 ] || say "FAILED (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- a docker daemon
if docker info >/dev/null 2>&1; then
  base="${INFERCHAIN_DOCKER_BASE:-pull}"
else
  [ "$(id -u)" = 0 ] || skip "no docker daemon reachable, and starting one needs root"
  command -v dockerd >/dev/null || skip "no docker daemon reachable and no dockerd to start (apt-get install docker.io)"
  own_daemon=1
fi

# One compose test at a time on a machine (they share the port offset).
lock=/tmp/inferchain-compose-test.lock
[ -e "$lock" ] || { : >"$lock" && chmod 0666 "$lock"; } 2>/dev/null || true
[ -w "$lock" ] || lock="/tmp/inferchain-compose-test.$(id -u).lock"
exec 9>>"$lock"
if ! flock -w 1200 9; then say "FAILED: another compose test held $lock for 20 minutes"; exit 1; fi

if [ -z "$own_daemon" ]; then
  say "using the docker daemon at ${DOCKER_HOST:-the default socket}"
else
  say "starting dockerd in $tmp (host networking only: no bridge, no iptables)"
  export DOCKER_HOST="unix://$tmp/docker.sock"
  dockerd --iptables=false --ip6tables=false --bridge=none --ip-masq=false \
    --data-root "$tmp/data" --exec-root "$tmp/exec" -H "$DOCKER_HOST" --pidfile "$tmp/docker.pid" >"$tmp/dockerd.log" 2>&1 &
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -n 20 "$tmp/dockerd.log"; say "FAILED: dockerd did not start"; exit 1; }
  base="${INFERCHAIN_DOCKER_BASE:-local}"
fi

# ---------------------------------------------------------------- the host side: CLI and ports
source "$root/scripts/ensure-setup.sh" >/dev/null
cd "$root"
inferd() { node "$root/dist/cmd/inferd.js" "$@"; }
port() { # port NAME NODE → that node's port (client/home.ts portsFor)
  node -e 'const { portsFor } = require(process.argv[1]); console.log(portsFor(Number(process.argv[3]))[process.argv[2]])' "$root/dist/client/home.js" "$1" "$((OFFSET + $2))"
}
rpc() { echo "http://127.0.0.1:$(port rpc "$1")"; }
for i in $(seq 0 $((VALIDATORS - 1))); do
  for p in p2p rpc abci grpc metrics cometMetrics sidecarMetrics; do
    n="$(port "$p" "$i")"
    if (exec 3<>"/dev/tcp/127.0.0.1/$n") 2>/dev/null; then say "FAILED: port $n (node $i's $p) is in use"; exit 1; fi
  done
done
status() { # status NODE → "height catching_up", or "-1 ?" when the RPC does not answer
  curl -s --max-time 3 "$(rpc "$1")/status" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { const i = JSON.parse(s).result.sync_info; console.log(i.latest_block_height, i.catching_up); } catch { console.log("-1 ?"); }
    });'
}
height() { status "$1" | cut -d' ' -f1; }
wait_until() { # wait_until SECONDS WHAT CMD... : polls CMD each second
  local limit=$1 what=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    if [ $SECONDS -ge $end ]; then say "FAILED: $what: not within ${limit}s"; return 1; fi
    sleep 1
  done
}
all_at() { # all_at H [NODE...] → every listed node (default: all) at height ≥ H
  local h=$1 i nodes
  shift
  if [ $# -gt 0 ]; then nodes=("$@"); else mapfile -t nodes < <(seq 0 $((VALIDATORS - 1))); fi
  for i in "${nodes[@]}"; do [ "$(height "$i")" -ge "$h" ] || return 1; done
}
passed=()
pass() { passed+=("$1"); say "ok: $1"; }

# ---------------------------------------------------------------- the files
diff -u "$root/docker-compose.yml" <(bash "$root/scripts/compose-file.sh" "$VALIDATORS") >"$tmp/compose.diff" || {
  cat "$tmp/compose.diff"
  say "FAILED: docker-compose.yml is not \`bash scripts/compose-file.sh $VALIDATORS\`'s output"
  exit 1
}
dc config -q || { say "FAILED: docker-compose config -q"; exit 1; }

# ---------------------------------------------------------------- the image
t=$SECONDS
build_args=()
if [ "$base" = local ]; then
  say "building the local base image (scripts/docker-base.sh)"
  bash "$root/scripts/docker-base.sh" inferchain-base:local >"$tmp/base.log" 2>&1 || { tail -n 30 "$tmp/base.log"; say "FAILED: base image"; exit 1; }
  build_args=(--build-arg NODE_IMAGE=inferchain-base:local --build-arg GO_IMAGE=inferchain-base:local)
fi
say "docker build -t $IMAGE ($base base images)"
DOCKER_BUILDKIT=0 docker build --network host "${build_args[@]}" -t "$IMAGE" "$root" >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; say "FAILED: docker build"; exit 1; }
say "image built in $((SECONDS - t))s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }'))"
[ "$(docker run --rm --entrypoint id "$IMAGE" -u)" != 0 ] || { say "FAILED: the image runs as root"; exit 1; }
docker run --rm --entrypoint cometbft "$IMAGE" version | grep -qx "$(cometbft version | head -n1)" || { say "FAILED: the image's cometbft is not the pinned one"; exit 1; }

# ---------------------------------------------------------------- up
mkdir -p "$tmp/homes"
export INFERCHAIN_IMAGE="$IMAGE" INFERCHAIN_DATA="$tmp/homes" INFERCHAIN_PORT_OFFSET="$OFFSET" INFERCHAIN_CHAIN_ID="$CHAIN_ID" INFERCHAIN_TIMEOUT_COMMIT=500ms
if [ "$(id -u)" = 0 ]; then export INFERCHAIN_UID=1000 INFERCHAIN_GID=1000; else export INFERCHAIN_UID="$(id -u)" INFERCHAIN_GID="$(id -g)"; fi
t=$SECONDS
compose_up=1
dc up -d --no-build 2>&1 | sed 's/^/  /'
say "docker-compose up -d returned after $((SECONDS - t))s"
[ "$(stat -c %u "$tmp/homes/node0/config/genesis.json")" = "$INFERCHAIN_UID" ] || { say "FAILED: the homes are not owned by $INFERCHAIN_UID"; exit 1; }

# 1. blocks on every node, 4 validators
wait_until 180 "height 3 on every node" all_at 3
vals="$(curl -s "$(rpc 0)/validators" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).result.total))')"
[ "$vals" = "$VALIDATORS" ] || { say "FAILED: $vals validators in the set, want $VALIDATORS"; exit 1; }
for i in $(seq 0 $((VALIDATORS - 1))); do
  health="$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q "node$i")")"
  [ "$health" = healthy ] || { say "FAILED: node$i's container is $health, not healthy"; exit 1; }
done
pass "blocks on all $VALIDATORS healthy nodes (heights$(for i in $(seq 0 $((VALIDATORS - 1))); do printf ' %s' "$(height "$i")"; done)), $vals validators"

# 2. sidecars
sidecars_up() {
  local i
  for i in $(seq 0 $((VALIDATORS - 1))); do curl -sf --max-time 2 "http://127.0.0.1:$(port sidecarMetrics "$i")/metrics" >/dev/null || return 1; done
}
wait_until 240 "every sidecar serving metrics" sidecars_up
pass "all $VALIDATORS sidecars serve (workers registered, models loaded)"

# 3. a job from the host's CLI
inferd infer --model mlp-16x8 --input examples/mlp-input.json --from validator --wait --timeout 120 --home "$tmp/homes/node0" --output json >"$tmp/job.json" 2>"$tmp/job.err" || {
  cat "$tmp/job.err" "$tmp/job.json"
  say "FAILED: inferd infer"
  exit 1
}
node -e '
  const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const ok = ["JOB_STATUS_RESULT_POSTED", "JOB_STATUS_FINALIZED"].includes(j.status) && j.worker && j.output && Object.keys(j.output).length > 0;
  if (!ok) { console.error("compose-test: no result in", JSON.stringify(j)); process.exit(1); }
  console.log(`job ${j.job_id}: ${j.status} by ${j.worker}, blocks ${j.blocks}, output ${JSON.stringify(j.output).slice(0, 120)}`);
' "$tmp/job.json" | sed 's/^/  /'
pass "job through the host's CLI got its result"

# 4. one validator stopped, the chain goes on; started again, it resumes and catches up
others=()
for i in $(seq 0 $((VALIDATORS - 1))); do [ "$i" = "$RESTARTED" ] || others+=("$i"); done
h_own="$(height "$RESTARTED")"
dc stop -t 20 "node$RESTARTED" 2>&1 | sed 's/^/  /'
h_stop="$(height 0)"
wait_until 120 "the chain going on without node$RESTARTED" all_at $((h_stop + 10)) "${others[@]}"
pass "chain went on from $h_stop to $(height 0) without node$RESTARTED"
dc start "node$RESTARTED" 2>&1 | sed 's/^/  /'
rpc_back() { [ "$(height "$RESTARTED")" -ge 0 ]; }
wait_until 60 "node$RESTARTED's RPC back" rpc_back
h_back="$(height "$RESTARTED")"
[ "$h_back" -ge "$h_own" ] || { say "FAILED: node$RESTARTED came back at height $h_back, below its $h_own before the stop: its home was not kept"; exit 1; }
target="$(height 0)"
caught_up() { local s; s="$(status "$RESTARTED")"; [ "${s%% *}" -ge "$target" ] && [ "${s#* }" = false ]; }
wait_until 120 "node$RESTARTED catching up to $target" caught_up
wait_until 60 "node$RESTARTED keeping up" all_at $((target + 5))
pass "node$RESTARTED restarted at height $h_back and caught up (now $(height "$RESTARTED"), node0 $(height 0))"

# 5. down, up: the same chain goes on
h_down="$(height 0)"
dc down -t 20 2>&1 | sed 's/^/  /'
dc up -d --no-build 2>&1 | sed 's/^/  /'
wait_until 180 "blocks past $h_down after down/up" all_at $((h_down + 3))
pass "down and up again: the chain went on past $h_down on every node"

say "passed (${#passed[@]} checks) in $((SECONDS - t0))s"
