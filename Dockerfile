# Interlock image: uv-built virtualenv, non-root user. (First draft; healthcheck and worker in issue 9.)
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:latest /uv /usr/local/bin/uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY service ./service
COPY worker ./worker
RUN uv sync --locked --no-dev

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 interlock
WORKDIR /app
COPY --from=build /app /app
ENV PATH="/app/.venv/bin:$PATH" HOST=0.0.0.0
USER interlock
EXPOSE 3002
CMD ["interlock", "serve", "--no-worker"]
