#!/usr/bin/env bash
# Gatehouse benchmark: an upstream (nginx returning a fixed "ok"), nginx as a plain reverse proxy
# (1 and 2 workers), and Gatehouse proxying an authenticated request (memory and Redis sessions),
# each loaded with the same wrk command. Writes the report to BENCHMARKS.md.
#
# Knobs (environment): DURATION (s, default 15), CONNECTIONS (default 64), THREADS (wrk threads,
# default 2), WARMUP (s, default 3), SKIP_BUILD=1 (use the existing target/release/gatehouse),
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

mapfile -t PORTS < <(free_ports 6)
((${#PORTS[@]} == 6)) || die "could not pick free ports"
UP_PORT=${PORTS[0]} NGINX1_PORT=${PORTS[1]} NGINX2_PORT=${PORTS[2]} REDIS_PORT=${PORTS[3]}
GH_MEMORY_PORT=${PORTS[4]} GH_REDIS_PORT=${PORTS[5]}

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
declare -A RPS P50 P99 ERRORS RSS_PEAK RSS_BEFORE CPU_TARGET CPU_SUPPORT CPU_WRK CPU_OTHER
WRK_CMD="wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"

# load ROW URL PIDS [wrk args...]: warm-up, then the measured run; records the row's numbers.
# PIDS is a space-separated list of the processes whose peak RSS is reported.
load() {
    local row=$1 url=$2 pids=$3
    shift 3
    local -a pid_list
    read -r -a pid_list <<<"$pids"
    local out="$TMP/raw-${#ROWS[@]}.txt" rps p50 p99 errors
    log "$row: warm-up ${WARMUP}s, then ${DURATION}s"
    in_background wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" >/dev/null
    RSS_BEFORE[$row]=$(rss_kib "${pid_list[@]}")
    local support_pids t0 s0 b0 w0 t1 s1 b1 w1 wall wrk_cpu
    read -r -a support_pids <<<"$(with_children "$UP_PID" | xargs) $REDIS_PID"
    t0=$(cpu_ticks "${pid_list[@]}") s0=$(cpu_ticks "${support_pids[@]}") b0=$(busy_ticks) w0=$EPOCHREALTIME
    in_background timed_wrk "$out" -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url"
    t1=$(cpu_ticks "${pid_list[@]}") s1=$(cpu_ticks "${support_pids[@]}") b1=$(busy_ticks) w1=$EPOCHREALTIME
    RSS_PEAK[$row]=$(peak_rss_kib "${pid_list[@]}")
    wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
    wrk_cpu=$(awk -v hz="$CLK_TCK" '{ printf "%.0f\n", ($1 + $2) * hz }' "$out.time")
    CPU_TARGET[$row]=$(cores $((t1 - t0)) "$wall")
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

load "$ROW_N1" "http://127.0.0.1:$NGINX1_PORT/" "$(with_children "$NGINX1_PID" | xargs)"
load "$ROW_N2" "http://127.0.0.1:$NGINX2_PORT/" "$(with_children "$NGINX2_PID" | xargs)"

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

# start_gatehouse STORE PORT: config, user, serve; sets GH_PID, GH_LOG, GH_CONFIG.
start_gatehouse() {
    local store=$1 port=$2 dir="$TMP/gatehouse-$1"
    mkdir -p "$dir"
    GH_CONFIG="$dir/gatehouse.toml"
    GH_LOG="$dir/gatehouse.log"
    : >"$GH_LOG"
    {
        printf '[server]\nlisten = ["127.0.0.1:%s"]\n\n' "$port"
        printf '[portal]\nurl = "http://localhost:%s/_gatehouse"\n\n' "$port"
        printf '[session]\nstore = "%s"\n' "$store"
        if [[ $store == redis ]]; then
            printf '\n[session.redis]\nurl = "redis://127.0.0.1:%s"\nprefix = "bench:"\n' "$REDIS_PORT"
        fi
        printf '\n[storage]\ndatabase = "%s"\n\n' "$dir/gatehouse-$store.db"
        printf '[log]\nlevel = "warn"\n\n'
        printf '[access_control]\ndefault_policy = "one_factor"\n\n'
        printf '[[sites]]\nhost = "localhost"\nupstream = "http://127.0.0.1:%s"\n' "$UP_PORT"
    } >"$GH_CONFIG"

    log "gatehouse ($store sessions): adding user bench"
    printf '%s\n' "$PASSWORD" | "$BIN" user add bench --config "$GH_CONFIG" --password-stdin >>"$GH_LOG" 2>&1 ||
        gateway_failure "gatehouse user add bench failed"

    log "gatehouse ($store sessions): serving on 127.0.0.1:$port"
    "$BIN" serve --config "$GH_CONFIG" >>"$GH_LOG" 2>&1 &
    GH_PID=$!
    PIDS+=("$GH_PID")
    wait_http 20 "$GH_PID" "http://127.0.0.1:$port/_gatehouse/api/health" -H 'Host: localhost' ||
        gateway_failure "gatehouse ($store sessions) did not become healthy within 20 s"
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
    load "$row" "http://127.0.0.1:$port/" "$GH_PID" "${headers[@]}"
    check_ok "$row (after the load)" "http://127.0.0.1:$port/" "${headers[@]}" ||
        gateway_failure "$row: the authenticated request failed after the load"
    GH_THREADS[$row]=$(awk '/^Threads:/ {print $2}' "/proc/$GH_PID/status")
    stop_pid "$GH_PID"
    forget_pid "$GH_PID"
}

bench_gatehouse memory "$GH_MEMORY_PORT" "$ROW_GM"
bench_gatehouse redis "$GH_REDIS_PORT" "$ROW_GR"

# --- 11. report ----------------------------------------------------------------------------------
version_of() { { "$@" 2>&1 || true; } | head -n 1; }
REV="\`$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\`"
if [[ -n $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock templates 2>/dev/null || true) ]]; then
    REV="$REV with uncommitted changes to the gateway"
fi
CPU=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
N1=${RPS[$ROW_N1]} N2=${RPS[$ROW_N2]}

table_row() {
    local row=$1 note=""
    ((ERRORS[$row] == 0)) || note=" ⚠ ${ERRORS[$row]} errors"
    printf '| %s | %.0f | %s | %s | %s× | %s× | %s |\n' "$row$note" "${RPS[$row]}" "${P50[$row]}" \
        "${P99[$row]}" "$(ratio "${RPS[$row]}" "$N1")" "$(ratio "${RPS[$row]}" "$N2")" "$(mib "${RSS_PEAK[$row]}")"
}

# verdict RATIO: "1.07× (meets the target)" or "0.61× (39% short)".
verdict() {
    if awk -v r="$1" 'BEGIN { exit !(r >= 1.0) }'; then
        printf '%s× (meets the target)' "$1"
    else
        printf '%s× (%s%% short)' "$1" "$(awk -v r="$1" 'BEGIN { printf "%.0f", (1 - r) * 100 }')"
    fi
}

# us_per_request ROW: CPU microseconds the proxy under test spent per request.
us_per_request() {
    awk -v c="${CPU_TARGET[$1]}" -v r="${RPS[$1]}" 'BEGIN { printf "%.1f\n", c / r * 1e6 }'
}

where_we_stand() {
    printf 'With memory sessions, Gatehouse proxies %.0f authenticated req/s; with Redis sessions, %.0f req/s.\n' \
        "${RPS[$ROW_GM]}" "${RPS[$ROW_GR]}"
    printf 'Against nginx with 2 workers, the like-for-like baseline (both sides may use both cores), that is\n'
    printf '%s with memory sessions and %s with Redis sessions.\n' \
        "$(verdict "$(ratio "${RPS[$ROW_GM]}" "$N2")")" "$(verdict "$(ratio "${RPS[$ROW_GR]}" "$N2")")"
    printf 'Against nginx with 1 worker (one core of nginx, the other left to wrk and the upstream) it is\n'
    printf '%s and %s.\n' \
        "$(verdict "$(ratio "${RPS[$ROW_GM]}" "$N1")")" "$(verdict "$(ratio "${RPS[$ROW_GR]}" "$N1")")"
    printf 'Per request, Gatehouse spends %s µs (memory) and %s µs (Redis) of CPU against %s µs and %s µs for\n' \
        "$(us_per_request "$ROW_GM")" "$(us_per_request "$ROW_GR")" "$(us_per_request "$ROW_N1")" "$(us_per_request "$ROW_N2")"
    printf 'nginx with 1 and 2 workers; on a machine whose cores are shared with the load generator this CPU\n'
    printf 'cost, less sensitive to noise than req/s, is the gap to close.\n'
    printf 'p99 latency is %s ms (memory) and %s ms (Redis) against %s ms and %s ms for nginx with 1 and 2 workers.\n' \
        "${P99[$ROW_GM]}" "${P99[$ROW_GR]}" "${P99[$ROW_N1]}" "${P99[$ROW_N2]}"
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
    printf -- '- Load: `%s [-H ...] URL` after a %s s warm-up with the same command; the gateway rows add\n' "$WRK_CMD" "$WARMUP"
    printf "  \`-H 'Host: localhost:PORT' -H 'Cookie: __Host-gatehouse_session=…'\` (a session from a real login).\n\n"
    printf '| target | req/s | p50 (ms) | p99 (ms) | × nginx (1 worker) | × nginx (2 workers) | peak RSS |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|\n'
    for row in "${ROWS[@]}"; do table_row "$row"; done
    printf '\nCPU during each measured run, in busy cores out of %s (from `/proc`; "other" is everything\n' "$(nproc)"
    printf 'else on the machine, which should be near 0 for a clean run):\n\n'
    printf '| target | proxy under test | CPU per request (µs) | upstream + redis | wrk | other |\n'
    printf '|---|---:|---:|---:|---:|---:|\n'
    for row in "${ROWS[@]}"; do
        printf '| %s | %s | %s | %s | %s | %s |\n' "$row" "${CPU_TARGET[$row]}" \
            "$(us_per_request "$row")" \
            "${CPU_SUPPORT[$row]}" "${CPU_WRK[$row]}" "${CPU_OTHER[$row]}"
    done
    printf '\n### Where we stand\n\n'
    where_we_stand
    printf '\nThe target, for later issues to reach, is ≥ 1.0× nginx as a plain reverse proxy.\n\n'
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
    printf -- '- Peak RSS is `VmHWM` after the run: for nginx the sum over master and workers; for Gatehouse\n'
    printf '  the process, which includes the one Argon2id login hash (≥ 19 MiB) done before the load.\n'
    printf '  Resident size just before the measured run (after the warm-up):\n'
    for row in "${ROWS[@]}"; do
        printf '  - %s: %s\n' "$row" "$(mib "${RSS_BEFORE[$row]}")"
    done
    printf -- '- Errors: wrk socket errors plus non-2xx/3xx answers; a row with any is marked ⚠. Each target\n'
    printf '  is checked with curl (200 and body `ok`) before the load, and the gateway again after it.\n\n'
    printf '### Caveats\n\n'
    printf 'Loopback benchmarks on a shared %s-core VM are noisy: the load generator (wrk, %s threads), the\n' "$(nproc)" "$THREADS"
    printf 'upstream and the proxy under test all share the same cores, nothing is pinned, and other work on\n'
    printf 'the host shows up in the numbers. Compare rows from the same run, not across runs or machines;\n'
    printf 'differences of a few per cent are within the noise.\n'
    noise_warning
    printf '\n'
    printf '<details><summary>Raw wrk output</summary>\n\n'
    for ((i = 0; i < ${#ROWS[@]}; i++)); do
        printf '#### %s\n\n```\n' "${ROWS[i]}"
        cat "$TMP/raw-$i.txt"
        printf '```\n\n'
    done
    printf '</details>\n'
} >"$TMP/report.md"

cat "$TMP/report.md" >"$REPORT"
log "wrote $REPORT"
sed -n '/^| target/,/^$/p' "$REPORT" >&2
