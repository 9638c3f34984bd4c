# syntax=docker/dockerfile:1
#
# Rally detector: the Discord bot with the in-process scheduler (daily scan,
# weekly retrain), plus `scanner` and `retrainer` for one-off commands
# (`docker compose run --rm bot scanner health`).
#
#   docker build -t rally-detector .          # BuildKit (Docker >= 23)
#   podman build --format docker -t rally-detector .   # keeps the HEALTHCHECK
#   docker run --rm --env-file .env -v rally-models:/data/models rally-detector
#
# The state directory is /data (the bot keeps its state under its working
# directory: models/, data_cache/, logs/); /data/models (live models and the
# SQLite store models/rally.db) is the volume. DATABASE_URL=postgres://...
# moves the store to PostgreSQL (see compose.yaml and README "Deploy").
# `deploy/check-image.sh` lints this file and runs the same entry command on
# the host.

# The toolchain the project is developed and tested with (the MSRV,
# `rust-version` in Cargo.toml, is 1.85). Builder and runtime must be the same
# Debian release: the binaries link the builder's glibc.
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
# rust:*-slim ships gcc and libc6-dev, all the C the build needs (SQLite is
# bundled, TLS is rustls with aws-lc built by `cc`, no OpenSSL, no cmake).
WORKDIR /src
# A workspace of 22 members: copying the manifests first would mean listing
# every one; the cache mounts below keep the registry and the incremental
# target directory between builds instead.
COPY . .
# Empty = cargo's default (all cores); `--build-arg BUILD_JOBS=2` on small hosts.
ARG BUILD_JOBS=
# target/ is a cache mount (gone after this step): copy the binaries out,
# without the release profile's line tables (330 MB -> about a third; panic
# messages still name the file and line).
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked ${BUILD_JOBS:+--jobs "$BUILD_JOBS"} \
        -p discord-bot -p scanner -p retrainer \
 && install -D -m 0755 -t /out \
        target/release/discord-bot target/release/scanner target/release/retrainer \
 && strip --strip-debug /out/*

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: Yahoo, the alert backends and Discord are reached over
# rustls, which verifies against the system roots. tini: PID 1 that forwards
# SIGTERM (`docker stop`) to the bot and reaps children, so no `--init` is
# needed. No font packages: rally-plot draws its charts with Noto Sans
# embedded in the binary (the ttf-noto-sans crate), never a system font.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

# A fixed non-root uid/gid, so a bind-mounted state directory can be
# prepared on the host: `chown -R 10001:10001 ./models`.
ARG RALLY_UID=10001
RUN groupadd --system --gid "${RALLY_UID}" rally \
 && useradd --system --uid "${RALLY_UID}" --gid rally --home-dir /data \
        --no-create-home --shell /usr/sbin/nologin rally \
 && install -d -o rally -g rally -m 0750 /data /data/models /data/data_cache /data/logs

COPY --from=build /out/ /usr/local/bin/
# Universe files for `retrainer --universe-file /usr/local/share/rally/universe/us_large_caps.csv`.
COPY fixtures/universe/ /usr/local/share/rally/universe/

# The bot reads every setting from the environment (or /data/.env): pass
# DISCORD_BOT_TOKEN and the alert settings with --env-file / env_file.
# The scheduler is on by default; ENABLE_SCHEDULER=0 turns it off (e.g. when
# systemd timers run the scanner and retrainer against the same store).
ENV ENABLE_SCHEDULER=1
USER ${RALLY_UID}:${RALLY_UID}
WORKDIR /data
VOLUME ["/data/models"]

# The detector's health, not just the process's: `scanner health` exits 1
# when the store (SQLite file or PostgreSQL) cannot be opened, a live model is
# stale or corrupt, or the newest bar / last scan is too many weekdays old;
# missing models (before the first retrain) are not a failure. It reads local
# state only (no network). The bot itself serves no HTTP endpoint; it ends
# the process (non-zero) when its token is rejected or Discord cannot be
# reached within DISCORD_CONNECT_TIMEOUT_SECS, which the restart policy covers.
HEALTHCHECK --interval=5m --timeout=60s --start-period=1m --retries=2 \
    CMD ["scanner", "health"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["discord-bot"]
