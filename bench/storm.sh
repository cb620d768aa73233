#!/usr/bin/env bash
# Login storms and memory: proxied latency while 32 clients sign in continuously, and Gatehouse's
# resident memory idle, under the proxy load, per held keep-alive connection and per Redis session.
# Prints a Markdown report on stdout (and to REPORT when set); the figures are kept by hand in
# bench/storm.md, which bench/run.sh appends to BENCHMARKS.md. See bench/README.md.
#
# Knobs (environment): DURATION (s per measured run, default 10), ROUNDS (quiet/storm pairs,
# default 3), CONNECTIONS (wrk connections, default 8), STORM_CLIENTS (default 32),
# IDLE_CONNECTIONS (default 10000), REDIS_LOGINS (default 20), HASH_NICE (move the spare
# password-hashing threads, which run under SCHED_IDLE, to SCHED_OTHER at this nice value after
# start, or `idle` to keep them there, to compare priorities), HASH_CPUS (pin the spare hashing
# threads to these CPUs after start, a taskset list such as `1`, to compare placements), PIN=1
# (place as bench/run.sh does: wrk, the keep-alive client, the upstream and redis on core 0,
# Gatehouse and all its threads on core 1; the sign-in clients on core 0 under SCHED_IDLE; the
# control's busy loop on core 1 only: see bench/storm.md), STORM_REFUSED=1 (every sign-in carries a
# wrong CSRF token and is refused before its hash: the storm's page traffic alone), CONTROL_WORK
# (what the control's idle-priority loops do: `spin`, the default, a shell busy loop; `hash`, one
# `gatehouse hash-password` after another, argon2id at the default cost outside the gateway, to tell
# the memory traffic of hashing apart from Gatehouse's scheduling), STORM_AT (where the sign-in
# clients go: `gatehouse`, the default; `standin`, an nginx on Gatehouse's core serving a static
# copy of the login form's cookie and token and refusing every POST, as Gatehouse refuses a wrong
# token: the same page traffic answered by nginx beside Gatehouse), SKIP_BUILD=1,
# GATEHOUSE_BIN (implies SKIP_BUILD=1), REPORT (also write the report there), RESULTS (append the
# figures there as records for bench/run.sh's report), STORM_RATE (send the proxied load at this
# fixed rate, requests per second, with bench/fixed_rate.rs over 16 connections instead of wrk's
# closed loop: a gateway with idle CPU, which the storm's hashing fills, rather than a saturated
# one), STORM_ANCHORS (1, the default: each round also runs the storm's page traffic alone, first
# answered by Gatehouse with every sign-in refused for its token, then by the stand-in nginx; 0
# leaves them out), STORM_LOCKSTEP=1 (the sign-in clients start together and wait exactly 50 ms
# after each refusal, so that they come in waves, as every storm did until the waits were drawn; by
# default each client starts and waits at random, 50 ms on average: see bench/storm_clients.rs).
#
# Beside each run's p99, the report gives how long Gatehouse's serving threads waited for a core
# while runnable (ms per second of the run, from /proc's schedstat): starvation itself, without
# the noise of the machine's other work in a tail latency.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$ROOT/bench/lib.sh"

PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
CLK_TCK=$(getconf CLK_TCK)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
HASH_NICE=${HASH_NICE:-}
HASH_CPUS=${HASH_CPUS:-}
PIN=${PIN:-0}
STORM_REFUSED=${STORM_REFUSED:-0}
CONTROL_WORK=${CONTROL_WORK:-spin}
STORM_AT=${STORM_AT:-gatehouse}
STORM_RATE=${STORM_RATE:-}
STORM_ANCHORS=${STORM_ANCHORS:-1}
STORM_LOCKSTEP=${STORM_LOCKSTEP:-0}
CONNECTIONS=${CONNECTIONS:-8}
STORM_CLIENTS=${STORM_CLIENTS:-32}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
REDIS_LOGINS=${REDIS_LOGINS:-20}
SKIP_BUILD=${SKIP_BUILD:-0}
BIN=${GATEHOUSE_BIN:-$ROOT/target/release/gatehouse}
[[ -z ${GATEHOUSE_BIN:-} ]] || SKIP_BUILD=1
# Gatehouse reads GATEHOUSE_* variables as config overrides and refuses unknown ones.
unset GATEHOUSE_BIN
CLIENTS_PY="$ROOT/bench/hold_clients.py"

[[ -z $HASH_NICE || $HASH_NICE =~ ^-?[0-9]+$ || $HASH_NICE == idle ]] ||
    die "HASH_NICE must be a nice value or 'idle' (got '$HASH_NICE')"
[[ -z $HASH_CPUS || $HASH_CPUS =~ ^[0-9]+([-,][0-9]+)*$ ]] ||
    die "HASH_CPUS must be a CPU list such as 1 or 0,1 (got '$HASH_CPUS')"
