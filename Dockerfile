# syntax=docker/dockerfile:1
# Interlock: one image for the API (`interlock serve --no-worker`) and the worker (`interlock worker`).
# Build: docker build -t interlock .      Run the whole topology: docker compose -f deploy/docker-compose.yml up

FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PYTHON=/usr/local/bin/python3.11
WORKDIR /app
# dependencies first: this layer is reused until uv.lock changes (the client is a workspace member the lock names)
COPY pyproject.toml uv.lock README.md ./
COPY client ./client
RUN uv sync --locked --no-dev --no-install-project
COPY service ./service
COPY worker ./worker
RUN uv sync --locked --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin interlock
WORKDIR /app
COPY --from=build --chown=root:root /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=3002 INTERLOCK_LOG_FORMAT=json
USER 10001
EXPOSE 3002
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:3002/readyz', timeout=2)"]
CMD ["interlock", "serve", "--no-worker"]
