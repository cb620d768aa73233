#!/usr/bin/env bash
# The workload a profile-guided build learns from (scripts/pgo-build.sh): one `gatehouse serve`
# on a throw-away configuration in front of UPSTREAM, a real sign-in through the portal's form,
# then what a deployment does most, on kept-alive connections: proxy signed-in requests, answer
# nginx's and Traefik/Caddy's forward-auth calls, and turn away requests without a session.
# Every answer is checked, so a workload that stopped exercising the hot paths fails instead of
# training on error pages. Needs bash and curl only (it also runs in the container build).
#
#   scripts/pgo-train.sh --bin GATEHOUSE (--upstream http://HOST:PORT | --upstream-bin APP) [--requests N]
#
# --upstream-bin starts APP with a free port as its only argument (bench/bare_hyper.rs's example
# takes that form) and stops it at the end.
# The binary writes its profile when it exits: this script stops it with SIGTERM and waits.
set -euo pipefail

say() { printf '[pgo-train] %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

BIN="" UPSTREAM="" APP="" N=3000
while (($#)); do
    case $1 in
    --bin) BIN=$2 ;;
    --upstream) UPSTREAM=$2 ;;
    --upstream-bin) APP=$2 ;;
    --requests) N=$2 ;;
    *) die "unknown argument $1 (see the comment at the top of $0)" ;;
    esac
    shift 2
done
[[ -x $BIN ]] || die "--bin must name the gatehouse binary to train (got '$BIN')"
[[ -z $APP || -x $APP ]] || die "--upstream-bin must name an executable (got '$APP')"
[[ -n $APP || $UPSTREAM == http://* ]] ||
    die "--upstream must be an http:// URL of an app answering 200, or --upstream-bin given (got '$UPSTREAM')"
[[ $N =~ ^[1-9][0-9]*$ ]] || die "--requests must be a positive number (got '$N')"
command -v curl >/dev/null || die "curl is missing (Debian: apt-get install curl)"

DIR=$(mktemp -d)
PID="" APP_PID=""
cleanup() {
    [[ -z $PID ]] || kill -KILL "$PID" 2>/dev/null || true
    [[ -z $APP_PID ]] || kill -TERM "$APP_PID" 2>/dev/null || true
    [[ -n ${PGO_KEEP:-} ]] || rm -rf "$DIR"
}
trap cleanup EXIT

# A free loopback port: nothing answers a connection to it (bash's /dev/tcp, no other tool).
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
            echo "$port"
            return
        }
    done
    die "no free port found"
}
PORT=$(free_port)
if [[ -n $APP ]]; then
    APP_PORT=$(free_port)
    # Not the program being trained: its counts (it may be instrumented too) stay out.
    env -u LLVM_PROFILE_FILE "$APP" "$APP_PORT" >"$DIR/app.log" 2>&1 &
    APP_PID=$!
    UPSTREAM="http://127.0.0.1:$APP_PORT"
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$APP_PORT") 2>/dev/null && break
        kill -0 "$APP_PID" 2>/dev/null || die "$APP exited: $(cat "$DIR/app.log")"
        sleep 0.1
    done
fi
head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n' >"$DIR/password"
cat >"$DIR/gatehouse.toml" <<EOF
[server]
listen = ["127.0.0.1:$PORT"]
trusted_proxies = ["127.0.0.1/32"]

[portal]
url = "http://localhost:$PORT/_gatehouse"

[session]
store = "memory"

[storage]
database = "$DIR/gatehouse.db"

[log]
level = "warn"

[access_control]
default_policy = "one_factor"

[[sites]]
host = "localhost"
upstream = "$UPSTREAM"
EOF
"$BIN" user add trainer --config "$DIR/gatehouse.toml" --password-stdin <"$DIR/password" >"$DIR/cli.log" 2>&1 ||
    die "gatehouse user add failed: $(cat "$DIR/cli.log")"