[[ $PIN == 0 || $PIN == 1 ]] || die "PIN must be 0 or 1 (got '$PIN')"
[[ $STORM_REFUSED == 0 || $STORM_REFUSED == 1 ]] || die "STORM_REFUSED must be 0 or 1 (got '$STORM_REFUSED')"
[[ $CONTROL_WORK == spin || $CONTROL_WORK == hash ]] || die "CONTROL_WORK must be spin or hash (got '$CONTROL_WORK')"
[[ $STORM_AT == gatehouse || $STORM_AT == standin ]] || die "STORM_AT must be gatehouse or standin (got '$STORM_AT')"
[[ -z $STORM_RATE || $STORM_RATE =~ ^[1-9][0-9]*$ ]] || die "STORM_RATE must be requests per second (got '$STORM_RATE')"
[[ $STORM_ANCHORS == 0 || $STORM_ANCHORS == 1 ]] || die "STORM_ANCHORS must be 0 or 1 (got '$STORM_ANCHORS')"
[[ $STORM_LOCKSTEP == 0 || $STORM_LOCKSTEP == 1 ]] || die "STORM_LOCKSTEP must be 0 or 1 (got '$STORM_LOCKSTEP')"
PACE=()
[[ $STORM_LOCKSTEP == 0 ]] || PACE=(lockstep)
# The stand-in refuses every sign-in: the clients send wrong tokens to it, as with STORM_REFUSED=1.
[[ $STORM_AT == gatehouse ]] || STORM_REFUSED=1
STORM_MODE=()
[[ $STORM_REFUSED == 0 ]] || STORM_MODE=(refused)
# ON_LOAD and ON_SERVER prefix what runs on the load's core and on the server's core (PIN=1).
# ON_STORM runs the sign-in clients: pinned, they go under SCHED_IDLE beside wrk and the upstream,
# which they would otherwise delay at normal priority (their own CPU is the harness's, not the
# gateway's). CONTROL_CPUS: where the control's busy loops run, one each.
ON_LOAD=() ON_SERVER=() ON_STORM=() CONTROL_CPUS=()
if [[ $PIN == 1 ]]; then
    (($(nproc) >= 2)) || die "PIN=1 needs at least 2 cores"
    command -v taskset >/dev/null || die "taskset is missing (Debian: apt-get install util-linux)"
    ON_LOAD=(taskset -c 0) ON_SERVER=(taskset -c 1) ON_STORM=(taskset -c 0 chrt --idle 0)
    # Where the gateway's hashing runs, and nowhere else: a busy loop on the load generator's core
    # delays wrk and the upstream themselves (bench/storm.md).
    CONTROL_CPUS=(1)
else
    for ((c = 0; c < $(nproc); c++)); do CONTROL_CPUS+=("$c"); done
fi
for knob in DURATION ROUNDS CONNECTIONS STORM_CLIENTS IDLE_CONNECTIONS REDIS_LOGINS; do
    [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive whole number (got '${!knob}')"
done
((STORM_CLIENTS <= 250)) || die "STORM_CLIENTS must be at most 250 (one source address 127.0.0.N each)"

# --- tools and build -----------------------------------------------------------------------------
missing=()
for cmd in nginx wrk redis-server redis-cli curl python3; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if ((${#missing[@]} > 0)); then
    log "missing ${missing[*]}: bench/run.sh installs them (apt-get); running its installer"
    declare -A package=([nginx]=nginx-light [wrk]=wrk [redis-server]=redis-server [redis-cli]=redis-tools [curl]=curl [python3]=python3)
    pkgs=()
    for cmd in "${missing[@]}"; do pkgs+=("${package[$cmd]}"); done
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${pkgs[@]}" ||
        die "apt-get install ${pkgs[*]} failed; install them by hand and re-run"
fi
REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null || true) ]] ||
    REV="$REV with uncommitted changes"
if [[ $SKIP_BUILD != 1 ]]; then
    log "building: cargo build --release --bin gatehouse --example bare_hyper --example storm_clients --example fixed_rate"
    (cd "$ROOT" && cargo build --release --bin gatehouse --example bare_hyper --example storm_clients --example fixed_rate) ||
        die "cargo build --release failed"
fi
[[ -x $BIN ]] || die "$BIN not found (build it, or unset SKIP_BUILD)"
BARE_BIN=$ROOT/target/release/examples/bare_hyper
[[ -x $BARE_BIN ]] || die "$BARE_BIN not found: cargo build --release --example bare_hyper"
STORM_BIN=$ROOT/target/release/examples/storm_clients
[[ -x $STORM_BIN ]] || die "$STORM_BIN not found: cargo build --release --example storm_clients"
RATE_BIN=$ROOT/target/release/examples/fixed_rate
[[ -z $STORM_RATE || -x $RATE_BIN ]] || die "$RATE_BIN not found: cargo build --release --example fixed_rate"
# The keep-alive test holds IDLE_CONNECTIONS sockets in the client and as many in the gateway.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) > IDLE_CONNECTIONS + 1000)) ||
    die "the open-file limit ($(ulimit -n)) is too low for IDLE_CONNECTIONS=$IDLE_CONNECTIONS"

# --- scratch dir, cleanup ------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-storm.XXXXXX")
PIDS=()
cleanup() {
    local i child children
    touch "$TMP/stop" 2>/dev/null || true
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        children=$(pgrep -P "${PIDS[i]}" || true)
        stop_pid "${PIDS[i]}"
        for child in $children; do stop_pid "$child"; done
    done
    rm -rf "$TMP" "${STANDIN_WWW:-}"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

mapfile -t PORTS < <(free_ports 6)
UP_PORT=${PORTS[0]} REDIS_PORT=${PORTS[1]} GH_PORT=${PORTS[2]} GH_REDIS_PORT=${PORTS[3]} BARE_PORT=${PORTS[4]}
STANDIN_PORT=${PORTS[5]}

# --- upstream and redis --------------------------------------------------------------------------
# small_nginx NAME SERVER: a one-worker nginx config at $TMP/NAME.conf with that server block.
small_nginx() {
    mkdir -p "$TMP/$1"
    cat >"$TMP/$1.conf" <<EOF
daemon off;
worker_processes 1;
pid $TMP/$1.pid;
error_log $TMP/$1-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/$1/body;
    proxy_temp_path $TMP/$1/proxy;
    keepalive_requests 1000000;
    $2
}
EOF
}
small_nginx upstream "server { listen 127.0.0.1:$UP_PORT; location / { return 200 \"ok\\n\"; } }"
"${ON_LOAD[@]}" nginx -p "$TMP/" -c "$TMP/upstream.conf" -e "$TMP/upstream-error.log" >"$TMP/upstream.out" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")
wait_http 10 "$UP_PID" "http://127.0.0.1:$UP_PORT/" || die "upstream nginx did not start"

"${ON_LOAD[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")

