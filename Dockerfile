# Reef container image: build with the official Rust image, run on a slim Debian as a
# non-root user with the database on the /data volume.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/reef

FROM debian:bookworm-slim
# Fallback fonts for PNG and PDF export, for what the bundled Recursive lacks: DejaVu Sans
# (Greek, Cyrillic, arrows; 2.9 MB), WenQuanYi Micro Hei (Chinese, Japanese, Korean; 5.2 MB)
# and Noto Color Emoji (11 MB). Nothing else is needed at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      fonts-dejavu-core fonts-wqy-microhei fonts-noto-color-emoji \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin reef \
 && mkdir -p /data && chown reef:reef /data
COPY --from=build /src/target/release/reef /usr/local/bin/reef
ENV REEF_DATA=/data \
    REEF_BIND=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
USER reef
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["reef", "healthcheck"]
LABEL org.opencontainers.image.title="Reef" \
      org.opencontainers.image.description="A self-hosted Mermaid diagram studio: one binary, one SQLite file" \
      org.opencontainers.image.licenses="MIT"
ENTRYPOINT ["reef"]
CMD ["serve"]
