# meshgate: the GraphQL gateway, with GraphiQL served from the image (no CDN).
#
#   docker build -t meshgate .
#   docker run --rm -p 8000:8000 meshgate        # then open http://127.0.0.1:8000/graphql

# --- Stage 1: GraphiQL's scripts and styles, the versions package-lock.json pins --------
FROM node:20-bookworm-slim AS graphiql-assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev
# Keep only the files the page loads: the allow-list in gateway/http/graphiql.py
# (ASSET_FILES; tests/services/test_dockerfile.py checks the two lists agree).
RUN mkdir -p /assets/node_modules \
    && cd node_modules \
    && cp --parents \
        react/umd/react.production.min.js \
        react-dom/umd/react-dom.production.min.js \
        js-cookie/dist/js.cookie.min.js \
        graphiql/graphiql.min.css \
        graphiql/graphiql.min.js \
        @graphiql/plugin-explorer/dist/style.css \
        @graphiql/plugin-explorer/dist/index.umd.js \
        /assets/node_modules/

# --- Stage 2: the gateway -----------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 meshgate \
    && useradd --system --uid 10001 --gid meshgate --home-dir /var/lib/meshgate \
        --create-home --shell /usr/sbin/nologin meshgate

WORKDIR /app
# The same pinned dependencies as `make install` (pyproject.toml), without the test extras.
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY schema ./schema
COPY resolvers ./resolvers
COPY contracts ./contracts
COPY productkit ./productkit
RUN pip install . && rm -rf build *.egg-info

COPY --from=graphiql-assets /assets/node_modules /app/node_modules

# The package is installed in site-packages, so say where the assets are; the registry
# lives in the meshgate user's home (mount a volume there to keep it).
ENV MESHGATE_ASSETS_DIR=/app \
    MESHGATE_REGISTRY_URL=sqlite:////var/lib/meshgate/registry.db

USER meshgate
WORKDIR /var/lib/meshgate
VOLUME ["/var/lib/meshgate"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["meshgate", "serve", "--host", "0.0.0.0"]
