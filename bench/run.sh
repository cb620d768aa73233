#!/usr/bin/env bash
# Gatehouse benchmark, the method of bench/README.md in one invocation: every figure is a ratio
# against an anchor measured in the same run, in alternating rounds, with the load generator on
# core 0 and the servers under test on core 1. Rewrites BENCHMARKS.md and bench/sweep.svg.
#
# Parts: bench/lib.sh (helpers), bench/targets.sh (the servers and their checks),
# bench/measure.sh (wrk and fixed-rate runs), bench/storm.sh (login storm, memory per connection and
# per Redis session), bench/report.py and bench/plot.py (the report and the plot).
# Knobs (environment) are listed in bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$ROOT/bench/lib.sh"
# shellcheck source-path=SCRIPTDIR source=targets.sh
source "$ROOT/bench/targets.sh"
# shellcheck source-path=SCRIPTDIR source=measure.sh
source "$ROOT/bench/measure.sh"

PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
CLK_TCK=$(getconf CLK_TCK)
# Nine rounds: two runs of the same server, back to back, differ by about 10 % on this kind of
# machine, so a median of five still moved by about 5 % from run to run (bench/changes.md).
ROUNDS=${ROUNDS:-9}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-64}
SWEEP_CONNECTIONS=${SWEEP_CONNECTIONS:-8 16 32 64 128 256}
SWEEP_DURATION=${SWEEP_DURATION:-4}
RATE_DURATION=${RATE_DURATION:-6}
RATE_CONNECTIONS=${RATE_CONNECTIONS:-64}
FIXED_RATE=${FIXED_RATE:-}
# As many storm rounds as every other target has: the median of two is their mean, so one round
# the machine disturbed decided target 4 (bench/storm.md).
STORM_ROUNDS=${STORM_ROUNDS:-9}
STORM_DURATION=${STORM_DURATION:-6}
SESSIONS=${SESSIONS:-100000}
LOCAL_CACHE=${LOCAL_CACHE:-}
SKIP_BUILD=${SKIP_BUILD:-0}
REPORT=${REPORT:-$ROOT/BENCHMARKS.md}
SVG=${SVG:-$ROOT/bench/sweep.svg}
# What ships: the profile-guided build (scripts/pgo-build.sh), as in the container image.
BIN=${GATEHOUSE_BIN:-$ROOT/target/pgo/release/gatehouse}
[[ -z ${GATEHOUSE_BIN:-} ]] || SKIP_BUILD=1
# Gatehouse reads GATEHOUSE_* variables as config overrides and refuses unknown ones.
unset GATEHOUSE_BIN

for knob in ROUNDS DURATION WARMUP CONNECTIONS SWEEP_DURATION RATE_DURATION RATE_CONNECTIONS \
    STORM_ROUNDS STORM_DURATION SESSIONS; do
    [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive whole number (got '${!knob}')"
done
for c in $SWEEP_CONNECTIONS; do [[ $c =~ ^[1-9][0-9]*$ ]] || die "SWEEP_CONNECTIONS: '$c' is not a count"; done
[[ -z $FIXED_RATE || $FIXED_RATE =~ ^[1-9][0-9]*$ ]] || die "FIXED_RATE must be requests per second"
(($(nproc) >= 2)) || die "the method needs 2 cores (load on core 0, servers on core 1); this machine has $(nproc)"
STARTED=$SECONDS

# --- tools ---------------------------------------------------------------------------------------
install_missing() {
    local -A package=([nginx]=nginx-light [wrk]=wrk [redis-server]=redis-server [redis-cli]=redis-tools
        [curl]=curl [python3]=python3 [caddy]=caddy [taskset]=util-linux)
    local cmd missing=() sudo=()
    for cmd in "${!package[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("${package[$cmd]}")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing: ${missing[*]}"
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq || die "apt-get update failed; install by hand: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed; install them by hand and re-run"
    for cmd in "${!package[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing ${missing[*]}"
    done
}
install_missing
nginx -V 2>&1 | grep -q http_auth_request_module || die "this nginx has no http_auth_request_module"

# --- build ---------------------------------------------------------------------------------------
# The revision is read before the build: the tree may change while the benchmark runs.
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock templates 2>/dev/null || true) ]] ||
    REV="$REV with uncommitted changes to the gateway"
if [[ $SKIP_BUILD != 1 ]]; then
    log "building: cargo build --release --example session_memory --example bare_hyper --example fixed_rate --example storm_clients; scripts/pgo-build.sh"
    (cd "$ROOT" && cargo build --release --example session_memory --example bare_hyper --example fixed_rate --example storm_clients) ||
        die "the release build failed"
    "$ROOT/scripts/pgo-build.sh" || die "the profile-guided build failed (scripts/pgo-build.sh)"
