#!/usr/bin/env bash
# Where a proxy on hyper loses to nginx: `bench/proxy_floor.rs` in its three shapes (our own
# HTTP/1 code on both sides; hyper's server with our own upstream client; hyper on both sides,
# as Gatehouse was before its own upstream client), Gatehouse and the nginx plain proxy, each
# pinned to core 1 with wrk on core 0 (bench/run.sh's placement), in alternating rounds.
# Prints each subject's req/s ÷ nginx's per round, the median and the p99s. A measurement
# for deciding what to build, not one of the targets' figures.
#   cargo build --release --example proxy_floor && scripts/pgo-build.sh && bench/proxy_floor.sh
# Knobs: ROUNDS (default 5), DURATION (s, default 8), CONNECTIONS (default 64),
# GATEHOUSE_BIN (default the profile-guided build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
source bench/lib.sh
# shellcheck source=bench/targets.sh
source bench/targets.sh

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-64}
BIN=${GATEHOUSE_BIN:-$ROOT/target/pgo/release/gatehouse}
# Gatehouse reads GATEHOUSE_* variables as configuration, and would refuse this one.
unset GATEHOUSE_BIN
FLOOR=$ROOT/target/release/examples/proxy_floor
for knob in ROUNDS DURATION CONNECTIONS; do
    [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer (got '${!knob}')"
done
for tool in nginx wrk taskset curl python3; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install nginx wrk util-linux curl python3)"
done
[[ -x $BIN ]] || die "$BIN not found: scripts/pgo-build.sh (or set GATEHOUSE_BIN)"
[[ -x $FLOOR ]] || die "$FLOOR not found: cargo build --release --example proxy_floor"
(($(nproc) >= 2)) || die "needs 2 cores (the load on core 0, the subjects on core 1)"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
LOCAL_CACHE=
PASSWORD_FILE=$TMP/password
random_password | tr -d '\n' >"$PASSWORD_FILE"
read -r UP_PORT NGINX_PORT GH_PORT REDIS_PORT <<<"$(free_ports 4 | tr '\n' ' ')"

start_nginx upstream 1 0 "$UP_PORT" "    server { listen 127.0.0.1:$UP_PORT; location / { return 200 \"ok\\n\"; } }"
start_nginx proxy 1 1 "$NGINX_PORT" "$(plain_proxy "$NGINX_PORT")"
start_gatehouse gatehouse memory "$GH_PORT" 1
SESSION=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
SHAPES=(raw hyper-server hyper-both)
declare -A URL=([nginx]="http://127.0.0.1:$NGINX_PORT/" [gatehouse]="http://127.0.0.1:$GH_PORT/")
declare -A COOKIE=([nginx]="" [gatehouse]="$GH_COOKIE")
for shape in "${SHAPES[@]}"; do
    read -r port < <(free_ports 1)
    taskset -c 1 "$FLOOR" "$port" "$UP_PORT" "$SESSION" "$shape" >"$TMP/$shape.log" 2>&1 &
    PIDS+=($!)
    wait_answer 10 $! "$port" || die "proxy_floor $shape did not start: $(cat "$TMP/$shape.log")"
    URL[$shape]="http://127.0.0.1:$port/" COOKIE[$shape]="gatehouse_session=$SESSION"
done

# check ID: 200 "ok" with the subject's cookie, and (for the subjects that guard) 401 or a
# redirect to the login page without it: a wrong answer would be measured as a fast one.
check() {
    local id=$1 body code args=(-H 'Host: localhost')
    [[ -z ${COOKIE[$id]} ]] || args+=(-H "Cookie: ${COOKIE[$id]}")
    body=$(curl -s -m 5 "${args[@]}" "${URL[$id]}" || true)
    [[ $body == ok ]] || die "$id: expected \"ok\" with its cookie, got '${body:0:80}'"
    [[ $id != nginx ]] || return 0
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Host: localhost' "${URL[$id]}" || true)
    [[ $code == 401 || $code == 302 ]] || die "$id: expected 401 or 302 without a cookie, got ${code:-nothing}"
}

SUBJECTS=(nginx "${SHAPES[@]}" gatehouse)
RESULTS=$TMP/results
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
    order=("${SUBJECTS[@]}")
    if ((r % 2 == 0)); then
        order=()
        for ((i = ${#SUBJECTS[@]} - 1; i >= 0; i--)); do order+=("${SUBJECTS[i]}"); done
    fi
    for id in "${order[@]}"; do
        check "$id"
        args=(-H 'Host: localhost')
        [[ -z ${COOKIE[$id]} ]] || args+=(-H "Cookie: ${COOKIE[$id]}")
        taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d1s "${args[@]}" "${URL[$id]}" >/dev/null 2>&1 || true
        taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${args[@]}" "${URL[$id]}" >"$TMP/wrk.out" 2>&1 ||
            die "wrk failed on $id: $(cat "$TMP/wrk.out")"
        read -r rps _ p99 errors < <(parse_wrk "$TMP/wrk.out") || die "cannot read wrk's output for $id"
        ((errors == 0)) || die "$id: $errors failed requests in round $r"
        log "round $r $id: $rps req/s, p99 $p99 ms"
        printf '%s\t%s\t%s\t%s\n' "$r" "$id" "$rps" "$p99" >>"$RESULTS"
    done
done

python3 - "$RESULTS" "$(git -C "$ROOT" rev-parse --short HEAD)" "$ROUNDS" "$DURATION" "$CONNECTIONS" <<'PY'
import collections, statistics, sys
path, rev, rounds, duration, conns = sys.argv[1:]
rps, p99 = collections.defaultdict(dict), collections.defaultdict(dict)
for line in open(path):
    r, subject, a, b = line.split("\t")
    rps[subject][r], p99[subject][r] = float(a), float(b)
names = {
    "raw": "our own HTTP/1 code on both sides",
    "hyper-server": "hyper's server, our own upstream client",
    "hyper-both": "hyper on both sides, the answer's body streamed through",
    "gatehouse": "Gatehouse (memory sessions)",
}
print(f"`bench/proxy_floor.sh` at `{rev}`: {rounds} rounds of {duration} s, wrk -t1 -c{conns} on core 0, each subject on core 1.\n")
print("| subject | req/s ÷ nginx, per round | median | p99 ms, per round |")
print("|---|---|---:|---|")
anchor = rps["nginx"]
for s in ["raw", "hyper-server", "hyper-both", "gatehouse"]:
    ratios = [rps[s][r] / anchor[r] for r in sorted(anchor)]
    print(f"| {names[s]} | {' '.join(f'{x:.2f}' for x in ratios)} | {statistics.median(ratios):.2f} | "
          f"{' '.join(f'{p99[s][r]:.2f}' for r in sorted(anchor))} |")
anchor_p99 = p99["nginx"]
print(f"| nginx plain proxy (the anchor), req/s | {' '.join(f'{anchor[r]:.0f}' for r in sorted(anchor))} | | "
      f"{' '.join(f'{anchor_p99[r]:.2f}' for r in sorted(anchor))} |")
PY
