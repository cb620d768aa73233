#!/usr/bin/env bash
# Counts the user-space instructions executed per request, under valgrind's callgrind: Gatehouse
# answering nginx's forward-auth call and proxying a signed-in request, and the anchors (the
# ideal authorizer, nginx proxying, a bare hyper server). A count, not a time: it does not
# drift with whatever else the machine runs, so one change can be judged on a busy machine;
# kernel work (loopback TCP, which every server pays) is not in it. Writes a markdown table to
# REPORT (default bench/instructions.md). Needs valgrind, nginx, python3 and the release build
# that ships (BIN=target/release/gatehouse counts the plain one):
#   scripts/pgo-build.sh && cargo build --release --example bare_hyper && bench/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

N=${N:-2000}
WARMUP=${WARMUP:-200}
BIN=${BIN:-target/pgo/release/gatehouse}
HYPER=${HYPER:-target/release/examples/bare_hyper}
REPORT=${REPORT:-bench/instructions.md}
# SESSIONS=redis counts Gatehouse with Redis sessions (a redis-server of its own, the local cache
# at its default) instead of memory sessions.
SESSIONS=${SESSIONS:-memory}
for tool in valgrind callgrind_control callgrind_annotate nginx python3 curl; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install valgrind nginx python3 curl)"
done
[[ -x $BIN && -x $HYPER ]] ||
    die "$BIN or $HYPER is missing: scripts/pgo-build.sh; cargo build --release --example bare_hyper"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n ${KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
CLIENT=(python3 bench/instructions_client.py)
read -r UP GH IDEAL PROXY BARE REDIS <<<"$(free_ports 6 | tr '\n' ' ')"

# nginx_conf NAME PORT LOCATION: one worker in the foreground, no master (so that valgrind
# follows the process that serves), connections kept for the whole count.
nginx_conf() {
    cat >"$TMP/$1.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $TMP/$1.pid;
error_log $TMP/$1.err;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    upstream app { server 127.0.0.1:$UP; keepalive 16; }
    server { listen 127.0.0.1:$2; location / { $3 } }
}
CONF
}
nginx_conf upstream "$UP" 'return 200 "ok\n";'
nginx_conf ideal "$IDEAL" 'add_header Remote-User bench; return 200;'
nginx_conf proxy "$PROXY" 'proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";'
nginx -p "$TMP" -c "$TMP/upstream.conf" &
PIDS+=($!)

STORE='store = "memory"'
if [[ $SESSIONS == redis ]]; then
    command -v redis-server >/dev/null || die "redis-server is missing (Debian: apt-get install redis-server)"
    redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
    PIDS+=($!)
    STORE="store = \"redis\"
[session.redis]
url = \"redis://127.0.0.1:$REDIS\""
elif [[ $SESSIONS != memory ]]; then
    die "SESSIONS is memory or redis, not $SESSIONS"
fi
random_password >"$TMP/password"
cat >"$TMP/gatehouse.toml" <<CONF
[server]
listen = ["127.0.0.1:$GH"]
workers = 1
trusted_proxies = ["127.0.0.1/32"]
[portal]
url = "http://localhost:$GH/_gatehouse"
[session]
$STORE
[storage]
database = "$TMP/gatehouse.db"
[log]
level = "warn"
[access_control]
default_policy = "one_factor"
[[sites]]
host = "localhost"
upstream = "http://127.0.0.1:$UP"
CONF
"$BIN" user add bench --config "$TMP/gatehouse.toml" --password-stdin <"$TMP/password" >/dev/null 2>&1 ||
    die "gatehouse user add failed"

# control PID PORT ARGS...: a callgrind_control command. valgrind takes it when the process next
# runs, so a server asleep in epoll (nginx) is woken with a request to a path nobody counts on.
control() {
    local pid=$1 port=$2
    shift 2
    callgrind_control "$@" "$pid" >/dev/null 2>&1 &
    local c=$!
    sleep 0.5
    while kill -0 "$c" 2>/dev/null; do
        curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/wake" || true
        sleep 0.5
    done
}

# count LABEL MODE PORT [gatehouse] -- CMD...: instructions per request of CMD serving MODE.
declare -A PER
count() {
    local label=$1 mode=$2 port=$3 kind=$4
    shift 5
    local out="$TMP/cg.$label" cookie=""
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" "$@" \
        >"$TMP/$label.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_answer 120 "$pid" "$port" || die "$label did not start: $(tail -n 5 "$TMP/$label.log")"
    if [[ $kind == gatehouse ]]; then
        cookie=$("${CLIENT[@]}" login "$port" "$TMP/password")
    fi
    "${CLIENT[@]}" "$mode" "$port" "$WARMUP" "$cookie"
    control "$pid" "$port" -i on
    "${CLIENT[@]}" "$mode" "$port" "$N" "$cookie"
    control "$pid" "$port" -i off
    control "$pid" "$port" -d
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local total
    total=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ && !seen { gsub(",", "", $1); print $1; seen = 1 }')
    [[ -n $total ]] || die "no callgrind total for $label"
    PER[$label]=$((total / N))
    log "$label: ${PER[$label]} instructions per request"
}

count fa auth-request "$GH" gatehouse -- "$BIN" serve --config "$TMP/gatehouse.toml"
count fc forward-auth "$GH" gatehouse -- "$BIN" serve --config "$TMP/gatehouse.toml"
count px proxy "$GH" gatehouse -- "$BIN" serve --config "$TMP/gatehouse.toml"
count ideal auth-request "$IDEAL" anchor -- nginx -p "$TMP" -c "$TMP/ideal.conf"
count nginx proxy "$PROXY" anchor -- nginx -p "$TMP" -c "$TMP/proxy.conf"
count hyper auth-request "$BARE" anchor -- "$HYPER" "$BARE"

{
    echo "# Instructions per request"
    echo
    echo "Written by \`bench/instructions.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') at \`$(git rev-parse --short HEAD)\`:"
    echo "user-space instructions (valgrind callgrind) per request, one kept-alive client, $N requests"
    echo "after $WARMUP, Gatehouse (\`$BIN\`) with $SESSIONS sessions and \`workers = 1\`. Kernel work is"
    echo "not counted."
    echo
    echo "| path | Gatehouse | anchor | × anchor |"
    echo "|---|---:|---:|---:|"
    echo "| nginx's forward-auth call, allowed | ${PER[fa]} | ${PER[ideal]} (ideal authorizer: nginx \`return 200\`) | $(ratio "${PER[fa]}" "${PER[ideal]}") |"
    echo "| Caddy's forward-auth call, allowed | ${PER[fc]} | ${PER[ideal]} (the ideal authorizer, asked by nginx) | $(ratio "${PER[fc]}" "${PER[ideal]}") |"
    echo "| a signed-in request, proxied | ${PER[px]} | ${PER[nginx]} (nginx \`proxy_pass\`, kept-alive upstream) | $(ratio "${PER[px]}" "${PER[nginx]}") |"
    echo "| a bare hyper server answering \`ok\` to the same call (hyper's own floor) | — | ${PER[hyper]} | — |"
    echo
    echo "valgrind hides the processor's SHA extensions, so under it ring hashes the session key with"
    echo "its AVX code: about 2,100 of Gatehouse's instructions per request on both paths. Outside"
    echo "valgrind, on a processor with SHA-NI, the same hash takes a few hundred cycles."
} >"$REPORT"
cat "$REPORT"
