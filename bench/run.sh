#!/usr/bin/env bash
# Gatehouse benchmark: an upstream (nginx returning a fixed "ok"), nginx as a plain reverse proxy
# (1 and 2 workers), Gatehouse proxying an authenticated request (memory and Redis sessions),
# nginx running examples/nginx/gatehouse.conf (auth_request to Gatehouse; 1 and 2 workers, and 2
# workers with Redis sessions) and Gatehouse's forward-auth endpoint alone, each loaded with the
# same wrk command. Writes the report to BENCHMARKS.md.
#
# Knobs (environment): DURATION (s, default 15), CONNECTIONS (default 64), THREADS (wrk threads,
# default 2), WARMUP (s, default 3), LOCAL_CACHE (session.redis.local_cache of the Redis runs,
# e.g. "0"; default: the config's default), SKIP_BUILD=1 (use the existing target/release/gatehouse),
# GATEHOUSE_BIN (benchmark that binary instead; implies SKIP_BUILD=1), REPORT (default
# BENCHMARKS.md at the repository root). See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$ROOT/bench/lib.sh"

PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
CLK_TCK=$(getconf CLK_TCK)
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-3}
SKIP_BUILD=${SKIP_BUILD:-0}
LOCAL_CACHE=${LOCAL_CACHE:-}
REPORT=${REPORT:-$ROOT/BENCHMARKS.md}
BIN=${GATEHOUSE_BIN:-$ROOT/target/release/gatehouse}
[[ -z ${GATEHOUSE_BIN:-} ]] || SKIP_BUILD=1

for knob in DURATION CONNECTIONS THREADS WARMUP; do
    [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive whole number (got '${!knob}')"
done

# --- 1. tools ------------------------------------------------------------------------------------
install_missing() {
    local -A package=([nginx]=nginx-light [wrk]=wrk [redis-server]=redis-server [redis-cli]=redis-tools [curl]=curl [python3]=python3)
    local cmd missing=()
    for cmd in nginx wrk redis-server redis-cli curl python3; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("${package[$cmd]}")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing: ${missing[*]}"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]} and not root (no sudo): install them with apt-get"
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq ||
        die "apt-get update failed; install by hand: apt-get install ${missing[*]}"
    local apt_install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends)
    if ! "${apt_install[@]}" "${missing[@]}"; then
        # Some releases have no nginx-light; the plain nginx package serves as well.
        [[ " ${missing[*]} " == *" nginx-light "* ]] || die "apt-get install ${missing[*]} failed; install them by hand and re-run"
        missing=("${missing[@]/#nginx-light/nginx}")
        log "retrying with: ${missing[*]}"
        "${apt_install[@]}" "${missing[@]}" || die "apt-get install ${missing[*]} failed; install them by hand and re-run"
    fi
    for cmd in nginx wrk redis-server redis-cli curl python3; do
        command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing ${missing[*]}"
    done
}
install_missing

# --- 2. build ------------------------------------------------------------------------------------
# The revision is read before the build, not when the report is written: the tree may change
# while the benchmark runs, and the binary is what was there at the start.
REV="\`$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\`"
if [[ -n $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock templates 2>/dev/null || true) ]]; then
    REV="$REV with uncommitted changes to the gateway"
fi
if [[ $SKIP_BUILD != 1 ]]; then
    log "building: cargo build --release --bin gatehouse"
    (cd "$ROOT" && cargo build --release --bin gatehouse) || die "cargo build --release --bin gatehouse failed"
fi
[[ -x $BIN ]] || die "$BIN not found (build it, or unset SKIP_BUILD)"

b0=$(busy_ticks)
sleep 2
idle_load=$(cores $(($(busy_ticks) - b0)) 2)
if awk -v l="$idle_load" 'BEGIN { exit !(l >= 0.3) }'; then
    log "warning: the machine is busy before the benchmark (${idle_load} cores in use); the numbers will be noisy"
fi

