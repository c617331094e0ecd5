#!/usr/bin/env bash
# `npm test`: builds, makes sure the pinned cometbft is installed, then runs every jest suite
# (unit, in-process lifecycle, fuzz, determinism lint, and integration tests on real CometBFT),
# and last, when run without arguments, the docker-compose localnet (scripts/compose-test.sh:
# it says SKIPPED where no docker daemon can be had; INFERCHAIN_COMPOSE_TEST=0 skips it).
set -euo pipefail
source "$(dirname "$0")/ensure-setup.sh"
if [ $# -gt 0 ]; then exec npx --no-install jest "$@"; fi
rc=0
npx --no-install jest || rc=$?
bash "$root/scripts/compose-test.sh" || rc=$?
exit "$rc"
