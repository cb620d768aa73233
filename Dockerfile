# Gatehouse container image.
#   docker build -t gatehouse .
#   docker run -p 9091:9091 -v ./gatehouse.toml:/etc/gatehouse/gatehouse.toml:ro \
#              -v gatehouse-data:/var/lib/gatehouse gatehouse
# The config must listen on 0.0.0.0:9091 (the default) and keep the database under
# /var/lib/gatehouse. The HEALTHCHECK asks http://127.0.0.1:9091/api/health: it needs plain
# http on 9091 (no server.tls_*); health checks by IP address are always answered by
# Gatehouse itself, even when a `default = true` site exists.
# A full example with Traefik and Redis: examples/docker-compose.yml.

# --- build ------------------------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
# llvm-profdata of rustc's own LLVM, for the profile-guided build below.
RUN rustup component add llvm-tools
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY templates ./templates
COPY locales ./locales
# The manifest's examples; bare_hyper is the training run's upstream.
COPY bench/bare_hyper.rs bench/session_memory.rs ./bench/
COPY scripts/pgo-build.sh scripts/pgo-train.sh ./scripts/
# Profile-guided (README, Install): an instrumented build, a short training run of it on this
# build's loopback (a sign-in, proxying, forward-auth answers) in front of bench/bare_hyper.rs
# (an example, so built plainly with the test dependencies), then the optimised build. Three
# release builds, and no dependency layer to cache: the optimised one depends on the profile.
RUN scripts/pgo-build.sh \
    && install -m 0755 target/pgo/release/gatehouse /usr/local/bin/gatehouse

# --- runtime ----------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid so that volume ownership is predictable across rebuilds and hosts.
RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid gatehouse --no-create-home \
        --home-dir /var/lib/gatehouse --shell /usr/sbin/nologin gatehouse \
    && mkdir -p /etc/gatehouse /var/lib/gatehouse \
    && chown gatehouse:gatehouse /var/lib/gatehouse \
    && chmod 0700 /var/lib/gatehouse
COPY --from=build /usr/local/bin/gatehouse /usr/local/bin/gatehouse
COPY config/gatehouse.toml /usr/share/doc/gatehouse/gatehouse.toml.example
USER gatehouse
WORKDIR /var/lib/gatehouse
VOLUME ["/etc/gatehouse", "/var/lib/gatehouse"]
EXPOSE 9091
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:9091/api/health || exit 1
ENTRYPOINT ["gatehouse"]
CMD ["serve", "--config", "/etc/gatehouse/gatehouse.toml"]
