# One Dockerfile for the whole workspace: the TypeScript is built once (stage `build`), then
# each app gets a small runtime image with its production dependencies only.
#
#   docker build --target proxy   -t tcpbalancer/proxy:dev .
#   docker build --target backend -t tcpbalancer/backend:dev .
#   docker build --target client  -t tcpbalancer/client:dev .
#
# (docker-compose.yml does all three.) Configuration is by environment variables, each program
# under its own prefix (TCPB_PROXY_*, TCPB_BACKEND_*, TCPB_CLIENT_*), or by arguments after the
# image name; both go straight to node: ENTRYPOINT is the exec form,
# no shell in between, so `docker stop`'s SIGTERM reaches node and the app drains and exits 0.
# Run the images with an init (`docker run --init`, compose `init: true`, Kubernetes
# `shareProcessNamespace: true`): node as PID 1 drops a SIGTERM that arrives before its
# handlers are installed (the first ~0.3 s), and `docker stop` then waits and kills (137).
#
# No `# syntax=` line: BuildKit would fetch that frontend image from Docker Hub before every
# build, which fails offline and behind mirrors, for nothing this file needs (it uses only the
# built-in Dockerfile syntax, and builds the same with the classic builder).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# manifests: package.json of the root and every workspace, and the lockfile. `npm ci` needs
# all of them (the lockfile lists every workspace); copying nothing else keeps the install
# layers cached until a dependency changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/cli/package.json packages/cli/
COPY packages/job/package.json packages/job/
COPY packages/protocol/package.json packages/protocol/
COPY packages/proxy-protocol/package.json packages/proxy-protocol/
COPY packages/test-kit/package.json packages/test-kit/
COPY apps/proxy/package.json apps/proxy/
COPY apps/backend/package.json apps/backend/
COPY apps/client/package.json apps/client/
COPY tests/containers/package.json tests/containers/
COPY tests/deploy/package.json tests/deploy/
COPY tests/docs/package.json tests/docs/
COPY tests/packaging/package.json tests/packaging/
COPY tests/system/package.json tests/system/

# ---------------------------------------------------------------------------------------------
# build: every dependency (dev included), then `turbo run build` over the workspaces, once.
# No install scripts are needed: sharp, turbo and esbuild ship their binaries as optional
# platform packages.
FROM manifests AS build
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 CI=true
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json turbo.json ./
COPY packages/ packages/
COPY apps/ apps/
RUN npx turbo run build --filter='./apps/*' --output-logs=errors-only

# ---------------------------------------------------------------------------------------------
# Production dependencies, one set per app: the proxy and the client do not carry sharp and
# libvips. The app's devDependencies are deleted from its manifest first: `--omit=dev` alone
# still installs what a workspace reached through a devDependency needs (the test kit pulls
# sharp into the proxy and client images, 20+ MB), because that workspace is itself a
# production dependency of the root. npm ci accepts the lockfile's extra entries.
FROM manifests AS proxy-deps
RUN npm pkg delete devDependencies --workspace=@tcpbalancer/proxy \
 && npm ci --omit=dev --workspace=@tcpbalancer/proxy --no-audit --no-fund --ignore-scripts

FROM manifests AS backend-deps
RUN npm pkg delete devDependencies --workspace=@tcpbalancer/backend \
 && npm ci --omit=dev --workspace=@tcpbalancer/backend --no-audit --no-fund --ignore-scripts

FROM manifests AS client-deps
RUN npm pkg delete devDependencies --workspace=@tcpbalancer/client \
 && npm ci --omit=dev --workspace=@tcpbalancer/client --no-audit --no-fund --ignore-scripts

# ---------------------------------------------------------------------------------------------
# runtime: what the three app images share. The base image's `node` user (uid 1000) runs them;
# nothing under /app is writable by it.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
USER node

# ---------------------------------------------------------------------------------------------
FROM runtime AS proxy
ENV TCPB_PROXY_PORT=7000 TCPB_PROXY_METRICS_PORT=9100
COPY --from=proxy-deps /app/ ./
COPY --from=build /app/packages/cli/dist/ packages/cli/dist/
COPY --from=build /app/packages/job/dist/ packages/job/dist/
COPY --from=build /app/packages/proxy-protocol/dist/ packages/proxy-protocol/dist/
COPY --from=build /app/apps/proxy/dist/ apps/proxy/dist/
# The config file's JSON Schema, read by --config at run time (the package ships it in `files`).
COPY --from=build /app/apps/proxy/schema/ apps/proxy/schema/
EXPOSE 7000 9100
# /healthz on the metrics port; Node 20 has fetch, the slim image has no curl.
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TCPB_PROXY_METRICS_PORT||9100)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "apps/proxy/dist/main.js"]

# ---------------------------------------------------------------------------------------------
FROM runtime AS backend
# glibc malloc arenas make sharp's RSS balloon under load (field notes): two are plenty.
ENV TCPB_BACKEND_PORT=7100 TCPB_BACKEND_METRICS_PORT=9100 MALLOC_ARENA_MAX=2
COPY --from=backend-deps /app/ ./
COPY --from=build /app/packages/cli/dist/ packages/cli/dist/
COPY --from=build /app/packages/job/dist/ packages/job/dist/
COPY --from=build /app/packages/protocol/dist/ packages/protocol/dist/
COPY --from=build /app/packages/proxy-protocol/dist/ packages/proxy-protocol/dist/
COPY --from=build /app/apps/backend/dist/ apps/backend/dist/
EXPOSE 7100 9100
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TCPB_BACKEND_METRICS_PORT||9100)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "apps/backend/dist/main.js"]

# ---------------------------------------------------------------------------------------------
# The client is a batch job, not a service: no port, no health check. The bundled sample
# images come along, so `docker run tcpbalancer/client:dev --proxy HOST:7000 --input
# samples/in --dry-run` (or the Kubernetes Job) works without a volume.
FROM runtime AS client
COPY --from=client-deps /app/ ./
COPY --from=build /app/packages/cli/dist/ packages/cli/dist/
COPY --from=build /app/packages/job/dist/ packages/job/dist/
COPY --from=build /app/packages/protocol/dist/ packages/protocol/dist/
COPY --from=build /app/apps/client/dist/ apps/client/dist/
COPY samples/in/ samples/in/
HEALTHCHECK NONE
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "apps/client/dist/main.js"]