# The stand-in (STORM_AT=standin, and each round's last anchor): the login form's traffic
# answered by nginx on Gatehouse's core. GET gives a CSRF cookie and Gatehouse's own login page,
# copied once Gatehouse is up (a placeholder form until then), so that both send the same bytes;
# every POST is refused with a 303 back to the form, as Gatehouse refuses a wrong token. Idle while
# the clients storm Gatehouse.
STORM_PORT=$GH_PORT
STANDIN_PAGE=
if [[ $STORM_AT == standin || $STORM_ANCHORS == 1 ]]; then
    # Beside $TMP, which holds the password and is private: nginx's workers (nobody, when
    # started as root) must read the page.
    STANDIN_WWW=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-standin.XXXXXX")
    chmod 755 "$STANDIN_WWW"
    STANDIN_PAGE=$STANDIN_WWW/login.html
    printf '<form method="post"><input type="hidden" name="csrf" value="standin"></form>\n' >"$STANDIN_PAGE"
    small_nginx standin "server {
        listen 127.0.0.1:$STANDIN_PORT;
        location = /_gatehouse/login {
            if (\$request_method = POST) { return 303 /_gatehouse/login; }
            add_header Set-Cookie \"__Host-gatehouse_csrf=standin; Path=/; Secure; HttpOnly; SameSite=Strict\";
            default_type text/html;
            alias $STANDIN_PAGE;
        }
    }"
    "${ON_SERVER[@]}" nginx -p "$TMP/" -c "$TMP/standin.conf" -e "$TMP/standin-error.log" >"$TMP/standin.out" 2>&1 &
    STANDIN_PID=$!
    PIDS+=("$STANDIN_PID")
    wait_http 10 "$STANDIN_PID" "http://127.0.0.1:$STANDIN_PORT/_gatehouse/login" || die "the stand-in nginx did not start"
    [[ $STORM_AT == gatehouse ]] || STORM_PORT=$STANDIN_PORT
fi
for ((i = 0; i < 100; i++)); do
    [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]] && break
    sleep 0.1
done
[[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]] || die "redis-server did not start"

# --- gatehouse -----------------------------------------------------------------------------------
random_password >"$TMP/password"
truncate -s -1 "$TMP/password"

