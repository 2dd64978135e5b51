# syntax=docker/dockerfile:1
# One image for the API (the default command), the workers and the migrations:
#   docker build -t bailanys .
#   docker run bailanys                                   # API on port 3000
#   docker run bailanys node dist/workers/main.js         # workers (run any number)
#   docker run bailanys node dist/src/cli/migrate.js      # migrations; the API refuses an unmigrated database
# All of them need DATABASE_URL and REDIS_URL; docker-compose.yml wires everything together.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no lifecycle scripts in production (msgpackr-extract, the one dependency with
# an install script, loads its prebuilt binary without it).
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
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
