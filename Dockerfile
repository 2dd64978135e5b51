# syntax=docker/dockerfile:1
# One image for the API (the default command), the workers and the migrations:
#   docker build -t bailanys .
#   docker run bailanys                                   # API on port 3000
#   docker run bailanys node dist/workers/main.js         # workers (run any number)
#   docker run bailanys node dist/src/cli/migrate.js      # migrations; the API refuses an unmigrated database
# All of them need DATABASE_URL and REDIS_URL; docker-compose.yml wires everything together.
#
# Docker cannot run on the CI machines: scripts/rehearse-image.sh repeats the final stage's steps
# without it (the same scripts/image-install.sh, the same files copied, the same commands run).
# Change one, change the other.

# Every stage starts from this one image, so the native addons compiled in `deps` run on exactly
# the Node and glibc they were built against.
FROM node:20-bookworm-slim AS base
WORKDIR /app

# Compiles the TypeScript. No native addon is loaded here, so no install script runs (and no
# build tools are needed).
FROM base AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# The production node_modules, native addons compiled from source: argon2's prebuilt binary
# segfaults on load on Debian 12 with Node 20 (see scripts/image-install.sh). The build tools stay
# in this stage; only node_modules goes on.
FROM base AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts/image-install.sh ./scripts/
RUN --mount=type=cache,target=/root/.npm bash scripts/image-install.sh

FROM base
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
# Only the service: dist/dev (the fake Twilio) and dist/bench stay out of the production image.
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/workers ./dist/workers
COPY --from=build /app/migrations ./migrations
# Page templates and their CSS are read at run time from src/views.
COPY --from=build /app/src/views ./src/views
USER node
EXPOSE 3000
# /healthz answers as soon as the process serves HTTP (/readyz also checks PostgreSQL and Redis).
# The slim image has no curl: Node's fetch does it. Workers have no HTTP server: compose disables
# this check for them.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
