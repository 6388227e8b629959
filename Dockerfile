# syntax=docker/dockerfile:1
#
# One image for the API and every worker pool:
#   API:    node dist/api/main.js                      (default CMD)
#   worker: node dist/workers/main.js --pool <name>    (orchestrator, default, ml, email, media)
#
# Stages: deps (all dependencies) -> build (tsc + prebuilt workflow bundle)
#         -> runtime (production dependencies + dist/, non-root).

# Node 24 LTS. package.json `engines` still accepts Node 20: the project's CI machine runs it.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: every dependency, dev ones included, for the build ------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build: compile TypeScript to dist/ and write dist/workflow-bundle.js -------------
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && test -f dist/api/main.js \
 && test -f dist/workers/main.js \
 && test -f dist/workflow-bundle.js

# ---- runtime: production dependencies and compiled output only -----------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    API_HOST=0.0.0.0 \
    API_PORT=3000 \
    ORCHESTRA_DATA_DIR=/app/data
WORKDIR /app

# Native modules (Temporal core bridge, sharp) ship prebuilt glibc binaries that npm
# picks for this platform; bookworm is glibc, so no compiler is needed here.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY --from=build /app/dist ./dist

# Writable data directory (named volume in docker-compose.yml) owned by the app user;
# everything else stays root-owned and read-only for it.
RUN mkdir -p /app/data && chown node:node /app/data

# The `node` user (uid 1000) comes with the official image.
USER node

EXPOSE 3000

# No image-level HEALTHCHECK: the same image runs workers, which serve no HTTP.
# docker-compose.yml gives the api service its own healthcheck on /health.
CMD ["node", "dist/api/main.js"]
