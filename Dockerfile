# essaybot: a self-hosted Discord bot that says who said what, quoting a shared library of essays.
#
#   docker build -t essaybot:0.1.0 .                                    # amd64, CPU torch from PyTorch
#   docker buildx build --platform linux/arm64 -t essaybot:0.1.0 .      # arm64 (Ampere, Raspberry Pi 4/5)
#
# Offline builds (as scripts/container-test.sh does): serve a folder holding the torch CPU wheel over
# HTTP and pass --network host --build-arg TORCH_FIND_LINKS=http://127.0.0.1:PORT/. A private CA for
# a PyPI proxy goes in as a build secret (--secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt),
# so it never lands in a layer.
#
# The seeds are ingested on first start, into the /data volume: the database and index must live
# in the volume (a bind mount hides whatever the image holds at /data), and migrations and index
# checks then treat a fresh install like any other start. It costs about 30 s, once.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
SHELL ["/bin/bash", "-eo", "pipefail", "-c"]
ARG TARGETARCH
ARG TORCH_VERSION=2.13.0
# Where the CPU-only torch wheel comes from: a pip --find-links location (a folder served over HTTP)
# when set, else PyTorch's CPU index, which serves both amd64 and arm64 wheels (and their deps).
# The index is the only one for that step (--index-url): PyPI alone would resolve torch to the CUDA
# build, and next to PyPI (--extra-index-url) pip could still fall back to it. scripts/setup.sh
# does the same outside Docker.
ARG TORCH_FIND_LINKS=""
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
# Byte code only for the modules essaybot really imports, in a tree of its own (see the last step):
# compiling every installed module would add about 300 MB, and none would make starts 3 times slower.
ENV PATH=/opt/venv/bin:$PATH PYTHONPYCACHEPREFIX=/opt/pycache

# torch first and on its own: any torch that pip picks by itself for sentence-transformers is a
# multi-GB CUDA build. The CPU wheel's local version (+cpu) sorts above PyPI's plain release.
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    arch="${TARGETARCH:-$(dpkg --print-architecture)}"; \
    case "$arch" in \
      amd64|arm64) ;; \
      *) echo "essaybot images build for amd64 and arm64 only, not ${arch} (32-bit ARM is unsupported)" >&2; exit 1 ;; \
    esac; \
    if [ -n "$TORCH_FIND_LINKS" ]; then \
      pip install --no-compile --find-links "$TORCH_FIND_LINKS" "torch==${TORCH_VERSION}"; \
    else \
      pip install --no-compile --index-url "$TORCH_INDEX_URL" "torch==${TORCH_VERSION}"; \
    fi; \
    if pip list --format=freeze | grep -qi '^nvidia-'; then echo "a CUDA build of torch got in" >&2; exit 1; fi

# Dependencies before the source, so that editing the code does not reinstall them. EXTRAS names
# optional dependency groups of pyproject.toml to include: the PostgreSQL driver by default, so that
# switching databases is a matter of configuration.
ARG EXTRAS=postgres
COPY pyproject.toml README.md /src/
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    python -c 'import os, sys, tomllib; \
      p = tomllib.load(open("/src/pyproject.toml", "rb"))["project"]; opt = p.get("optional-dependencies", {}); \
      extras = [e for e in os.environ["EXTRAS"].split(",") if e]; \
      [print(f"warning: no extra {e!r} in pyproject.toml", file=sys.stderr) for e in extras if e not in opt]; \
      print("\n".join(p["dependencies"] + [d for e in extras for d in opt.get(e, [])]))' > /tmp/requirements.txt; \
    echo "torch==${TORCH_VERSION}" > /tmp/constraints.txt; \
    pip install --no-compile --constraint /tmp/constraints.txt --requirement /tmp/requirements.txt

COPY src /src/src
COPY seeds /src/seeds
COPY migrations /src/migrations
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi; \
    pip install --no-compile --no-deps /src; \
    site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"; \
    # What torch ships for C++ extensions and its own tests is never used here (about 200 MB).
    rm -rf "$site/torch/test" "$site/torch/include" "$site/torch/share/cmake" \
      "$site"/torch/bin/test_* "$site"/torch/bin/*Test "$site"/torch/bin/protoc*; \
    find /opt/venv -name __pycache__ -prune -exec rm -rf {} +

# Run essaybot for real, offline: ingest the seeds and answer, check health, and import the Discord
# stack. That smoke-tests the install and leaves byte code in /opt/pycache for exactly the modules
# those paths import (the whole of essaybot is compiled too). The data made here is thrown away.
RUN rm -rf /opt/pycache; \
    site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"; \
    export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1; \
    essaybot --data-dir /tmp/warm who-said "the chickens have come home to roost" --json > /tmp/answer.json; \
    grep -q '"essay_id": "icl-2025-wv1184-ukraine"' /tmp/answer.json; \
    essaybot --data-dir /tmp/warm health --no-heartbeat; \
    essaybot --data-dir /tmp/warm doctor --no-token; \
    python -c 'import discord, discord.app_commands, discord.ext.commands, aiohttp'; \
    python -m compileall -q "$site/bot"; \
    rm -rf /tmp/warm /tmp/answer.json

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="essaybot" \
      org.opencontainers.image.description="Self-hosted Discord bot: who said it, quoted exactly" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
# The model is baked in and loaded offline; nothing reaches for the Hugging Face hub at run time.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPYCACHEPREFIX=/opt/pycache \
    ESSAYBOT_DATA_DIR=/data \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    HOME=/home/essaybot
# A fixed UID/GID (10001), so that bind-mounted data directories can be chowned to it in advance.
RUN groupadd --gid 10001 essaybot \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/essaybot --shell /usr/sbin/nologin essaybot \
    && install -d -o 10001 -g 10001 -m 0750 /data
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /opt/pycache /opt/pycache
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# `essaybot run` stops cleanly on SIGTERM within 10 s (docker stop's default grace period).
STOPSIGNAL SIGTERM
# Never loads torch or the model: database, index and the heartbeat the bot writes while connected.
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 CMD ["essaybot", "health"]
# essaybot with the container's arguments; a leading "essaybot" is dropped, so that both
# `docker run IMAGE who-said "x"` and `docker run IMAGE essaybot who-said "x"` work.
COPY --chmod=0755 scripts/docker-entrypoint.sh /usr/local/bin/essaybot-entrypoint
ENTRYPOINT ["/usr/local/bin/essaybot-entrypoint"]
CMD ["run"]
