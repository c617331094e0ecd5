#!/usr/bin/env bash
# Installs the pinned CometBFT binary with `go install`; a no-op when that
# version is already on PATH (or in $(go env GOPATH)/bin).
set -euo pipefail

COMETBFT_VERSION="${COMETBFT_VERSION:-v0.38.25}"
want="${COMETBFT_VERSION#v}"

gobin="$(go env GOBIN 2>/dev/null || true)"
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"

if command -v cometbft >/dev/null 2>&1; then
  have="$(cometbft version 2>/dev/null | head -n1 | tr -d '[:space:]')"
  if [ "$have" = "$want" ]; then
    echo "cometbft $have already installed at $(command -v cometbft)"
    exit 0
  fi
  echo "found cometbft '$have', want $want: reinstalling"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is needed to build CometBFT (https://go.dev/dl/)" >&2
  exit 1
fi

echo "installing cometbft $COMETBFT_VERSION with go install (a few minutes the first time)"
go install "github.com/cometbft/cometbft/cmd/cometbft@${COMETBFT_VERSION}"
echo "cometbft $(cometbft version) installed at $gobin/cometbft"
case ":$PATH:" in
  *":$gobin:"*) ;;
esac