fi
[[ -x $BIN ]] || die "$BIN not found (scripts/pgo-build.sh builds it, or unset SKIP_BUILD)"
SESSION_MEMORY=$ROOT/target/release/examples/session_memory
[[ -x $SESSION_MEMORY ]] || die "$SESSION_MEMORY not found: cargo build --release --example session_memory"
FIXED_RATE_BIN=$ROOT/target/release/examples/fixed_rate
[[ -x $FIXED_RATE_BIN ]] || die "$FIXED_RATE_BIN not found: cargo build --release --example fixed_rate"

# --- scratch dir, cleanup ------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
RAW=$TMP/raw RESULTS=$TMP/results.tsv PASSWORD_FILE=$TMP/password
mkdir -p "$RAW"
: >"$RESULTS"
PIDS=()
# cleanup: stops every process this script started, newest first, then any child still alive
# (an nginx master stops its own workers), and removes the scratch directory.
cleanup() {
    local i child children
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        children=$(pgrep -P "${PIDS[i]}" || true)
        stop_pid "${PIDS[i]}"
        for child in $children; do stop_pid "$child"; done
    done
    if [[ ${KEEP_SCRATCH:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM
random_password | tr -d '\n' >"$PASSWORD_FILE"

mapfile -t PORTS < <(free_ports 18)
((${#PORTS[@]} == 18)) || die "could not pick free ports"
read -r UP_PORT REDIS_PORT NGINX1_PORT NGINX2_PORT IDEAL_PORT GHP_MEM GHP_REDIS GHF_MEM GHF_REDIS \
    GH2_MEM GH2_REDIS AN_IDEAL AN_MEM AN_REDIS CA_IDEAL CA_MEM CA_REDIS DEMO_PORT <<<"${PORTS[*]}"

# --- servers -------------------------------------------------------------------------------------
# Core 0: wrk or the fixed-rate generator, the upstream and redis (they serve every target
# alike, and on core 1 they would take from the server under test). Core 1: every server under test and every anchor.
# Unpinned: the two-core comparison (nginx with 2 workers, Gatehouse with its default runtime).
start_nginx upstream 1 0 "$UP_PORT" "    server { listen 127.0.0.1:$UP_PORT; location / { return 200 \"ok\\n\"; } }"
UP_PID=$NGINX_PID
start_redis 0
SUPPORT_PIDS="$(with_children "$UP_PID" | xargs) $REDIS_PID"
start_nginx proxy1 1 1 "$NGINX1_PORT" "$(plain_proxy "$NGINX1_PORT")"
target nginx1 "nginx plain proxy (1 worker, core 1)" "$NGINX1_PORT" "" "$NGINX_PID" ""
start_nginx proxy2 2 any "$NGINX2_PORT" "$(plain_proxy "$NGINX2_PORT")"
target nginx2 "nginx plain proxy (2 workers, unpinned)" "$NGINX2_PORT" "" "$NGINX_PID" ""
# The ideal authorizer: nginx answering every question at once with the identity header and an
# empty body, over kept-alive connections (keepalive_requests above), as Gatehouse should.
start_nginx ideal 1 1 "$IDEAL_PORT" "    server {
        listen 127.0.0.1:$IDEAL_PORT;
        location / { add_header Remote-User bench; return 200; }
    }"
IDEAL_PID=$NGINX_PID
target upstream "upstream directly" "$UP_PORT" "" "" ""

start_gatehouse gh-proxy-memory memory "$GHP_MEM" 1
record mem name=serve_idle_pinned "kib=$GH_IDLE_KIB" "threads=$(threads_of "$GH_PID")"
target ghp-memory "Gatehouse proxy, memory sessions (core 1)" "$GHP_MEM" "$GH_COOKIE" "$GH_PID" "$GH_PID" 401 \
    "http://localhost:$GHP_MEM/_gatehouse/login"
start_gatehouse gh-proxy-redis redis "$GHP_REDIS" 1
target ghp-redis "Gatehouse proxy, Redis sessions (core 1)" "$GHP_REDIS" "$GH_COOKIE" "$GH_PID" "$GH_PID" 401 \
    "http://localhost:$GHP_REDIS/_gatehouse/login"
start_gatehouse gh2-proxy-memory memory "$GH2_MEM" any
record mem name=serve_idle "kib=$GH_IDLE_KIB" "threads=$(threads_of "$GH_PID")"
target gh2-memory "Gatehouse proxy, memory sessions (unpinned)" "$GH2_MEM" "$GH_COOKIE" "$GH_PID" "$GH_PID" 401 \
    "http://localhost:$GH2_MEM/_gatehouse/login"
start_gatehouse gh2-proxy-redis redis "$GH2_REDIS" any
target gh2-redis "Gatehouse proxy, Redis sessions (unpinned)" "$GH2_REDIS" "$GH_COOKIE" "$GH_PID" "$GH_PID" 401 \
    "http://localhost:$GH2_REDIS/_gatehouse/login"

# Forward-auth: one Gatehouse per session store (trusting 127.0.0.1 as its proxy), asked by
# nginx running examples/nginx/gatehouse.conf and by Caddy running examples/caddy/Caddyfile; the
# same two files, asking the ideal authorizer, are the anchors.
start_gatehouse gh-fa-memory memory "$GHF_MEM" 1 forward-auth
FA_MEM_PID=$GH_PID FA_MEM_COOKIE=$GH_COOKIE
start_gatehouse gh-fa-redis redis "$GHF_REDIS" 1 forward-auth
FA_REDIS_PID=$GH_PID FA_REDIS_COOKIE=$GH_COOKIE

start_auth_nginx auth-ideal "$AN_IDEAL" "$IDEAL_PORT"
target an-ideal "nginx auth_request → ideal authorizer" "$AN_IDEAL" "$FA_MEM_COOKIE" "$NGINX_PID $IDEAL_PID" ""
T_AUTHZ[an-ideal]=$IDEAL_PID
start_auth_nginx auth-memory "$AN_MEM" "$GHF_MEM"
target an-memory "nginx auth_request → Gatehouse, memory sessions" "$AN_MEM" "$FA_MEM_COOKIE" "$NGINX_PID $FA_MEM_PID" \
    "$FA_MEM_PID" 302 "http://localhost:$GHF_MEM/_gatehouse/login"
start_auth_nginx auth-redis "$AN_REDIS" "$GHF_REDIS"
target an-redis "nginx auth_request → Gatehouse, Redis sessions" "$AN_REDIS" "$FA_REDIS_COOKIE" "$NGINX_PID $FA_REDIS_PID" \
    "$FA_REDIS_PID" 302 "http://localhost:$GHF_REDIS/_gatehouse/login"

start_caddy caddy-ideal "$CA_IDEAL" "$IDEAL_PORT"
target ca-ideal "Caddy forward_auth → ideal authorizer" "$CA_IDEAL" "$FA_MEM_COOKIE" "$CADDY_PID $IDEAL_PID" ""
T_AUTHZ[ca-ideal]=$IDEAL_PID
start_caddy caddy-memory "$CA_MEM" "$GHF_MEM"
target ca-memory "Caddy forward_auth → Gatehouse, memory sessions" "$CA_MEM" "$FA_MEM_COOKIE" "$CADDY_PID $FA_MEM_PID" \
    "$FA_MEM_PID" "302 401" "http://localhost:$GHF_MEM/_gatehouse/login"
start_caddy caddy-redis "$CA_REDIS" "$GHF_REDIS"
target ca-redis "Caddy forward_auth → Gatehouse, Redis sessions" "$CA_REDIS" "$FA_REDIS_COOKIE" "$CADDY_PID $FA_REDIS_PID" \
    "$FA_REDIS_PID" "302 401" "http://localhost:$GHF_REDIS/_gatehouse/login"

# The ideal authorizer must be what it claims: 200, the identity header, an empty body.
code=$(curl -s -m 5 -D "$TMP/ideal.h" -o "$TMP/ideal.body" -w '%{http_code}' "http://127.0.0.1:$IDEAL_PORT/api/authz/auth-request")
[[ $code == 200 && ! -s $TMP/ideal.body ]] && tr -d '\r' <"$TMP/ideal.h" | grep -qi '^Remote-User: bench$' ||
    die "the ideal authorizer did not answer 200 with Remote-User and an empty body"
for id in "${!T_URL[@]}"; do check_target "$id" || die "${T_LABEL[$id]}: the check failed"; done

# --- 1-3. ratios in alternating rounds -----------------------------------------------------------
rounds proxy-1core pinned nginx1 ghp-memory ghp-redis
rounds proxy-2cores unpinned nginx2 gh2-memory gh2-redis
rounds fa-nginx pinned an-ideal an-memory an-redis
rounds fa-caddy pinned ca-ideal ca-memory ca-redis
for id in ghp-memory ghp-redis gh2-memory gh2-redis; do
    record mem "name=after_load_$id" "kib=$(rss_kib "${T_GH[$id]}")" "threads=$(threads_of "${T_GH[$id]}")"
done
for id in an-memory an-redis; do
    record mem "name=after_load_$id" "kib=$(rss_kib "${T_GH[$id]}")" "threads=$(threads_of "${T_GH[$id]}")"
done

# --- 6. latency at a fixed rate ------------------------------------------------------------------
if [[ -z $FIXED_RATE ]]; then
    FIXED_RATE=$(awk -F'\t' '$1 == "run" && /\tgroup=proxy-1core\t/ && /\ttarget=nginx1\t/ {
        for (i = 2; i <= NF; i++) if ($i ~ /^rps=/) print substr($i, 5) }' "$RESULTS" | median |
        awk '{ printf "%d\n", $1 / 2 }')
fi
log "fixed rate: $FIXED_RATE req/s (half the nginx plain proxy's median)"
for ((r = 1; r <= ROUNDS; r++)); do
    for id in upstream nginx1 ghp-memory; do fixed_rate "$r" "$id" "$FIXED_RATE"; done
done

# --- 7. connection sweep -------------------------------------------------------------------------
sweep nginx1 ghp-memory an-memory an-ideal

# --- 5. memory -----------------------------------------------------------------------------------
log "gatehouse demo: idle RSS"
# Its temporary data directory goes under TMP, removed on exit whatever happens to the demo.
TMPDIR=$TMP "$BIN" demo --port "$DEMO_PORT" >"$TMP/demo.log" 2>&1 &
DEMO_PID=$!
PIDS+=("$DEMO_PID")
wait_http 30 "$DEMO_PID" "http://127.0.0.1:$DEMO_PORT/_gatehouse/api/health" -H 'Host: localhost' ||
    { cat "$TMP/demo.log" >&2; die "gatehouse demo did not become healthy"; }
sleep 2
record mem name=demo_idle "kib=$(rss_kib "$DEMO_PID")" "threads=$(threads_of "$DEMO_PID")"
stop_pid "$DEMO_PID"
log "session_memory: $SESSIONS in-process sessions"
SESSIONS=$SESSIONS "$SESSION_MEMORY" >"$TMP/session_memory.txt" || die "session_memory failed"
record mem name=session_bytes "bytes=$(sed -n 's/.*grew by \([0-9]*\) bytes per session.*/\1/p' "$TMP/session_memory.txt")" \
    "sessions=$SESSIONS"

# --- 4. login storm, per-connection and Redis memory (bench/storm.sh) ----------------------------
log "login storm: bench/storm.sh with ROUNDS=$STORM_ROUNDS DURATION=$STORM_DURATION"
# Pinned like every other target: with the storm's hashing free to run on the load generator's
# core, the storm measured the delays of wrk and the upstream themselves (bench/storm.md).
PIN=1 ROUNDS=$STORM_ROUNDS DURATION=$STORM_DURATION SKIP_BUILD=1 GATEHOUSE_BIN=$BIN RESULTS=$RESULTS \
    REPORT=$TMP/storm-report.md "$ROOT/bench/storm.sh" >/dev/null || die "bench/storm.sh failed"

# --- report --------------------------------------------------------------------------------------
version_of() { { "$@" 2>&1 || true; } | head -n 1; }
record meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "rev=$REV" "cores=$(nproc)" \
    "cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)" "kernel=$(uname -r)" \
    "ram=$(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)" \
    "rustc=$(version_of rustc --version | awk '{print $2}')" "nginx=$(version_of nginx -v | sed 's/^nginx version: nginx\///')" \
    "caddy=$(version_of caddy version | awk '{print $1}')" "wrk=$(version_of wrk -v | awk '{print $2}')" \
    "redis=$(version_of redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')" \
    "rounds=$ROUNDS" "duration=$DURATION" "warmup=$WARMUP" "connections=$CONNECTIONS" \
    "sweep_duration=$SWEEP_DURATION" "rate_duration=$RATE_DURATION" "rate_connections=$RATE_CONNECTIONS" \
    "storm_rounds=$STORM_ROUNDS" "storm_duration=$STORM_DURATION" "local_cache=${LOCAL_CACHE:-default}" \
    "elapsed=$((SECONDS - STARTED))"
python3 "$ROOT/bench/plot.py" "$RESULTS" "$TMP/sweep.svg" || die "bench/plot.py failed"
python3 "$ROOT/bench/report.py" "$RESULTS" "$RAW" "$TMP/storm-report.md" "$ROOT/bench" >"$TMP/report.md" ||
    die "bench/report.py failed"
cp "$TMP/sweep.svg" "$SVG"
cp "$TMP/report.md" "$REPORT"
log "wrote $REPORT and $SVG in $((SECONDS - STARTED)) s"
sed -n '/^## Targets/,/^## Details/p' "$REPORT" >&2
