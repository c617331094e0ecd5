# inferchain node image: `inferd` (the ABCI app, the CLI and the inference sidecar), the pinned
# `cometbft`, the built-in models (models/ and the silero model inside node_modules) and the
# chain's .proto files (proto/, for gRPC reflection).
# It runs as the non-root user `node` (uid 1000); homes go under /data (a volume).
#
#   docker build -t inferchain .           (pulls node:20-bookworm-slim and golang:1.24-bookworm)
#
# Without a registry (CI here) scripts/compose-test.sh builds a local base with
# scripts/docker-base.sh and passes it as both NODE_IMAGE and GO_IMAGE; that base already
# holds the pinned cometbft, which the CometBFT stage then copies instead of building.
# Only Dockerfile features of the legacy builder are used (no BuildKit mounts or heredocs).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG GO_IMAGE=golang:1.24-bookworm

# ---- CometBFT, the version pinned in scripts/install-cometbft.sh
FROM ${GO_IMAGE} AS cometbft
ARG COMETBFT_VERSION=v0.38.25
RUN set -eu; mkdir -p /out; \
    if command -v cometbft >/dev/null 2>&1 && [ "$(cometbft version)" = "${COMETBFT_VERSION#v}" ]; then \
      cp "$(command -v cometbft)" /out/cometbft; \
    else \
      GOBIN=/out go install "github.com/cometbft/cometbft/cmd/cometbft@${COMETBFT_VERSION}"; \
    fi; \
    /out/cometbft version

# ---- the TypeScript build, then production dependencies only
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# Install scripts are skipped here (the root's `prepare` would build before the sources are
# copied) and run afterwards for the packages that need them at run time.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild classic-level protobufjs
COPY tsconfig.json ./
COPY base base
COPY x x
COPY app app
COPY lib lib
COPY client client
COPY sidecar sidecar
COPY server server
COPY cmd cmd
COPY gen gen
COPY bench bench
COPY test/support test/support
# onnxruntime-node ships macOS and Windows binaries too (220 MB): not needed on Linux.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v6/darwin node_modules/onnxruntime-node/bin/napi-v6/win32

# ---- the runtime image
FROM ${NODE_IMAGE}
RUN id -u node >/dev/null 2>&1 || useradd --uid 1000 --user-group --create-home --shell /bin/bash node; \
    mkdir -p /data && chown node:node /data
WORKDIR /app
COPY --from=cometbft /out/cometbft /usr/local/bin/cometbft
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
COPY bin bin
COPY proto proto
COPY models models
COPY examples examples
COPY scripts/docker-entrypoint.sh /usr/local/bin/inferchain-node
RUN ln -s /app/bin/inferd.js /usr/local/bin/inferd && chmod 0755 /app/bin/inferd.js /usr/local/bin/inferchain-node
ENV NODE_ENV=production COMETBFT_BIN=/usr/local/bin/cometbft
USER node
VOLUME /data
# CometBFT p2p/RPC, ABCI, app metrics, sidecar metrics, CometBFT metrics, gRPC (node i: + 100·i)
EXPOSE 26656 26657 26658 26660 26661 26662 9090
ENTRYPOINT ["inferd"]
CMD ["--help"]
