# Image of the KubeFed control plane: kubefed-controller-manager, kubefed-webhook and kubefedctl.
# Build: docker build -t kubefed-ts:$(node -p "require('./package.json').version") .
# The Helm chart (charts/kubefed) runs both Deployments from it.

FROM node:20-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json vite.config.ts ./
COPY src ./src
# The dashboard's front end, bundled into dist/dashboard-ui by the build (no CDN at run time).
COPY web ./web
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The commands on PATH under the names the chart and the docs use.
RUN chmod +x dist/cli/controller-manager.js dist/cli/webhook.js dist/cli/kubefedctl/main.js \
 && ln -s /app/dist/cli/controller-manager.js /usr/local/bin/kubefed-controller-manager \
 && ln -s /app/dist/cli/webhook.js /usr/local/bin/kubefed-webhook \
 && ln -s /app/dist/cli/kubefedctl/main.js /usr/local/bin/kubefedctl
# Non-root, numeric so that runAsNonRoot can verify it (the chart runs as 1001:1001).
USER 1001:1001
ENTRYPOINT []
CMD ["kubefed-controller-manager", "--help"]
