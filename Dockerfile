# syntax=docker/dockerfile:1
#
# Open Paper Trading: one image for the API, the MCP endpoint, the execution engine and the
# projection workers; `serve --role all|api|engine` picks what a container runs.
# The app runs its TypeScript sources through tsx (bin/paper-trading.js), so there is no
# compile step and tsx stays in the runtime dependencies it is copied with.

ARG NODE_VERSION=20.20

# ── deps: the locked dependency tree ─────────────────────────────────────────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the native parts (argon2, esbuild) come as prebuilt platform packages.
RUN npm ci --ignore-scripts --no-audit --no-fund

# ── runtime: sources, dependencies, a non-root user ──────────────────────────────────────────
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
# Owned by root and read-only for the app user: the process cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
# DATA_DIR holds the embedded PGlite database (when DATABASE_URL is unset) and the generated
# JWT secret in development; it is the only place the app writes.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/paper-trading.js"]
CMD ["serve", "--role", "all"]