# start_gatehouse STORE PORT: config, users (bench and storm0..), serve; sets GH_PID, GH_LOG.
start_gatehouse() {
    local store=$1 port=$2 dir="$TMP/gatehouse-$1" i
    mkdir -p "$dir"
    GH_LOG="$dir/gatehouse.log"
    GH_CONFIG="$dir/gatehouse.toml"
    {
        printf '[server]\nlisten = ["127.0.0.1:%s"]\n' "$port"
        printf 'max_connections = %s\nmax_connections_per_client = 256\n\n' $((IDLE_CONNECTIONS + 100))
        printf '[portal]\nurl = "http://localhost:%s/_gatehouse"\n\n' "$port"
        printf '[session]\nstore = "%s"\n' "$store"
        [[ $store != redis ]] ||
            printf '\n[session.redis]\nurl = "redis://127.0.0.1:%s"\nprefix = "bench:"\n' "$REDIS_PORT"
        printf '\n[storage]\ndatabase = "%s"\n\n[log]\nlevel = "warn"\n\n' "$dir/gatehouse.db"
        printf '[access_control]\ndefault_policy = "one_factor"\n\n'
        printf '[[sites]]\nhost = "localhost"\nupstream = "http://127.0.0.1:%s"\n' "$UP_PORT"
    } >"$GH_CONFIG"
    local users=(bench)
    [[ $store != memory ]] || for ((i = 0; i < STORM_CLIENTS; i++)); do users+=("storm$i"); done
    log "gatehouse ($store sessions): adding ${#users[@]} users"
    for user in "${users[@]}"; do
        "$BIN" user add "$user" --config "$GH_CONFIG" --password-stdin <"$TMP/password" >>"$GH_LOG" 2>&1 ||
            { cat "$GH_LOG" >&2; die "gatehouse user add $user failed"; }
    done
    "${ON_SERVER[@]}" "$BIN" serve --config "$GH_CONFIG" >>"$GH_LOG" 2>&1 &
    GH_PID=$!
    PIDS+=("$GH_PID")
    wait_http 20 "$GH_PID" "http://127.0.0.1:$port/_gatehouse/api/health" -H 'Host: localhost' ||
        { cat "$GH_LOG" >&2; die "gatehouse ($store) did not become healthy"; }
    [[ -n $HASH_CPUS || -n $HASH_NICE ]] || return 0
    local task tid tids=()
    for task in /proc/"$GH_PID"/task/*; do
        [[ $(<"$task/comm") != gatehouse-hash* ]] || tids+=("${task##*/}")
    done
    ((${#tids[@]} > 0)) || die "HASH_CPUS or HASH_NICE is set but this gatehouse has no gatehouse-hash threads"
    if [[ -n $HASH_CPUS ]]; then
        for tid in "${tids[@]}"; do
            taskset -p -c "$HASH_CPUS" "$tid" >/dev/null || die "cannot pin hashing thread $tid to CPUs $HASH_CPUS"
        done
        log "pinned ${#tids[@]} hashing thread(s) to CPUs $HASH_CPUS"
    fi
    [[ -n $HASH_NICE ]] || return 0
    for tid in "${tids[@]}"; do
        if [[ $HASH_NICE == idle ]]; then
            chrt --other -p 0 "$tid" && chrt --idle -p 0 "$tid" || die "cannot set SCHED_IDLE on hashing thread $tid"
        else
            chrt --other -p 0 "$tid" && renice -n "$HASH_NICE" -p "$tid" >/dev/null ||
                die "cannot renice hashing thread $tid"
        fi
    done
    log "reniced ${#tids[@]} hashing thread(s) to $HASH_NICE"
}

# login PORT: signs in as bench; sets SESSION_COOKIE (name=value).
login() {
    local port=$1 csrf_cookie csrf_token code
    curl -s -m 10 -D "$TMP/get.h" -o "$TMP/get.html" -H "Host: localhost:$port" \
        "http://127.0.0.1:$port/_gatehouse/login" >/dev/null || true
    csrf_cookie=$(tr -d '\r' <"$TMP/get.h" | sed -n 's/^[Ss]et-[Cc]ookie: *__Host-gatehouse_csrf=\([^;]*\).*/\1/p' | tail -n 1)
    csrf_token=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$TMP/get.html" | head -n 1)
    [[ -n $csrf_cookie && -n $csrf_token ]] || { cat "$GH_LOG" >&2; die "the login page gave no CSRF cookie or token"; }
    code=$(curl -s -m 10 -D "$TMP/post.h" -o /dev/null -w '%{http_code}' -H "Host: localhost:$port" \
        -H "Cookie: __Host-gatehouse_csrf=$csrf_cookie" --data-urlencode "username=bench" \
        --data-urlencode "password@$TMP/password" --data-urlencode "csrf=$csrf_token" \
        --data-urlencode "rd=" "http://127.0.0.1:$port/_gatehouse/login" || true)
    SESSION_COOKIE=$(tr -d '\r' <"$TMP/post.h" | sed -n 's/^[Ss]et-[Cc]ookie: *\([^=;]*gatehouse_session=[^;]*\).*/\1/p' | tail -n 1)
    [[ $code == 303 && -n $SESSION_COOKIE && $SESSION_COOKIE != *= ]] ||
        { cat "$TMP/post.h" "$GH_LOG" >&2; die "login did not answer 303 with a session cookie (got $code)"; }
}

# proxy_run NAME: the measured run through the gateway with the session cookie (wrk, or
# bench/fixed_rate.rs at STORM_RATE); sets P50[NAME], P99[NAME], RPS[NAME], WAIT[NAME] (ms per
# second that Gatehouse's serving threads waited for a core) and OTHER[NAME] (cores busy outside
# Gatehouse, the load generator, the upstream and the storm client: the other engineers' load on
# this machine).
declare -A P50 P99 RPS OTHER GHCPU WAIT
proxy_run() {
    local name=$1 out="$TMP/load-$1.txt" rps p50 p99 errors b0 g0 s0 q0 w0 b1 g1 s1 q1 w1 wall
    local support=("$UP_PID" $(pgrep -P "$UP_PID" | xargs) ${STORM_PID:-} "${SPINNERS[@]}")
    b0=$(busy_ticks) g0=$(cpu_ticks "$GH_PID") s0=$(cpu_ticks "${support[@]}") q0=$(serving_wait_ns "$GH_PID")
    w0=$EPOCHREALTIME
    local TIMEFORMAT='%U %S'
    if [[ -n $STORM_RATE && $name != warm ]]; then
        { time "${ON_LOAD[@]}" "$RATE_BIN" "http://127.0.0.1:$GH_PORT/" "$STORM_RATE" 16 "$DURATION" \
            -H "Host: localhost:$GH_PORT" -H "Cookie: $SESSION_COOKIE" >"$out"; } 2>"$out.time" ||
            die "$name: bench/fixed_rate.rs failed: $(cat "$out.time")"
    else
        { time "${ON_LOAD[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Host: localhost:$GH_PORT" \
            -H "Cookie: $SESSION_COOKIE" "http://127.0.0.1:$GH_PORT/" >"$out"; } 2>"$out.time"
    fi
    b1=$(busy_ticks) g1=$(cpu_ticks "$GH_PID") s1=$(cpu_ticks "${support[@]}") q1=$(serving_wait_ns "$GH_PID")
    w1=$EPOCHREALTIME
    wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
    local load_ticks
    load_ticks=$(tail -n 1 "$out.time" | awk -v hz="$CLK_TCK" '{ printf "%.0f\n", ($1 + $2) * hz }')
    if [[ -n $STORM_RATE && $name != warm ]]; then
        # One line of key=value words (bench/fixed_rate.rs).
        read -r rps p50 p99 errors < <(awk '/^rps=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            print v["rps"], v["p50"], v["p99"], v["errors"] }' "$out")
        [[ -n ${errors:-} ]] || die "$name: cannot read bench/fixed_rate.rs's output: $(cat "$out")"
    else
        read -r rps p50 p99 errors < <(parse_wrk "$out")
    fi
    ((errors == 0)) || { cat "$out" >&2; die "$name: $errors failed proxied requests"; }
    P50[$name]=$p50 P99[$name]=$p99 RPS[$name]=$rps
    GHCPU[$name]=$(cores $((g1 - g0)) "$wall")
    WAIT[$name]=$(awk -v ns=$((q1 - q0)) -v s="$wall" 'BEGIN { printf "%.1f", ns / 1e6 / s }')
    OTHER[$name]=$(cores $((b1 - b0 - (g1 - g0) - (s1 - s0) - load_ticks)) "$wall")
    log "$name: $rps req/s, p50 $p50 ms, p99 $p99 ms; gatehouse ${GHCPU[$name]} cores, its serving threads waited ${WAIT[$name]} ms/s for a core; others ${OTHER[$name]} cores"
}

# --- 1. memory sessions: idle, quiet proxying, storm, keep-alive ---------------------------------
start_gatehouse memory "$GH_PORT"
sleep 2
IDLE_RSS=$(rss_kib "$GH_PID")
login "$GH_PORT"
[[ -z $STANDIN_PAGE ]] || cp "$TMP/get.html" "$STANDIN_PAGE"
curl -s -m 5 -H "Host: localhost:$GH_PORT" -H "Cookie: $SESSION_COOKIE" "http://127.0.0.1:$GH_PORT/" |
    grep -qx ok || die "the authenticated request was not proxied"
log "idle RSS $(mib "$IDLE_RSS"); warming up"
proxy_run warm
LOAD_RSS=$(rss_kib "$GH_PID") LOAD_HWM=$(peak_rss_kib "$GH_PID")

# hold_idle PORT PID: holds IDLE_CONNECTIONS idle keep-alive connections to PORT, each after one
# request, and sets HELD, BEFORE_HOLD, HOLD_RSS (KiB of PID) and PER_CONN (KB per connection).
hold_idle() {
    local port=$1 pid=$2 hold_pid i
    BEFORE_HOLD=$(rss_kib "$pid")
    rm -f "$TMP/held" "$TMP/stop"
    "${ON_LOAD[@]}" python3 "$CLIENTS_PY" hold "$port" "$IDLE_CONNECTIONS" 200 "$TMP/held" "$TMP/stop" &
    hold_pid=$!
    PIDS+=("$hold_pid")
    for ((i = 0; i < 600; i++)); do
        [[ -s $TMP/held ]] && break
        kill -0 "$hold_pid" 2>/dev/null || die "the keep-alive client failed"
        sleep 0.2
    done
    [[ -s $TMP/held ]] || die "the keep-alive client did not open its connections in 120 s"
    HELD=$(<"$TMP/held")
    sleep 2
    HOLD_RSS=$(rss_kib "$pid")
    ((HELD == IDLE_CONNECTIONS)) || die "only $HELD of $IDLE_CONNECTIONS connections got a 200"
    touch "$TMP/stop"
    wait "$hold_pid" || true
    rm -f "$TMP/stop"
    PER_CONN=$(awk -v a="$HOLD_RSS" -v b="$BEFORE_HOLD" -v n="$HELD" 'BEGIN { printf "%.1f", (a - b) * 1024 / n / 1000 }')
}

# The floor: a bare hyper server with Gatehouse's connection settings (bench/bare_hyper.rs).
"${ON_SERVER[@]}" "$BARE_BIN" "$BARE_PORT" &
BARE_PID=$!
PIDS+=("$BARE_PID")
wait_http 10 "$BARE_PID" "http://127.0.0.1:$BARE_PORT/" || die "bare_hyper did not start on port $BARE_PORT"
log "holding $IDLE_CONNECTIONS idle keep-alive connections to a bare hyper server"
hold_idle "$BARE_PORT" "$BARE_PID"
BARE_PER_CONN=$PER_CONN BARE_BEFORE=$BEFORE_HOLD BARE_HOLD=$HOLD_RSS
stop_pid "$BARE_PID"

# The connections are held before any storm: the heap argon2 leaves behind would absorb them.
log "holding $IDLE_CONNECTIONS idle keep-alive connections"
hold_idle "$GH_PORT" "$GH_PID"

# storm_run NAME PORT [refused]: the measured run while the sign-in clients storm PORT (from 5 s
# after they start, so that the run sees the storm's steady state); sets ATTEMPTS[NAME] and
# leaves the storm client's `ok busy other seconds` in $TMP/NAME.storm.
declare -A ATTEMPTS
storm_run() {
    local name=$1 port=$2 ok busy other secs
    shift 2
    rm -f "$TMP/stop"
    "${ON_STORM[@]}" "$STORM_BIN" "$port" "$TMP/password" "$STORM_CLIENTS" "$TMP/stop" "$TMP/$name.storm" "$@" "${PACE[@]}" &
    STORM_PID=$!
    PIDS+=("$STORM_PID")
    sleep 5
    proxy_run "$name"
    touch "$TMP/stop"
    wait "$STORM_PID" || die "$name: the storm client failed"
    unset STORM_PID
    read -r ok busy other secs <"$TMP/$name.storm"
    ATTEMPTS[$name]=$((ok + busy + other))
}

# Quiet and storm runs alternate, so that the other load on the machine (other engineers'
# builds) weighs on both alike; each round's ratio is reported, and their median. With
# STORM_ANCHORS=1, two more runs per round take the storm apart: the clients' page traffic
# alone (every sign-in refused for its CSRF token, so nothing is looked up or hashed) answered
# by Gatehouse, then the same traffic answered by the stand-in nginx on Gatehouse's core: what
# that traffic costs the proxied p99 on this machine whoever answers it. The last run per round
# is the control: the quiet load next to busy loops under SCHED_IDLE (one per core, or with
# PIN=1 one on Gatehouse's core), no sign-ins and nothing of Gatehouse's. It shows what
# CPU-bound work costs proxied p99 on this machine even at the lowest priority, which is where
# the storm's hashing runs.
STORM_OK=0 STORM_BUSY=0 STORM_OTHER=0 STORM_SECS=0
PHASES=(quiet storm)
[[ $STORM_ANCHORS == 0 ]] || PHASES+=(pages standin)
PHASES+=(control)
SPINNERS=()
for ((r = 1; r <= ROUNDS; r++)); do
    proxy_run "quiet-$r"
    log "round $r: $STORM_CLIENTS clients signing in continuously"
    storm_run "storm-$r" "$STORM_PORT" "${STORM_MODE[@]}"
    if [[ $STORM_ANCHORS == 1 ]]; then
        log "round $r: the same clients' page traffic alone, answered by Gatehouse, then by the stand-in"
        storm_run "pages-$r" "$GH_PORT" refused
        storm_run "standin-$r" "$STANDIN_PORT" refused
    fi
    for c in "${CONTROL_CPUS[@]}"; do
        spin=(chrt --idle 0 sh -c 'while :; do :; done')
        [[ $CONTROL_WORK == spin ]] ||
            spin=(chrt --idle 0 sh -c 'while :; do echo storm-control | "$1" hash-password >/dev/null || exit 1; done' sh "$BIN")
        [[ $PIN == 0 ]] || spin=(taskset -c "$c" "${spin[@]}")
        "${spin[@]}" &
        SPINNERS+=("$!")
        PIDS+=("$!")
    done
    proxy_run "control-$r"
    # A control loop that ended (a failed hash-password) would leave a quiet run labelled control.
    for pid in "${SPINNERS[@]}"; do
        kill -0 "$pid" 2>/dev/null || die "round $r: the control's loop ended early (CONTROL_WORK=$CONTROL_WORK)"
    done
    kill "${SPINNERS[@]}" 2>/dev/null || true
    wait "${SPINNERS[@]}" 2>/dev/null || true
    SPINNERS=()
    read -r ok busy other secs <"$TMP/storm-$r.storm"
    STORM_OK=$((STORM_OK + ok)) STORM_BUSY=$((STORM_BUSY + busy)) STORM_OTHER=$((STORM_OTHER + other))
    STORM_SECS=$(awk -v a="$STORM_SECS" -v b="$secs" 'BEGIN { print a + b }')
done
((STORM_OK > 0 || STORM_REFUSED == 1)) || die "no login of the storm succeeded ($STORM_BUSY busy, $STORM_OTHER other)"
STORM_HWM=$(peak_rss_kib "$GH_PID")
sleep 3
AFTER_STORM_RSS=$(rss_kib "$GH_PID")

stop_pid "$GH_PID"

# --- 2. Redis sessions: MEMORY USAGE per session ------------------------------------------------
start_gatehouse redis "$GH_REDIS_PORT"
GH_PORT=$GH_REDIS_PORT
for ((i = 0; i < REDIS_LOGINS; i++)); do login "$GH_PORT"; done
# Summed inside Redis by a script: session keys hold raw digest bytes (any byte, newlines
# included), which a shell pipeline over `--scan` would split. Under the prefix, a session is a
# string: its hash tag `{h}` (3 bytes) and 31 digest bytes; the user's index is the hash
# `{h}i:<id>`; throttle buckets (`{th}t:`) are not sessions and are left out
# (src/store/redis_keys.rs).
read -r KEY_BYTES SESSION_KEYS INDEX_BYTES < <(redis-cli -p "$REDIS_PORT" --no-raw eval "
local cursor, total, sessions, index = '0', 0, 0, 0
local p = ARGV[1]
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', p .. '*', 'COUNT', 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    local rest = string.sub(k, #p + 1)
    local t = redis.call('TYPE', k).ok
    local tagged = string.sub(rest, 1, 1) == '{' and string.sub(rest, 3, 3) == '}'
    if t == 'string' and #rest == 34 and tagged then
      sessions = sessions + 1
      total = total + redis.call('MEMORY', 'USAGE', k, 'SAMPLES', 0)
    elseif t == 'hash' and tagged and string.sub(rest, 4, 5) == 'i:' then
      local u = redis.call('MEMORY', 'USAGE', k, 'SAMPLES', 0)
      index = index + u
      total = total + u
    end
  end
until cursor == '0'
return {total, sessions, index}" 0 bench: | tr -d '()"' | awk '{ printf "%s ", $NF } END { print "" }')
((SESSION_KEYS > 0)) || die "no session key in Redis after $REDIS_LOGINS logins"
REDIS_PER=$(awk -v a="$KEY_BYTES" -v n="$SESSION_KEYS" 'BEGIN { printf "%.0f", a / n }')
REDIS_KEYS="session records and the user's index hash: $KEY_BYTES bytes, of which the index $INDEX_BYTES"
SAMPLE_KEY="one of the $SESSION_KEYS"
SAMPLE_VALUE="(binary record; layout in docs/security.md#session-store-at-rest)"
stop_pid "$GH_PID"

# --- report --------------------------------------------------------------------------------------
ROWS_MD="" RATIOS=() CONTROLS=() PAGES=() STANDINS=()
for ((r = 1; r <= ROUNDS; r++)); do
    for phase in "${PHASES[@]}"; do
        n="$phase-$r"
        ROWS_MD+="| $r | $phase | ${RPS[$n]} | ${P50[$n]} | ${P99[$n]} | ${GHCPU[$n]} | ${WAIT[$n]} | ${OTHER[$n]} | ${ATTEMPTS[$n]:-—} |"$'\n'
    done
    RATIOS+=("$(ratio "${P99[storm-$r]}" "${P99[quiet-$r]}")")
    CONTROLS+=("$(ratio "${P99[control-$r]}" "${P99[quiet-$r]}")")
    [[ $STORM_ANCHORS == 0 ]] || PAGES+=("$(ratio "${P99[pages-$r]}" "${P99[quiet-$r]}")")
    [[ $STORM_ANCHORS == 0 ]] || STANDINS+=("$(ratio "${P99[standin-$r]}" "${P99[quiet-$r]}")")
done
MEDIAN=$(printf '%s\n' "${RATIOS[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
report() {
    cat <<EOF
Run of \`bench/storm.sh\` at revision \`$REV\` on $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')${HASH_NICE:+, hashing threads reniced to $HASH_NICE}${HASH_CPUS:+, hashing threads pinned to CPUs $HASH_CPUS}$([[ $PIN == 0 ]] || echo ", pinned: the load on core 0, Gatehouse on core 1")$([[ $STORM_REFUSED == 0 ]] || echo "; every sign-in refused before its hash (a wrong CSRF token)")$([[ $STORM_AT == gatehouse ]] || echo ", by a stand-in nginx on Gatehouse's core").

| round | proxied GET ($([[ -n $STORM_RATE ]] && echo "bench/fixed_rate.rs at $STORM_RATE/s over 16 connections" || echo "wrk -t1 -c$CONNECTIONS"), ${DURATION} s) | req/s | p50 ms | p99 ms | Gatehouse CPU (cores) | serving threads' wait for a core (ms/s) | others' CPU (cores) | sign-in attempts (from 5 s before the run to its end) |
|---|---|---|---|---|---|---|---|---|
$ROWS_MD
p99 storm / quiet per round: ${RATIOS[*]}; median **$MEDIAN** (target ≤ 1.2). The control
(SCHED_IDLE $([[ $CONTROL_WORK == spin ]] && echo "busy loops" || echo "argon2id hashes outside the gateway") on CPUs ${CONTROL_CPUS[*]}, no sign-ins) / quiet per round: ${CONTROLS[*]}.$([[ $STORM_ANCHORS == 0 ]] || printf '\n%s' "The clients' page traffic alone (every sign-in refused for its token) / quiet per round: answered by Gatehouse (pages) ${PAGES[*]}, by the stand-in nginx on Gatehouse's core (standin) ${STANDINS[*]}.") The storms made
$STORM_OK logins ($STORM_BUSY refused as busy, $STORM_OTHER other) in $STORM_SECS s.

| memory (Gatehouse, memory sessions) | figure |
|---|---|
| idle RSS (after start, 2 s) | $(mib "$IDLE_RSS") |
| RSS after the quiet proxy load (peak) | $(mib "$LOAD_RSS") ($(mib "$LOAD_HWM")) |
| peak RSS during the storm | $(mib "$STORM_HWM") |
| RSS 3 s after the storm | $(mib "$AFTER_STORM_RSS") |
| $HELD idle keep-alive connections | $(mib "$BEFORE_HOLD") → $(mib "$HOLD_RSS"): $PER_CONN KB each |
| the same against a bare hyper server (\`bench/bare_hyper.rs\`, the floor) | $(mib "$BARE_BEFORE") → $(mib "$BARE_HOLD"): $BARE_PER_CONN KB each |

Redis, $REDIS_LOGINS sessions: \`MEMORY USAGE\` of every \`bench:*\` key summed: $KEY_BYTES bytes,
$REDIS_PER bytes per session ($SESSION_KEYS sessions: the user's index set included).

\`\`\`
$(head -n 12 <<<"$REDIS_KEYS")
\`\`\`

A session value ($SAMPLE_KEY, first 600 bytes):

\`\`\`
$SAMPLE_VALUE
\`\`\`
EOF
}
report
[[ -z ${REPORT:-} ]] || report >"$REPORT"
# bench/run.sh reads the figures as records (bench/lib.sh) from RESULTS.
if [[ -n ${RESULTS:-} ]]; then
    for ((r = 1; r <= ROUNDS; r++)); do
        anchors=()
        [[ $STORM_ANCHORS == 0 ]] ||
            anchors=("pages_rps=${RPS[pages-$r]}" "pages_p99=${P99[pages-$r]}" "pages_wait=${WAIT[pages-$r]}"
                "pages_attempts=${ATTEMPTS[pages-$r]}" "standin_rps=${RPS[standin-$r]}"
                "standin_p99=${P99[standin-$r]}" "standin_wait=${WAIT[standin-$r]}"
                "standin_attempts=${ATTEMPTS[standin-$r]}")
        record storm "round=$r" "quiet_rps=${RPS[quiet-$r]}" "quiet_p99=${P99[quiet-$r]}" \
            "storm_rps=${RPS[storm-$r]}" "storm_p99=${P99[storm-$r]}" "quiet_other=${OTHER[quiet-$r]}" \
            "storm_other=${OTHER[storm-$r]}" "control_rps=${RPS[control-$r]}" \
            "control_p99=${P99[control-$r]}" "connections=$CONNECTIONS" "duration=$DURATION" \
            "quiet_wait=${WAIT[quiet-$r]}" "storm_wait=${WAIT[storm-$r]}" "control_wait=${WAIT[control-$r]}" \
            "storm_attempts=${ATTEMPTS[storm-$r]}" "${anchors[@]}"
    done
    record storm_total "ok=$STORM_OK" "busy=$STORM_BUSY" "other=$STORM_OTHER" "seconds=$STORM_SECS" \
        "clients=$STORM_CLIENTS" "pace=${PACE[0]:-independent}"
    record mem name=storm_idle "kib=$IDLE_RSS"
    record mem name=storm_after_load "kib=$LOAD_RSS" "connections=$CONNECTIONS"
    record mem name=storm_peak "kib=$STORM_HWM"
    record mem name=connection "kb=$PER_CONN" "connections=$HELD"
    record mem name=connection_bare_hyper "kb=$BARE_PER_CONN" "connections=$HELD"
    record mem name=redis_session "bytes=$REDIS_PER" "sessions=$SESSION_KEYS" "total=$KEY_BYTES"
fi
