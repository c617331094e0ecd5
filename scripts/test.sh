#!/usr/bin/env bash
# `npm test`: builds, makes sure the pinned cometbft is installed, then runs every jest suite
# (unit, in-process lifecycle, fuzz, determinism lint, and integration tests on real CometBFT).
set -euo pipefail
source "$(dirname "$0")/ensure-setup.sh"
exec npx --no-install jest "$@"
