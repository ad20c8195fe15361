# syntax=docker/dockerfile:1
#
# One Dockerfile, one target per shipped binary, so each service is its own
# small image and scales on its own:
#
#   docker build --target api            -t pricewatch-api .
#   docker build --target scraper-worker -t pricewatch-scraper-worker .
#   docker build --target scheduler      -t pricewatch-scheduler .
#   docker build --target notifier       -t pricewatch-notifier .
#   docker build --target renderer       -t pricewatch-renderer .   # with Debian's Chromium
#   docker build --target cli            -t pricewatch-cli .   # `pricewatch migrate` and other admin commands
#
# docker-compose.prod.yml builds all of them (`docker compose build`). The
# dependency layer is cached by cargo-chef: editing the code rebuilds only the
# workspace crates, not the ~400 dependencies.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------- build stages
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS chef
WORKDIR /src
RUN cargo install --locked cargo-chef --version ^0.1

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer stays cached until Cargo.toml/Cargo.lock change.
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
# The demo shop is a dev/test tool and is not shipped.
RUN cargo build --release --locked \
        --package pricewatch-api \
        --package pricewatch-scraper-worker \
        --package pricewatch-scheduler \
        --package pricewatch-notifier \
        --package pricewatch-renderer \
        --package pricewatch-cli \
    && mkdir -p /out \
    && cp target/release/pricewatch-api \
          target/release/pricewatch-scraper-worker \
          target/release/pricewatch-scheduler \
          target/release/pricewatch-notifier \
          target/release/pricewatch-renderer \
          target/release/pricewatch \
          /out/

# ------------------------------------------------------------- runtime base
# Debian slim: glibc like the builder, CA certificates for the scraper and for
# SMTP/Sentry TLS (rustls reads the system roots), curl for HEALTHCHECK, tini
# as PID 1 so SIGTERM reaches the service and its graceful shutdown runs.
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# Versions are left to the Debian point release the base image pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pricewatch \
    && useradd --system --uid 10001 --gid pricewatch --no-create-home \
               --home-dir /nonexistent --shell /usr/sbin/nologin pricewatch
# Every image carries the admin CLI, so `docker compose exec api pricewatch …`
# and `kubectl exec deploy/…-api -- pricewatch …` work.
COPY --from=builder /out/pricewatch /usr/local/bin/pricewatch
ENV RUST_LOG=info \
    LOG_FORMAT=json
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--"]

# --------------------------------------------------------------- the services
FROM runtime AS api
COPY --from=builder /out/pricewatch-api /usr/local/bin/pricewatch-api
ENV API_BIND=0.0.0.0:8000
EXPOSE 8000
# Liveness only: a dead database must not mark the process unhealthy.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8000/health/live"]
CMD ["pricewatch-api"]

FROM runtime AS scraper-worker
COPY --from=builder /out/pricewatch-scraper-worker /usr/local/bin/pricewatch-scraper-worker
ENV SCRAPER_WORKER_HEALTH_BIND=0.0.0.0:8001
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8001/health/live"]
CMD ["pricewatch-scraper-worker"]

FROM runtime AS scheduler
COPY --from=builder /out/pricewatch-scheduler /usr/local/bin/pricewatch-scheduler
ENV SCHEDULER_HEALTH_BIND=0.0.0.0:8002
EXPOSE 8002
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8002/health/live"]
CMD ["pricewatch-scheduler"]

FROM runtime AS notifier
COPY --from=builder /out/pricewatch-notifier /usr/local/bin/pricewatch-notifier
ENV NOTIFIER_HEALTH_BIND=0.0.0.0:8003
EXPOSE 8003
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8003/health/live"]
CMD ["pricewatch-notifier"]

# Debian's Chromium, driven over DevTools; every request of the browser goes
# through the renderer's own SSRF-checking proxy. Its profiles live in /tmp.
FROM runtime AS renderer
USER root
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
USER 10001:10001
COPY --from=builder /out/pricewatch-renderer /usr/local/bin/pricewatch-renderer
ENV RENDERER_HEALTH_BIND=0.0.0.0:8004 \
    RENDERER_BIND=0.0.0.0:8005 \
    HOME=/tmp
EXPOSE 8004 8005
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8004/health/live"]
CMD ["pricewatch-renderer"]

# One-shot admin commands: `docker run pricewatch-cli parse-price`; the
# default applies the migrations and exits (the compose `migrate` service and
# the Helm migration Job run it).
FROM runtime AS cli
HEALTHCHECK NONE
ENTRYPOINT ["/usr/bin/tini", "--", "pricewatch"]
CMD ["migrate"]
