# syntax=docker/dockerfile:1
# Build stage: dev dependencies, TypeScript build and web bundle.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY public ./public
RUN npm run build

# Runtime stage: production dependencies only, non-root.
FROM node:22-slim AS runtime
# The command's socket lives outside the volume (beside /data there is only /, which node cannot write):
# `docker exec <container> node bin/confidant.js …` reaches the running service through it.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data FILES_DIR=/files ADMIN_SOCKET=/run/confidant/admin.sock
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public
COPY migrations ./migrations
COPY bin ./bin
RUN mkdir -p /data /files /run/confidant && chown node:node /data /files /run/confidant && chmod 700 /files /run/confidant
USER node
VOLUME ["/data", "/files"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/server/main.js"]
