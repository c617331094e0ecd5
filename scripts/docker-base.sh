#!/usr/bin/env bash
# Builds, on a machine that reaches no container registry (CI here), local stand-ins for the
# Dockerfile's two base images, so that `docker build` needs no pull:
#   a Debian bookworm root made by `debootstrap --variant=minbase` (from Debian's mirror), plus
#   this machine's Node.js (node + npm) and its pinned cometbft, imported as one image.
# The Dockerfile takes it for both NODE_IMAGE and GO_IMAGE (its CometBFT stage copies the
# cometbft it finds there instead of building it). With internet, none of this is needed:
# `docker build .` pulls node:20-bookworm-slim and golang:1.24-bookworm.
#
#   bash scripts/docker-base.sh [IMAGE]        (default inferchain-base:local; needs root, a
#                                               running docker daemon, debootstrap, node, cometbft)
# The debootstrap tarball is kept in $INFERCHAIN_DOCKER_CACHE (default
# /var/cache/inferchain-docker) and reused; the script works without it.
set -euo pipefail
image="${1:-inferchain-base:local}"
cache="${INFERCHAIN_DOCKER_CACHE:-/var/cache/inferchain-docker}"
suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
want_comet="$(sed -n 's/^COMETBFT_VERSION="\${COMETBFT_VERSION:-v\(.*\)}"$/\1/p' "$(dirname "$0")/install-cometbft.sh")"

for tool in debootstrap docker node npm cometbft; do
  command -v "$tool" >/dev/null || { echo "docker-base: $tool not found" >&2; exit 1; }
done
have_comet="$(cometbft version | head -n1)"
[ "$have_comet" = "$want_comet" ] || { echo "docker-base: cometbft is $have_comet, want $want_comet (bash scripts/install-cometbft.sh)" >&2; exit 1; }
case "$(node --version)" in v20.*) ;; *) echo "docker-base: node $(node --version) is not Node.js 20 (the Dockerfile's base)" >&2; exit 1 ;; esac

stamp="node-$(node --version)+npm-$(npm --version)+cometbft-$have_comet"
if docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$image" 2>/dev/null | grep -qx "INFERCHAIN_BASE=$stamp"; then
  echo "==> $image is up to date ($stamp)"
  exit 0
fi

work="$(mktemp -d /tmp/inferchain-docker-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
tarball="$cache/debian-$suite-minbase.tar"
if [ ! -s "$tarball" ]; then
  echo "==> debootstrap --variant=minbase $suite ($mirror)"
  debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  if mkdir -p "$cache" 2>/dev/null; then
    tar -C "$work/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  fi
else
  echo "==> reusing $tarball"
  mkdir -p "$work/root"
  tar -C "$work/root" -xf "$tarball"
fi

echo "==> adding node $(node --version), npm $(npm --version), cometbft $have_comet"
root="$work/root"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules"
cp "$(readlink -f "$(command -v node)")" "$root/usr/local/bin/node"
cp -a "$(npm root -g)/npm" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cp "$(readlink -f "$(command -v cometbft)")" "$root/usr/local/bin/cometbft"
# This machine's CA bundle, for a TLS proxy on the way to the npm registry (the official image
# trusts the public CAs only; node's own list does not read the system's).
ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
env_ca=()
if [ -s "$ca" ]; then
  mkdir -p "$root/etc/ssl/certs"
  cp "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
  env_ca=(-c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
fi
# The official node image has a non-root user `node` (uid 1000); so does this one.
chroot "$root" /usr/sbin/useradd --uid 1000 --user-group --create-home --shell /bin/bash node

echo "==> docker import $image"
tar -C "$root" -c . | docker import "${env_ca[@]}" -c "ENV INFERCHAIN_BASE=$stamp" -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["node"]' - "$image" >/dev/null
docker image ls "$image"
