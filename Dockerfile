# syntax=docker/dockerfile:1
# The relay as a container: `node dist/server.js` on 0.0.0.0:3000, with production dependencies only.
#   docker build -t c1fapp-relay .
#   docker run --rm --stop-timeout 35 -p 3000:3000 -e SECRET_KEY=… c1fapp-relay
# Node 24, as the Lambda runtime in template.yaml (Node 20 reached its end of life in April 2026).

# Build stage: every dependency (TypeScript included), then dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY *.ts ./
COPY lib ./lib
COPY plugins ./plugins
COPY clients ./clients
COPY routes ./routes
COPY simulator ./simulator
COPY bin ./bin
RUN npm run build

# Runtime stage: the production dependencies the lock file pins (no install scripts run), and dist/.
FROM node:24-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image's unprivileged user (uid 1000); the files stay root's, read-only to the relay.
USER node
EXPOSE 3000
# Slim images have no curl: node asks /watchdog, which echoes the Health-Check header, where the
# relay listens: HOST itself, or loopback when HOST is every address (0.0.0.0, ::).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const h = process.env.HOST || '127.0.0.1'; const host = h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '[::1]' : h.includes(':') ? '[' + h + ']' : h; fetch('http://' + host + ':' + (process.env.PORT || 3000) + '/watchdog', { headers: { 'Health-Check': 'docker' } }).then(r => r.json()).then(b => process.exit(b.data === 'docker' ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself (no npm or shell in between); close-with-grace
# then lets calls in flight finish (SHUTDOWN_GRACE_MS, 25 s by default) and closes the server:
# stop the container with `docker stop -t 35` (Docker kills it after 10 s by default). Node's
# default options, as `npm start`'s (package.json; docs/performance.md says why).
CMD ["node", "dist/server.js"]
