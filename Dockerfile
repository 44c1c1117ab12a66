# Folio: one image for `folio serve`, `folio worker` and `folio db upgrade`, built from uv.lock.
# docker build -t folio .   (see deploy/compose.yaml)

# --- build: the locked environment, then the project, compiled to bytecode --------------------------
FROM python:3.12-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is reused until pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY domain ./domain
COPY application ./application
COPY adapters ./adapters
COPY entrypoints ./entrypoints
COPY migrations ./migrations
RUN uv sync --frozen --no-dev && python -m compileall -q domain application adapters entrypoints migrations

# --- runtime: no build tools, a user of its own ------------------------------------------------------
FROM python:3.12-slim AS runtime
RUN groupadd --system --gid 10001 folio \
    && useradd --system --uid 10001 --gid folio --home-dir /app --shell /usr/sbin/nologin folio
WORKDIR /app
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /app/var && chown folio:folio /app/var
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FOLIO_VAR_DIR=/app/var \
    FOLIO_HOST=0.0.0.0 \
    FOLIO_WORKER_METRICS_HOST=0.0.0.0
USER folio:folio
EXPOSE 8000 9191
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health/ready', timeout=2)"]
CMD ["folio", "serve"]