"$BIN" serve --config "$DIR/gatehouse.toml" >"$DIR/serve.log" 2>&1 &
PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 200); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Host: localhost' "$BASE/_gatehouse/api/health" || true) == 200 ]] && break
    kill -0 "$PID" 2>/dev/null || die "gatehouse serve exited: $(cat "$DIR/serve.log")"
    sleep 0.1
done

# Sign in as a browser does: the login page's CSRF cookie and token, then the form.
curl -s -D "$DIR/get.headers" -o "$DIR/login.html" -H "Host: localhost:$PORT" "$BASE/_gatehouse/login"
csrf_cookie=$(tr -d '\r' <"$DIR/get.headers" | sed -n 's/^[Ss]et-[Cc]ookie: *__Host-gatehouse_csrf=\([^;]*\).*/\1/p' | tail -n 1)
csrf_token=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$DIR/login.html" | head -n 1)
[[ -n $csrf_cookie && -n $csrf_token ]] || die "the login page gave no CSRF cookie or token"
code=$(curl -s -D "$DIR/post.headers" -o /dev/null -w '%{http_code}' -H "Host: localhost:$PORT" \
    -H "Cookie: __Host-gatehouse_csrf=$csrf_cookie" --data-urlencode "username=trainer" \
    --data-urlencode "password@$DIR/password" --data-urlencode "csrf=$csrf_token" --data-urlencode "rd=" \
    "$BASE/_gatehouse/login")
SESSION=$(tr -d '\r' <"$DIR/post.headers" | sed -n 's/^[Ss]et-[Cc]ookie: *\([^=;]*gatehouse_session=[^;]*\).*/\1/p' | tail -n 1)
[[ $code == 303 && -n $SESSION ]] || die "sign-in answered ${code:-nothing} without a session cookie"

# run NAME EXPECTED COUNT PATH [curl args...]: COUNT requests on one kept-alive connection (a
# URL range); every status must be EXPECTED.
run() {
    local name=$1 expected=$2 count=$3 path=$4
    shift 4
    curl -s -o /dev/null -w '%{http_code}\n' "$@" "$BASE$path?n=[1-$count]" >"$DIR/$name.codes"
    local total wrong
    total=$(wc -l <"$DIR/$name.codes")
    wrong=$(grep -cv "^$expected\$" "$DIR/$name.codes" || true)
    [[ $total == "$count" && $wrong == 0 ]] ||
        die "$name: $wrong of $total answers were not $expected (first: $(grep -v "^$expected\$" "$DIR/$name.codes" | head -n 1))"
    say "$name: $count × $expected"
}
NGINX=(-H "X-Original-Method: GET" -H "X-Original-URL: http://localhost/app/page?x=1"
    -H "X-Forwarded-For: 127.0.0.1" -H "X-Forwarded-Proto: http" -H "Accept: */*")
TRAEFIK=(-H "X-Forwarded-Method: GET" -H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: localhost"
    -H "X-Forwarded-Uri: /app/page?x=1" -H "X-Forwarded-For: 127.0.0.1" -H "Accept: */*")
run proxy 200 "$N" /app/page -H "Host: localhost" -H "Cookie: $SESSION" -H "Accept: */*"
run auth-request 200 "$N" /api/authz/auth-request -H "Cookie: $SESSION" "${NGINX[@]}"
run forward-auth 200 "$N" /api/authz/forward-auth -H "Cookie: $SESSION" "${TRAEFIK[@]}"
run proxy-signed-out 302 $((N / 10 + 1)) /app/page -H "Host: localhost" -H "Accept: text/html"
run auth-request-signed-out 401 $((N / 10 + 1)) /api/authz/auth-request "${NGINX[@]}"
run login-page 200 $((N / 100 + 1)) /_gatehouse/login -H "Host: localhost:$PORT"

kill -TERM "$PID"
wait "$PID" || die "gatehouse serve did not exit cleanly on SIGTERM: $(tail -n 5 "$DIR/serve.log")"
PID=""
say "done"