# --- 3. scratch dir, ports, cleanup --------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
PIDS=()
# cleanup: stops every process this script started, newest first, then any of their children
# still alive (an nginx master stops its own workers; a timed wrk outlives its shell), and removes
# the scratch directory.
cleanup() {
    local i child children
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        children=$(pgrep -P "${PIDS[i]}" || true)
        stop_pid "${PIDS[i]}"
        for child in $children; do
            stop_pid "$child"
        done
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

# in_background CMD...: runs CMD as a child that cleanup stops, and waits for it. Waiting with
# `wait` (not in the foreground) lets Ctrl-C and TERM reach the traps at once.
in_background() {
    "$@" &
    local pid=$! status=0
    PIDS+=("$pid")
    wait "$pid" || status=$?
    forget_pid "$pid"
    return "$status"
}

# forget_pid PID: drops a process that has ended from PIDS, so cleanup never signals a reused id.
forget_pid() {
    local i
    for i in "${!PIDS[@]}"; do
        [[ ${PIDS[i]} != "$1" ]] || unset 'PIDS[i]'
    done
    PIDS=("${PIDS[@]}")
}

# timed_wrk OUT WRK_ARGS...: runs wrk with its output in OUT and its CPU time ("user sys", in
# seconds) in OUT.time.
timed_wrk() {
    local out=$1
    shift
    local TIMEFORMAT='%U %S'
    { time wrk "$@" >"$out" 2>"$out.err"; } 2>"$out.time"
}

mapfile -t PORTS < <(free_ports 11)
((${#PORTS[@]} == 11)) || die "could not pick free ports"
UP_PORT=${PORTS[0]} NGINX1_PORT=${PORTS[1]} NGINX2_PORT=${PORTS[2]} REDIS_PORT=${PORTS[3]}
GH_MEMORY_PORT=${PORTS[4]} GH_REDIS_PORT=${PORTS[5]}
# Forward-auth: Gatehouse with trusted_proxies (memory, Redis) and nginx auth_request in front
# (1 worker, 2 workers, 2 workers in front of the Redis-sessions Gatehouse).
GH_FA_MEMORY_PORT=${PORTS[6]} GH_FA_REDIS_PORT=${PORTS[7]}
AUTH1_PORT=${PORTS[8]} AUTH2_PORT=${PORTS[9]} AUTH2_REDIS_PORT=${PORTS[10]}

# --- 4/5. nginx: the upstream and the plain proxies ----------------------------------------------
# start_nginx NAME WORKERS SERVER_BLOCKS: writes TMP/NAME.conf, starts nginx as our child
# (daemon off) and records its pid in NGINX_PID and PIDS.
start_nginx() {
    local name=$1 workers=$2 servers=$3
    mkdir -p "$TMP/$name"
    cat >"$TMP/$name.conf" <<EOF
daemon off;
master_process on;
worker_processes $workers;
pid $TMP/$name.pid;
error_log $TMP/$name-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/$name/body;
    proxy_temp_path $TMP/$name/proxy;
    keepalive_requests 1000000;
$servers
}
EOF
    nginx -p "$TMP/" -c "$TMP/$name.conf" -e "$TMP/$name-error.log" >"$TMP/$name.out" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
}

proxy_servers() {
    cat <<EOF
    upstream app {
        server 127.0.0.1:$UP_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$1;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
EOF
}

log "starting the upstream (nginx, 1 worker) on 127.0.0.1:$UP_PORT"
start_nginx upstream 1 "    server {
        listen 127.0.0.1:$UP_PORT;
        location / { return 200 \"ok\\n\"; }
    }"
UP_PID=$NGINX_PID
wait_http 10 "$UP_PID" "http://127.0.0.1:$UP_PORT/" ||
    die "upstream nginx did not start: $(cat "$TMP/upstream-error.log" "$TMP/upstream.out" 2>/dev/null)"

log "starting nginx plain proxies on 127.0.0.1:$NGINX1_PORT (1 worker) and :$NGINX2_PORT (2 workers)"
start_nginx proxy1 1 "$(proxy_servers "$NGINX1_PORT")"
NGINX1_PID=$NGINX_PID
start_nginx proxy2 2 "$(proxy_servers "$NGINX2_PORT")"
NGINX2_PID=$NGINX_PID
wait_http 10 "$NGINX1_PID" "http://127.0.0.1:$NGINX1_PORT/" ||
    die "nginx proxy (1 worker) did not start: $(cat "$TMP/proxy1-error.log" "$TMP/proxy1.out" 2>/dev/null)"
wait_http 10 "$NGINX2_PID" "http://127.0.0.1:$NGINX2_PORT/" ||
    die "nginx proxy (2 workers) did not start: $(cat "$TMP/proxy2-error.log" "$TMP/proxy2.out" 2>/dev/null)"

# --- 6. redis --------------------------------------------------------------------------------------
log "starting redis-server on 127.0.0.1:$REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for ((i = 0; i < 100; i++)); do
    [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]] && break
    kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited: $(cat "$TMP/redis.log")"
    sleep 0.1
done
[[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]] ||
    die "redis-server did not answer PING: $(cat "$TMP/redis.log")"

# --- checks and load -----------------------------------------------------------------------------
# check_ok LABEL URL [curl args...]: one request that must answer 200 with the body "ok".
check_ok() {
    local label=$1 url=$2 code
    shift 2
    code=$(curl -s -m 5 -D "$TMP/check.headers" -o "$TMP/check.body" -w '%{http_code}' "$@" "$url" || true)
    if [[ $code != 200 || $(cat "$TMP/check.body") != ok ]]; then
        log "$label: expected 200 \"ok\" from $url, got status ${code:-none}"
        log "response headers:"
        sed 's/^/    /' "$TMP/check.headers" >&2 || true
        log "response body (first 20 lines):"
        head -n 20 "$TMP/check.body" | sed 's/^/    /' >&2 || true
        return 1
    fi
}

ROWS=()
declare -A RPS P50 P99 ERRORS RSS_PEAK RSS_BEFORE CPU_TARGET CPU_GATEHOUSE CPU_SUPPORT CPU_WRK CPU_OTHER
WRK_CMD="wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"

# load ROW URL PIDS GH_PID [wrk args...]: warm-up, then the measured run; records the row's
# numbers. PIDS is a space-separated list of the processes under test (their CPU and summed peak
# RSS are reported); GH_PID is the Gatehouse among them, whose CPU is also reported on its own,
# or "" when there is none.
load() {
    local row=$1 url=$2 pids=$3 gh_pid=$4
    shift 4
    local -a pid_list gh_list
    read -r -a pid_list <<<"$pids"
    read -r -a gh_list <<<"$gh_pid"
    local out="$TMP/raw-${#ROWS[@]}.txt" rps p50 p99 errors
    log "$row: warm-up ${WARMUP}s, then ${DURATION}s"
    in_background wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" >/dev/null
    RSS_BEFORE[$row]=$(rss_kib "${pid_list[@]}")
    local support_pids t0 g0 s0 b0 w0 t1 g1 s1 b1 w1 wall wrk_cpu
    read -r -a support_pids <<<"$(with_children "$UP_PID" | xargs) $REDIS_PID"
    t0=$(cpu_ticks "${pid_list[@]}") g0=$(cpu_ticks "${gh_list[@]}") s0=$(cpu_ticks "${support_pids[@]}")
    b0=$(busy_ticks) w0=$EPOCHREALTIME
    in_background timed_wrk "$out" -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url"
    t1=$(cpu_ticks "${pid_list[@]}") g1=$(cpu_ticks "${gh_list[@]}") s1=$(cpu_ticks "${support_pids[@]}")
    b1=$(busy_ticks) w1=$EPOCHREALTIME
    RSS_PEAK[$row]=$(peak_rss_kib "${pid_list[@]}")
    wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
    wrk_cpu=$(awk -v hz="$CLK_TCK" '{ printf "%.0f\n", ($1 + $2) * hz }' "$out.time")
    CPU_TARGET[$row]=$(cores $((t1 - t0)) "$wall")
    CPU_GATEHOUSE[$row]=""
    ((${#gh_list[@]} == 0)) || CPU_GATEHOUSE[$row]=$(cores $((g1 - g0)) "$wall")
    CPU_SUPPORT[$row]=$(cores $((s1 - s0)) "$wall")
    CPU_WRK[$row]=$(cores "$wrk_cpu" "$wall")
    CPU_OTHER[$row]=$(cores $((b1 - b0 - (t1 - t0) - (s1 - s0) - wrk_cpu)) "$wall")
    read -r rps p50 p99 errors < <(parse_wrk "$out")
    RPS[$row]=$rps P50[$row]=$p50 P99[$row]=$p99 ERRORS[$row]=$errors
    ROWS+=("$row")
    log "$row: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors"
    sleep 1
}

ROW_N1="nginx plain proxy (1 worker)"
ROW_N2="nginx plain proxy (2 workers)"
ROW_GM="gatehouse proxy (memory sessions)"
ROW_GR="gatehouse proxy (Redis sessions)"

check_ok "upstream" "http://127.0.0.1:$UP_PORT/" || die "upstream check failed"
check_ok "$ROW_N1" "http://127.0.0.1:$NGINX1_PORT/" || die "nginx proxy check failed"
check_ok "$ROW_N2" "http://127.0.0.1:$NGINX2_PORT/" || die "nginx proxy check failed"

load "$ROW_N1" "http://127.0.0.1:$NGINX1_PORT/" "$(with_children "$NGINX1_PID" | xargs)" ""
load "$ROW_N2" "http://127.0.0.1:$NGINX2_PORT/" "$(with_children "$NGINX2_PID" | xargs)" ""

# --- 7/8/9/10. gatehouse ---------------------------------------------------------------------------
PASSWORD=$(random_password)
# The login form reads it from a file (TMP is private), so it is not in curl's argv.
printf '%s' "$PASSWORD" >"$TMP/password"

gateway_failure() {
    log "$1"
    log "gateway log ($GH_LOG):"
    sed 's/^/    /' "$GH_LOG" >&2 || true
    exit 1
}

# start_gatehouse STORE PORT [forward-auth]: config, user, serve; sets GH_PID, GH_LOG, GH_CONFIG.
# With forward-auth, the config also trusts 127.0.0.1 as a proxy, so that nginx's auth_request
# calls (and the benchmark's own direct calls) to /api/authz/auth-request are answered.
start_gatehouse() {
    local store=$1 port=$2 mode=${3:-proxy}
    local dir="$TMP/gatehouse-$mode-$store"
    mkdir -p "$dir"
    GH_CONFIG="$dir/gatehouse.toml"
    GH_LOG="$dir/gatehouse.log"
    : >"$GH_LOG"
    {
        printf '[server]\nlisten = ["127.0.0.1:%s"]\n' "$port"
        [[ $mode != forward-auth ]] || printf 'trusted_proxies = ["127.0.0.1/32"]\n'
        printf '\n'
        printf '[portal]\nurl = "http://localhost:%s/_gatehouse"\n\n' "$port"
        printf '[session]\nstore = "%s"\n' "$store"
        if [[ $store == redis ]]; then
            printf '\n[session.redis]\nurl = "redis://127.0.0.1:%s"\nprefix = "bench:"\n' "$REDIS_PORT"
            [[ -z $LOCAL_CACHE ]] || printf 'local_cache = "%s"\n' "$LOCAL_CACHE"
        fi
        printf '\n[storage]\ndatabase = "%s"\n\n' "$dir/gatehouse-$store.db"
        printf '[log]\nlevel = "warn"\n\n'
        printf '[access_control]\ndefault_policy = "one_factor"\n\n'
        printf '[[sites]]\nhost = "localhost"\nupstream = "http://127.0.0.1:%s"\n' "$UP_PORT"
    } >"$GH_CONFIG"

    log "gatehouse ($mode, $store sessions): adding user bench"
    printf '%s\n' "$PASSWORD" | "$BIN" user add bench --config "$GH_CONFIG" --password-stdin >>"$GH_LOG" 2>&1 ||
        gateway_failure "gatehouse user add bench failed"

    log "gatehouse ($mode, $store sessions): serving on 127.0.0.1:$port"
    "$BIN" serve --config "$GH_CONFIG" >>"$GH_LOG" 2>&1 &
    GH_PID=$!
    PIDS+=("$GH_PID")
    wait_http 20 "$GH_PID" "http://127.0.0.1:$port/_gatehouse/api/health" -H 'Host: localhost' ||
        gateway_failure "gatehouse ($mode, $store sessions) did not become healthy within 20 s"
}

# login PORT: signs in as bench through the portal's form; sets SESSION_COOKIE (name=value).
login() {
    local port=$1 code csrf_cookie csrf_token
    code=$(curl -s -m 10 -D "$TMP/login-get.headers" -o "$TMP/login-get.html" -w '%{http_code}' \
        -H "Host: localhost:$port" "http://127.0.0.1:$port/_gatehouse/login" || true)
    [[ $code == 200 ]] || {
        sed 's/^/    /' "$TMP/login-get.headers" >&2 || true
        gateway_failure "GET /_gatehouse/login answered ${code:-nothing}, expected 200"
    }
    csrf_cookie=$(tr -d '\r' <"$TMP/login-get.headers" |
        sed -n 's/^[Ss]et-[Cc]ookie: *__Host-gatehouse_csrf=\([^;]*\).*/\1/p' | tail -n 1)
    csrf_token=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$TMP/login-get.html" | head -n 1)
    [[ -n $csrf_cookie ]] || {
        sed 's/^/    /' "$TMP/login-get.headers" >&2 || true
        gateway_failure "GET /_gatehouse/login set no __Host-gatehouse_csrf cookie"
    }
    [[ -n $csrf_token ]] || gateway_failure "the login page has no hidden csrf input"

    code=$(curl -s -m 10 -D "$TMP/login-post.headers" -o "$TMP/login-post.html" -w '%{http_code}' \
        -H "Host: localhost:$port" -H "Cookie: __Host-gatehouse_csrf=$csrf_cookie" \
        --data-urlencode "username=bench" --data-urlencode "password@$TMP/password" \
        --data-urlencode "csrf=$csrf_token" --data-urlencode "rd=" \
        "http://127.0.0.1:$port/_gatehouse/login" || true)
    SESSION_COOKIE=$(tr -d '\r' <"$TMP/login-post.headers" |
        sed -n 's/^[Ss]et-[Cc]ookie: *\([^=;]*gatehouse_session=[^;]*\).*/\1/p' | tail -n 1)
    if [[ $code != 303 || -z $SESSION_COOKIE || $SESSION_COOKIE == *= ]]; then
        log "POST /_gatehouse/login: status ${code:-none}, headers:"
        sed 's/^/    /' "$TMP/login-post.headers" >&2 || true
        log "body (first 20 lines):"
        head -n 20 "$TMP/login-post.html" | sed 's/^/    /' >&2 || true
        gateway_failure "login did not answer 303 with a session cookie"
    fi
}

declare -A GH_THREADS
# bench_gatehouse STORE PORT ROW
bench_gatehouse() {
    local store=$1 port=$2 row=$3
    start_gatehouse "$store" "$port"
    login "$port"
    local -a headers=(-H "Host: localhost:$port" -H "Cookie: $SESSION_COOKIE")
    check_ok "$row" "http://127.0.0.1:$port/" "${headers[@]}" ||
        gateway_failure "$row: the authenticated request was not proxied"
    load "$row" "http://127.0.0.1:$port/" "$GH_PID" "$GH_PID" "${headers[@]}"
    check_ok "$row (after the load)" "http://127.0.0.1:$port/" "${headers[@]}" ||
        gateway_failure "$row: the authenticated request failed after the load"
    GH_THREADS[$row]=$(awk '/^Threads:/ {print $2}' "/proc/$GH_PID/status")
    stop_pid "$GH_PID"
    forget_pid "$GH_PID"
}

bench_gatehouse memory "$GH_MEMORY_PORT" "$ROW_GM"
bench_gatehouse redis "$GH_REDIS_PORT" "$ROW_GR"

# --- 11. forward-auth: nginx auth_request in front of Gatehouse -----------------------------------
# nginx runs examples/nginx/gatehouse.conf itself, its tokens substituted and nothing else changed,
# so that these rows measure what the example deploys.
EXAMPLE="$ROOT/examples/nginx/gatehouse.conf"
[[ -r $EXAMPLE ]] || die "$EXAMPLE not found"
nginx -V 2>&1 | grep -q http_auth_request_module ||
    die "this nginx has no http_auth_request_module (Debian's nginx and nginx-light have it)"

ROW_A1="nginx auth_request → Gatehouse (1 worker)"
ROW_A2="nginx auth_request → Gatehouse (2 workers)"
ROW_FA="Gatehouse forward-auth endpoint alone"
ROW_A2R="nginx auth_request → Gatehouse (2 workers, Redis sessions)"

# auth_server NAME LISTEN_PORT GATEHOUSE_PORT: writes TMP/NAME-server.conf, the example with its
# tokens filled in. Every token must be in the example, and none may be left afterwards.
auth_server() {
    local name=$1 listen=$2 gh_port=$3 text token
    local -A tokens=(
        [__LISTEN__]="127.0.0.1:$listen"
        [__SERVER_NAME__]=localhost
        [__GATEHOUSE__]="127.0.0.1:$gh_port"
        [__APP__]="127.0.0.1:$UP_PORT"
    )
    text=$(<"$EXAMPLE")
    for token in "${!tokens[@]}"; do
        [[ $text == *"$token"* ]] || die "$EXAMPLE has no $token"
        text=${text//"$token"/"${tokens[$token]}"}
    done
    if grep -v '^[[:space:]]*#' <<<"$text" | grep -q '__'; then
        die "a placeholder of $EXAMPLE was left unfilled: $(grep -v '^[[:space:]]*#' <<<"$text" | grep '__')"
    fi
    printf '%s\n' "$text" >"$TMP/$name-server.conf"
}

# nginx_failure NAME MESSAGE: the message, nginx's error log, then the gateway's log; exits.
nginx_failure() {
    log "nginx $1 error log:"
    sed 's/^/    /' "$TMP/$1-error.log" "$TMP/$1.out" >&2 || true
    gateway_failure "$2"
}

# check_answer LABEL URL STATUS HEADER [curl args...]: one request that must answer STATUS with a
# response header line starting with HEADER (e.g. "Location: http://localhost:1/_gatehouse/login").
check_answer() {
    local label=$1 url=$2 status=$3 header=$4 code
    shift 4
    code=$(curl -s -m 5 -D "$TMP/check.headers" -o "$TMP/check.body" -w '%{http_code}' "$@" "$url" || true)
    if [[ $code != "$status" ]] || ! tr -d '\r' <"$TMP/check.headers" | grep -qiF -- "$header"; then
        log "$label: expected $status with \"$header\" from $url, got status ${code:-none}"
        log "response headers:"
        sed 's/^/    /' "$TMP/check.headers" >&2 || true
        log "response body (first 20 lines):"
        head -n 20 "$TMP/check.body" | sed 's/^/    /' >&2 || true
        return 1
    fi
}

# start_auth_nginx NAME WORKERS LISTEN_PORT GATEHOUSE_PORT: nginx running the example in front of
# the Gatehouse on GATEHOUSE_PORT (which must be up, with SESSION_COOKIE a session of it); sets
# NGINX_PID. Ready when a signed-in request goes through.
start_auth_nginx() {
    local name=$1 workers=$2 port=$3 gh_port=$4
    auth_server "$name" "$port" "$gh_port"
    log "starting nginx auth_request ($workers worker(s)) on 127.0.0.1:$port in front of :$gh_port"
    start_nginx "$name" "$workers" "    include $TMP/$name-server.conf;"
    wait_http 10 "$NGINX_PID" "http://127.0.0.1:$port/" -H "Host: localhost:$port" -H "Cookie: $SESSION_COOKIE" ||
        nginx_failure "$name" "nginx auth_request on :$port did not let a signed-in request through within 10 s"
}

# check_auth_nginx NAME ROW PORT GATEHOUSE_PORT: through nginx, 200 "ok" with the session cookie
# and a 302 to the portal's login page without it.
check_auth_nginx() {
    local name=$1 row=$2 port=$3 gh_port=$4
    check_ok "$row" "http://127.0.0.1:$port/" -H "Host: localhost:$port" -H "Cookie: $SESSION_COOKIE" ||
        nginx_failure "$name" "$row: the signed-in request was not let through"
    check_answer "$row (no session)" "http://127.0.0.1:$port/" 302 \
        "Location: http://localhost:$gh_port/_gatehouse/login" -H "Host: localhost:$port" ||
        nginx_failure "$name" "$row: a request without a session was not sent to the login page"
}

# stop_nginx PID: stops an nginx master (which stops its workers) that this script started.
stop_nginx() {
    stop_pid "$1"
    forget_pid "$1"
}

# Memory sessions: nginx with 1 and with 2 workers, then the endpoint on its own.
start_gatehouse memory "$GH_FA_MEMORY_PORT" forward-auth
login "$GH_FA_MEMORY_PORT"
GH_FA_PID=$GH_PID
start_auth_nginx auth1 1 "$AUTH1_PORT" "$GH_FA_MEMORY_PORT"
AUTH1_PID=$NGINX_PID
start_auth_nginx auth2 2 "$AUTH2_PORT" "$GH_FA_MEMORY_PORT"
AUTH2_PID=$NGINX_PID
check_auth_nginx auth1 "$ROW_A1" "$AUTH1_PORT" "$GH_FA_MEMORY_PORT"
check_auth_nginx auth2 "$ROW_A2" "$AUTH2_PORT" "$GH_FA_MEMORY_PORT"
# The endpoint alone, asked about the request the 1-worker nginx would forward.
FA_HEADERS=(-H "X-Original-Method: GET" -H "X-Original-URL: http://localhost:$AUTH1_PORT/"
    -H "Cookie: $SESSION_COOKIE")
FA_URL="http://127.0.0.1:$GH_FA_MEMORY_PORT/api/authz/auth-request"
check_answer "$ROW_FA" "$FA_URL" 200 "Remote-User: bench" "${FA_HEADERS[@]}" ||
    gateway_failure "$ROW_FA: a signed-in request was not allowed with Remote-User: bench"
check_answer "$ROW_FA (no session)" "$FA_URL" 401 "Location: http://localhost:$GH_FA_MEMORY_PORT/_gatehouse/login" \
    "${FA_HEADERS[@]:0:4}" ||
    gateway_failure "$ROW_FA: a request without a session did not get 401 with the login page"

load "$ROW_A1" "http://127.0.0.1:$AUTH1_PORT/" "$(with_children "$AUTH1_PID" | xargs) $GH_FA_PID" "$GH_FA_PID" \
    -H "Host: localhost:$AUTH1_PORT" -H "Cookie: $SESSION_COOKIE"
load "$ROW_A2" "http://127.0.0.1:$AUTH2_PORT/" "$(with_children "$AUTH2_PID" | xargs) $GH_FA_PID" "$GH_FA_PID" \
    -H "Host: localhost:$AUTH2_PORT" -H "Cookie: $SESSION_COOKIE"
load "$ROW_FA" "$FA_URL" "$GH_FA_PID" "$GH_FA_PID" "${FA_HEADERS[@]}"
check_ok "$ROW_A1 (after the load)" "http://127.0.0.1:$AUTH1_PORT/" -H "Host: localhost:$AUTH1_PORT" \
    -H "Cookie: $SESSION_COOKIE" || nginx_failure auth1 "$ROW_A1: the signed-in request failed after the load"
check_answer "$ROW_FA (after the load)" "$FA_URL" 200 "Remote-User: bench" "${FA_HEADERS[@]}" ||
    gateway_failure "$ROW_FA: the signed-in request was not allowed after the load"
stop_nginx "$AUTH1_PID"
stop_nginx "$AUTH2_PID"
stop_pid "$GH_FA_PID"
forget_pid "$GH_FA_PID"

# Redis sessions: nginx with 2 workers.
start_gatehouse redis "$GH_FA_REDIS_PORT" forward-auth
login "$GH_FA_REDIS_PORT"
GH_FA_PID=$GH_PID
start_auth_nginx auth2r 2 "$AUTH2_REDIS_PORT" "$GH_FA_REDIS_PORT"
AUTH2R_PID=$NGINX_PID
check_auth_nginx auth2r "$ROW_A2R" "$AUTH2_REDIS_PORT" "$GH_FA_REDIS_PORT"
load "$ROW_A2R" "http://127.0.0.1:$AUTH2_REDIS_PORT/" "$(with_children "$AUTH2R_PID" | xargs) $GH_FA_PID" \
    "$GH_FA_PID" -H "Host: localhost:$AUTH2_REDIS_PORT" -H "Cookie: $SESSION_COOKIE"
check_ok "$ROW_A2R (after the load)" "http://127.0.0.1:$AUTH2_REDIS_PORT/" -H "Host: localhost:$AUTH2_REDIS_PORT" \
    -H "Cookie: $SESSION_COOKIE" || nginx_failure auth2r "$ROW_A2R: the signed-in request failed after the load"
stop_nginx "$AUTH2R_PID"
stop_pid "$GH_FA_PID"
forget_pid "$GH_FA_PID"

# --- 12. report ----------------------------------------------------------------------------------
version_of() { { "$@" 2>&1 || true; } | head -n 1; }
CPU=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
N1=${RPS[$ROW_N1]} N2=${RPS[$ROW_N2]}

table_row() {
    local row=$1 note="" x1 x2
    ((ERRORS[$row] == 0)) || note=" ⚠ ${ERRORS[$row]} errors"
    # The endpoint alone is not a proxy: a ratio to nginx proxying would compare unlike things.
    if [[ $row == "$ROW_FA" ]]; then
        x1="—" x2="—"
    else
        x1="$(ratio "${RPS[$row]}" "$N1")×" x2="$(ratio "${RPS[$row]}" "$N2")×"
    fi
    printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' "$row$note" "${RPS[$row]}" "${P50[$row]}" \
        "${P99[$row]}" "$x1" "$x2" "$(mib "${RSS_PEAK[$row]}")"
}

# verdict RATIO TARGET: "1.07× (meets the ≥ 1.0× target)" or "0.61× (39% short of 1.0×)", the
# shortfall as a share of the target.
verdict() {
    if awk -v r="$1" -v t="$2" 'BEGIN { exit !(r >= t) }'; then
        printf '%s× (meets the ≥ %s× target)' "$1" "$2"
    else
        printf '%s× (%s%% short of %s×)' "$1" "$(awk -v r="$1" -v t="$2" 'BEGIN { printf "%.0f", (1 - r / t) * 100 }')" "$2"
    fi
}

# met RATIO TARGET: "met" or "not met".
met() {
    if awk -v r="$1" -v t="$2" 'BEGIN { exit !(r >= t) }'; then echo met; else echo "not met"; fi
}

# us_per_request ROW [CORES]: CPU microseconds per request of the processes under test (or CORES,
# e.g. Gatehouse's share).
us_per_request() {
    awk -v c="${2:-${CPU_TARGET[$1]}}" -v r="${RPS[$1]}" 'BEGIN { printf "%.1f\n", c / r * 1e6 }'
}

# The targets (for later issues to reach).
TARGET_PROXY=1.0 TARGET_AUTH=0.8 TARGET_P99_MS=1 TARGET_REDIS=0.95

# shellcheck disable=SC2016 # backticks in the report are Markdown, not command substitution
where_we_stand() {
    local gm2 gr2 a1 a2 a2r fa_met
    gm2=$(ratio "${RPS[$ROW_GM]}" "$N2") gr2=$(ratio "${RPS[$ROW_GR]}" "$N2")
    a1=$(ratio "${RPS[$ROW_A1]}" "$N1") a2=$(ratio "${RPS[$ROW_A2]}" "$N2") a2r=$(ratio "${RPS[$ROW_A2R]}" "$N2")
    if awk -v p="${P99[$ROW_FA]}" -v t="$TARGET_P99_MS" 'BEGIN { exit !(p < t) }'; then fa_met=met; else fa_met="not met"; fi

    printf '**Gatehouse as the proxy.** With memory sessions, Gatehouse proxies %.0f authenticated req/s; with\n' "${RPS[$ROW_GM]}"
    printf 'Redis sessions, %.0f req/s.\n' "${RPS[$ROW_GR]}"
    printf 'Against nginx with 2 workers, the like-for-like baseline (both sides may use both cores), that is\n'
    printf '%s with memory sessions and %s with Redis sessions.\n' \
        "$(verdict "$gm2" "$TARGET_PROXY")" "$(verdict "$gr2" "$TARGET_PROXY")"
    printf 'Against nginx with 1 worker (one core of nginx, the other left to wrk and the upstream) it is\n'
    printf '%s and %s.\n' \
        "$(verdict "$(ratio "${RPS[$ROW_GM]}" "$N1")" "$TARGET_PROXY")" "$(verdict "$(ratio "${RPS[$ROW_GR]}" "$N1")" "$TARGET_PROXY")"
    printf 'Per request, Gatehouse spends %s µs (memory) and %s µs (Redis) of CPU against %s µs and %s µs for\n' \
        "$(us_per_request "$ROW_GM")" "$(us_per_request "$ROW_GR")" "$(us_per_request "$ROW_N1")" "$(us_per_request "$ROW_N2")"
    printf 'nginx with 1 and 2 workers; on a machine whose cores are shared with the load generator this CPU\n'
    printf 'cost, less sensitive to noise than req/s, is the gap to close.\n'
    printf 'p99 latency is %s ms (memory) and %s ms (Redis) against %s ms and %s ms for nginx with 1 and 2 workers.\n\n' \
        "${P99[$ROW_GM]}" "${P99[$ROW_GR]}" "${P99[$ROW_N1]}" "${P99[$ROW_N2]}"

    printf '**nginx auth_request → Gatehouse.** nginx running `examples/nginx/gatehouse.conf` serves %.0f req/s\n' "${RPS[$ROW_A1]}"
    printf 'with 1 worker and %.0f with 2 (memory sessions), %.0f with 2 workers and Redis sessions. Against the\n' \
        "${RPS[$ROW_A2]}" "${RPS[$ROW_A2R]}"
    printf 'nginx plain proxy with as many workers that is %s with 1 worker,\n' "$(verdict "$a1" "$TARGET_AUTH")"
    printf '%s with 2 workers and %s with Redis sessions.\n' \
        "$(verdict "$a2" "$TARGET_AUTH")" "$(verdict "$a2r" "$TARGET_AUTH")"
    printf 'Per request, nginx and Gatehouse together spend %s µs (1 worker) and %s µs (2 workers) of CPU, of\n' \
        "$(us_per_request "$ROW_A1")" "$(us_per_request "$ROW_A2")"
    printf 'which Gatehouse %s µs and %s µs; nginx as a plain proxy spends %s µs and %s µs.\n' \
        "$(us_per_request "$ROW_A1" "${CPU_GATEHOUSE[$ROW_A1]}")" "$(us_per_request "$ROW_A2" "${CPU_GATEHOUSE[$ROW_A2]}")" \
        "$(us_per_request "$ROW_N1")" "$(us_per_request "$ROW_N2")"
    printf 'p99 latency is %s ms and %s ms (memory) and %s ms (Redis).\n\n' \
        "${P99[$ROW_A1]}" "${P99[$ROW_A2]}" "${P99[$ROW_A2R]}"

    printf '**The forward-auth endpoint alone** (wrk straight at `/api/authz/auth-request`, memory sessions)\n'
    printf 'answers %.0f req/s with p50 %s ms and p99 %s ms, at %s µs of CPU per call over wrk'"'"'s kept-alive\n' \
        "${RPS[$ROW_FA]}" "${P50[$ROW_FA]}" "${P99[$ROW_FA]}" "$(us_per_request "$ROW_FA")"
    printf 'connections, against %s µs per call behind the 1-worker nginx, which opens a connection per call.\n\n' \
        "$(us_per_request "$ROW_A1" "${CPU_GATEHOUSE[$ROW_A1]}")"

    printf 'The targets, for later issues to reach:\n\n'
    printf -- '- Gatehouse as a reverse proxy ≥ %s× nginx plain proxy (2 workers): %s with memory sessions (%s×),\n' \
        "$TARGET_PROXY" "$(met "$gm2" "$TARGET_PROXY")" "$gm2"
    printf '  %s with Redis sessions (%s×).\n' "$(met "$gr2" "$TARGET_PROXY")" "$gr2"
    printf -- '- nginx auth_request → Gatehouse ≥ %s× nginx plain proxy with as many workers: %s with 1 worker\n' \
        "$TARGET_AUTH" "$(met "$a1" "$TARGET_AUTH")"
    printf '  (%s×), %s with 2 workers (%s×), %s with 2 workers and Redis sessions (%s×).\n' \
        "$a1" "$(met "$a2" "$TARGET_AUTH")" "$a2" "$(met "$a2r" "$TARGET_AUTH")" "$a2r"
    printf -- '- Forward-auth endpoint p99 < %s ms: %s (%s ms).\n' "$TARGET_P99_MS" "$fa_met" "${P99[$ROW_FA]}"
    local rm rm_cpu
    rm=$(ratio "${RPS[$ROW_GR]}" "${RPS[$ROW_GM]}")
    rm_cpu=$(ratio "$(us_per_request "$ROW_GM")" "$(us_per_request "$ROW_GR")")
    printf -- '- Redis sessions ≥ %s× memory sessions (gateway rows): %s in req/s (%s×); in CPU per request
' \
        "$TARGET_REDIS" "$(met "$rm" "$TARGET_REDIS")" "$rm"
    printf '  (memory µs / Redis µs, less sensitive to noise) %s (%s×).\n' "$(met "$rm_cpu" "$TARGET_REDIS")" "$rm_cpu"
}

# noise_warning: a sentence when other processes took a noticeable share of the CPU.
noise_warning() {
    local row worst=0 worst_row=""
    for row in "${ROWS[@]}"; do
        if awk -v a="${CPU_OTHER[$row]}" -v b="$worst" 'BEGIN { exit !(a > b) }'; then
            worst=${CPU_OTHER[$row]} worst_row=$row
        fi
    done
    if awk -v w="$worst" 'BEGIN { exit !(w >= 0.2) }'; then
        printf '\n⚠ In this run other processes on the machine used up to %s cores (during "%s"): the\n' "$worst" "$worst_row"
        printf 'rows are not equally loaded. Re-run on a quiet machine before drawing conclusions from the ratios.\n'
    fi
}

# shellcheck disable=SC2016 # backticks in the report are Markdown, not command substitution
{
    printf '# Benchmarks\n\n'
    printf 'Written by `bench/run.sh` (see `bench/README.md`); re-run it to refresh this file. These are\n'
    printf 'measurements, never test assertions.\n\n'
    printf '## Proxying an authenticated request\n\n'
    printf -- '- Date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf -- '- Machine: %s cores, %s, Linux %s, %s RAM\n' "$(nproc)" "$CPU" "$(uname -r)" \
        "$(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    printf -- '- Versions: gatehouse %s (%s), %s, wrk %s, redis-server %s\n' "$REV" "$(version_of rustc --version | awk '{print $1, $2}')" \
        "$(version_of nginx -v | sed 's/^nginx version: //')" "$(version_of wrk -v | awk '{print $2}')" \
        "$(version_of redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
    printf -- '- Redis sessions: `session.redis.local_cache = "%s"`%s\n' "${LOCAL_CACHE:-2s}" "$([[ -n $LOCAL_CACHE ]] || printf ' (the default)')"
    printf -- '- Load: `%s [-H ...] URL` after a %s s warm-up with the same command; the gateway and\n' "$WRK_CMD" "$WARMUP"
    printf "  auth_request rows add \`-H 'Host: localhost:PORT' -H 'Cookie: __Host-gatehouse_session=…'\` (a session\n"
    printf '  from a real login, PORT the one wrk connects to); the endpoint row loads\n'
    printf "  \`http://127.0.0.1:PORT/api/authz/auth-request\` with \`-H 'X-Original-Method: GET'\`\n"
    printf "  \`-H 'X-Original-URL: http://localhost:NGINX_PORT/'\` and the cookie, as nginx would ask it.\n\n"
    printf '| target | req/s | p50 (ms) | p99 (ms) | × nginx (1 worker) | × nginx (2 workers) | peak RSS |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|\n'
    for row in "${ROWS[@]}"; do table_row "$row"; done
    printf '\nCPU during each measured run, in busy cores out of %s (from `/proc`; "other" is everything\n' "$(nproc)"
    printf 'else on the machine, which should be near 0 for a clean run):\n\n'
    printf '| target | under test | of which Gatehouse | CPU per request (µs) | Gatehouse per request (µs) | upstream + redis | wrk | other |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
    for row in "${ROWS[@]}"; do
        if [[ -n ${CPU_GATEHOUSE[$row]} ]]; then
            gh_cores=${CPU_GATEHOUSE[$row]} gh_us=$(us_per_request "$row" "${CPU_GATEHOUSE[$row]}")
        else
            gh_cores="—" gh_us="—"
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$row" "${CPU_TARGET[$row]}" "$gh_cores" \
            "$(us_per_request "$row")" "$gh_us" \
            "${CPU_SUPPORT[$row]}" "${CPU_WRK[$row]}" "${CPU_OTHER[$row]}"
    done
    printf '\n"Under test" is the proxy (for the auth_request rows nginx and Gatehouse together; for the\n'
    printf 'endpoint row Gatehouse alone), "CPU per request" its CPU time over the requests wrk completed.\n'
    printf '\n### Where we stand\n\n'
    where_we_stand
    printf '\n'
    printf '### Setup\n\n'
    printf -- '- Upstream: a separate nginx (1 worker) answering every request with `200 "ok\\n"`, so it is\n'
    printf '  not the bottleneck. Everything listens on 127.0.0.1.\n'
    printf -- '- nginx plain proxy: `proxy_pass` to an `upstream` block with `keepalive 64`,\n'
    printf '  `proxy_http_version 1.1`, `proxy_set_header Connection ""`, `access_log off`, and\n'
    printf '  `keepalive_requests 1000000` on both sides so neither closes connections mid-run;\n'
    printf '  `worker_processes 1` (one core) and `worker_processes 2` (both cores, like Gatehouse).\n'
    printf -- '- Gatehouse: `gatehouse serve`, release build, `default_policy = "one_factor"`, one `[[sites]]`\n'
    printf '  entry for `localhost`, log level `warn`; every request carries the session cookie, so each one is\n'
    printf '  a session lookup, an access decision, header hygiene and the proxied call. Tokio multi-thread\n'
    printf '  runtime, one worker thread per core (%s; the process had %s threads after the memory run and %s after the\n' \
        "$(nproc)" "${GH_THREADS[$ROW_GM]}" "${GH_THREADS[$ROW_GR]}"
    printf '  Redis run, counting the blocking pool). Redis sessions use a local `redis-server` (no persistence).\n'
    printf -- '- nginx auth_request → Gatehouse: nginx runs `examples/nginx/gatehouse.conf` unchanged but for its\n'
    printf '  tokens (`__LISTEN__` 127.0.0.1:PORT, `__SERVER_NAME__` localhost, `__GATEHOUSE__`\n'
    printf '  127.0.0.1:GATEHOUSE_PORT, `__APP__` the upstream), included in the same `http` block as\n'
    printf '  the plain proxies (`access_log off`, `keepalive_requests 1000000`), with `worker_processes` 1 and 2.\n'
    printf '  The example keeps its connections to Gatehouse and to the app open (`upstream` blocks with\n'
    printf '  `keepalive`), like the plain proxy.\n'
    printf '  Gatehouse is configured as above plus `trusted_proxies = ["127.0.0.1/32"]`, with its own\n'
    printf '  process and login; one process (memory sessions) serves both nginx rows and the endpoint row,\n'
    printf '  another (Redis sessions) the Redis row, so their peak RSS accumulates over those rows. Every\n'
    printf '  request is an `auth_request` subrequest (session lookup and access decision in Gatehouse, 200 with\n'
    printf '  the identity headers) and then the proxied call. Before the load, each nginx is checked to answer\n'
    printf '  200 `ok` with the session cookie and a 302 to the portal login page without it, and the endpoint\n'
    printf '  to answer 200 with `Remote-User: bench` with the cookie and 401 without it.\n'
    printf -- '- Peak RSS is `VmHWM` after the run: for nginx the sum over master and workers; for Gatehouse\n'
    printf '  the process, which includes the one Argon2id login hash (≥ 19 MiB) done before the load; for\n'
    printf '  auth_request, nginx and Gatehouse together.\n'
    printf '  Resident size just before the measured run (after the warm-up):\n'
    for row in "${ROWS[@]}"; do
        printf '  - %s: %s\n' "$row" "$(mib "${RSS_BEFORE[$row]}")"
    done
    printf -- '- Errors: wrk socket errors plus non-2xx/3xx answers; a row with any is marked ⚠. Each target\n'
    printf '  is checked with curl (200 and body `ok`) before the load, and the gateway again after it\n'
    printf '  (for auth_request, through the 1-worker and the Redis nginx; the endpoint directly).\n\n'
    printf '### Caveats\n\n'
    printf 'Loopback benchmarks on a shared %s-core VM are noisy: the load generator (wrk, %s threads), the\n' "$(nproc)" "$THREADS"
    printf 'upstream and the proxy under test (for auth_request, nginx and Gatehouse) all share the same\n'
    printf 'cores, nothing is pinned, and other work on the host shows up in the numbers. Compare rows from\n'
    printf 'the same run, not across runs or machines; differences of a few per cent are within the noise.\n'
    noise_warning
    printf '\n'
    # Measured separately (bench/session-cache.sh) and kept with the benchmark, so a run keeps it.
    [[ ! -f $ROOT/bench/session-cache.md ]] || { cat "$ROOT/bench/session-cache.md"; printf '\n'; }
    printf '<details><summary>Raw wrk output</summary>\n\n'
    for ((i = 0; i < ${#ROWS[@]}; i++)); do
        printf '#### %s\n\n```\n' "${ROWS[i]}"
        cat "$TMP/raw-$i.txt"
        printf '```\n\n'
    done
    printf '</details>\n'
    # Measured separately (bench/storm.sh; the figures kept by hand in bench/storm.md), so a
    # run keeps them too.
    [[ ! -f $ROOT/bench/storm.md ]] || { printf '\n'; cat "$ROOT/bench/storm.md"; }
} >"$TMP/report.md"

cat "$TMP/report.md" >"$REPORT"
log "wrote $REPORT"
sed -n '/^| target/,/^$/p' "$REPORT" >&2
