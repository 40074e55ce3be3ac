# syntax=docker/dockerfile:1
# Build: docker build -t opsbot .
# Run:   docker run --env-file .env -p 3000:3000 opsbot            (Socket Mode; /healthz on 3000)
#        docker run --env-file .env -p 3000:3000 opsbot run --mode http

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/opsbot
COPY requirements.lock ./
RUN /opt/opsbot/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
COPY sandbox ./sandbox
COPY opsbot ./opsbot
RUN /opt/opsbot/bin/pip install --no-deps --no-build-isolation .

FROM python:3.11.14-slim-bookworm
LABEL org.opencontainers.image.title="opsbot" \
      org.opencontainers.image.description="Chat-ops for a data mesh on AWS"
ENV PATH=/opt/opsbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OPSBOT_DATABASE_URL=sqlite:////data/opsbot.db \
    OPSBOT_PORT=3000
RUN groupadd --system --gid 10001 opsbot \
    && useradd --system --uid 10001 --gid opsbot --home-dir /data --create-home opsbot
COPY --from=build /opt/opsbot /opt/opsbot
USER 10001:10001
WORKDIR /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('OPSBOT_PORT', '3000')}/healthz\", timeout=4)"]
# SIGTERM drains requests in flight, then stops the scheduler and listener pool.
STOPSIGNAL SIGTERM
ENTRYPOINT ["opsbot"]
CMD ["run", "--mode", "socket"]
