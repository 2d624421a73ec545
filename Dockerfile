# The enforcement registry as an image: build with the dev dependencies, run with the production ones.
#   docker build -t enforcement-registry .
#   docker run -p 127.0.0.1:3000:3000 -e REGISTRY_ADMIN_TOKEN=… -v registry-data:/data enforcement-registry
# Nothing is fetched when the container starts: dependencies, the compiled service and the migrations
# are all in the image. test/unit/dockerfile.test.ts checks these rules, and
# test/process/image-runtime.test.ts performs the runtime stage's steps in a scratch folder.

# ---- build: TypeScript → dist/
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, dist/, migrations; a non-root user
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# The operators' npm scripts (db:migrate, audit:verify, import, …) run it first; without src/ it builds nothing.
COPY scripts/build-if-stale.mjs ./scripts/build-if-stale.mjs
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/server.js"]
