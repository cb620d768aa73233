# shellcheck shell=bash
# The servers bench/run.sh starts and the targets it loads: the upstream, redis, nginx as a plain
# proxy, the ideal authorizer, nginx auth_request and Caddy forward_auth in front of Gatehouse or
# of the ideal authorizer, and Gatehouse itself; how each is pinned, and the check each target
# must pass before every load. Sourced by bench/run.sh after bench/lib.sh, not run.
#
# Expects TMP, PIDS, BIN, ROOT, PASSWORD_FILE, LOCAL_CACHE and the port variables of run.sh.

# on_core CORE: sets ON_CORE to the command prefix that runs a process on CORE ("any": no
# pinning). The prefix execs, so `"${ON_CORE[@]}" cmd &` leaves the server's own pid in $!.
on_core() {
    if [[ $1 == any ]]; then ON_CORE=(); else ON_CORE=(taskset -c "$1"); fi
}

# start_nginx NAME WORKERS CORE PORT SERVER_BLOCKS: writes TMP/NAME.conf, starts nginx (daemon
# off) on CORE, waits until it answers on PORT, and records its pid in NGINX_PID and PIDS.
start_nginx() {
    local name=$1 workers=$2 core=$3 port=$4 servers=$5
    mkdir -p "$TMP/$name"
    cat >"$TMP/$name.conf" <<EOF
daemon off;
master_process on;
worker_processes $workers;
pid $TMP/$name.pid;
error_log $TMP/$name-error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $TMP/$name/body;
    proxy_temp_path $TMP/$name/proxy;
    keepalive_requests 1000000;
$servers
}
EOF
    on_core "$core"
    "${ON_CORE[@]}" nginx -p "$TMP/" -c "$TMP/$name.conf" -e "$TMP/$name-error.log" >"$TMP/$name.out" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_answer 10 "$NGINX_PID" "$port" ||
        { cat "$TMP/$name-error.log" "$TMP/$name.out" >&2 2>/dev/null; die "nginx $name did not start"; }
}

# plain_proxy PORT: an nginx server block proxying to the upstream over kept-alive connections.
plain_proxy() {
    cat <<EOF
    upstream app {
        server 127.0.0.1:$UP_PORT;
        keepalive 128;
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

# start_redis CORE: a redis-server without persistence on REDIS_PORT; sets REDIS_PID.
start_redis() {
    on_core "$1"
    "${ON_CORE[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
    REDIS_PID=$!
    PIDS+=("$REDIS_PID")
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]] && return 0
        kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited: $(cat "$TMP/redis.log")"
        sleep 0.1
    done
    die "redis-server did not answer PING: $(cat "$TMP/redis.log")"
}

# gateway_failure LOG MESSAGE: the message and a gateway's log; exits.
gateway_failure() {
    log "$2"
    log "gateway log ($1):"
    sed 's/^/    /' "$1" >&2 || true
    exit 1
}

# start_gatehouse NAME STORE PORT CORE [forward-auth]: config, user `bench`, serve on CORE,
# sign in; sets GH_PID, GH_LOG, GH_IDLE_KIB (RSS 2 s after it answered, before the login) and
# GH_COOKIE (name=value). With forward-auth, the config trusts 127.0.0.1 as a proxy, so that
# nginx's and Caddy's calls to the forward-auth endpoints are answered. On one core the config
# says `workers = 1` (the default, one worker per core, would choose it anyway from the pinned
# affinity); unpinned it keeps the default (one per core: 2).
start_gatehouse() {
    local name=$1 store=$2 port=$3 core=$4 mode=${5:-proxy}
    local dir="$TMP/$name"
    mkdir -p "$dir"
    GH_LOG="$dir/gatehouse.log"
    : >"$GH_LOG"
    {
        printf '[server]\nlisten = ["127.0.0.1:%s"]\n' "$port"
        # The sweep opens up to 256 connections from 127.0.0.1 (and nginx as many behind it):
        # the per-client limit must not be what is measured.
        printf 'max_connections = 16384\nmax_connections_per_client = 4096\n'
        [[ $core == any ]] || printf 'workers = 1\n'
        [[ $mode != forward-auth ]] || printf 'trusted_proxies = ["127.0.0.1/32"]\n'
        printf '\n[portal]\nurl = "http://localhost:%s/_gatehouse"\n\n' "$port"
        printf '[session]\nstore = "%s"\n' "$store"
        if [[ $store == redis ]]; then
            printf '\n[session.redis]\nurl = "redis://127.0.0.1:%s"\nprefix = "bench-%s:"\n' "$REDIS_PORT" "$name"
            [[ -z $LOCAL_CACHE ]] || printf 'local_cache = "%s"\n' "$LOCAL_CACHE"
        fi
        printf '\n[storage]\ndatabase = "%s"\n\n[log]\nlevel = "warn"\n\n' "$dir/gatehouse.db"
        printf '[access_control]\ndefault_policy = "one_factor"\n\n'
        printf '[[sites]]\nhost = "localhost"\nupstream = "http://127.0.0.1:%s"\n' "$UP_PORT"
    } >"$dir/gatehouse.toml"
    "$BIN" user add bench --config "$dir/gatehouse.toml" --password-stdin <"$PASSWORD_FILE" >>"$GH_LOG" 2>&1 ||
        gateway_failure "$GH_LOG" "gatehouse user add bench failed ($name)"
    on_core "$core"
    log "gatehouse $name ($store sessions, core $core) on 127.0.0.1:$port"
    "${ON_CORE[@]}" "$BIN" serve --config "$dir/gatehouse.toml" >>"$GH_LOG" 2>&1 &
    GH_PID=$!
    PIDS+=("$GH_PID")
    wait_http 20 "$GH_PID" "http://127.0.0.1:$port/_gatehouse/api/health" -H 'Host: localhost' ||
        gateway_failure "$GH_LOG" "gatehouse $name did not become healthy within 20 s"
    sleep 2
    GH_IDLE_KIB=$(rss_kib "$GH_PID")
    login "$port" "$GH_LOG"
    GH_COOKIE=$SESSION_COOKIE
}

# login PORT LOG: signs in as bench through the portal's form; sets SESSION_COOKIE (name=value).
login() {
    local port=$1 glog=$2 code csrf_cookie csrf_token
    code=$(curl -s -m 10 -D "$TMP/login-get.headers" -o "$TMP/login-get.html" -w '%{http_code}' \
        -H "Host: localhost:$port" "http://127.0.0.1:$port/_gatehouse/login" || true)
    [[ $code == 200 ]] || gateway_failure "$glog" "GET /_gatehouse/login answered ${code:-nothing}, expected 200"
    csrf_cookie=$(tr -d '\r' <"$TMP/login-get.headers" |
        sed -n 's/^[Ss]et-[Cc]ookie: *__Host-gatehouse_csrf=\([^;]*\).*/\1/p' | tail -n 1)
    csrf_token=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$TMP/login-get.html" | head -n 1)
    [[ -n $csrf_cookie && -n $csrf_token ]] || gateway_failure "$glog" "the login page gave no CSRF cookie or token"
    code=$(curl -s -m 10 -D "$TMP/login-post.headers" -o /dev/null -w '%{http_code}' \
        -H "Host: localhost:$port" -H "Cookie: __Host-gatehouse_csrf=$csrf_cookie" \
        --data-urlencode "username=bench" --data-urlencode "password@$PASSWORD_FILE" \
        --data-urlencode "csrf=$csrf_token" --data-urlencode "rd=" \
        "http://127.0.0.1:$port/_gatehouse/login" || true)
    SESSION_COOKIE=$(tr -d '\r' <"$TMP/login-post.headers" |
        sed -n 's/^[Ss]et-[Cc]ookie: *\([^=;]*gatehouse_session=[^;]*\).*/\1/p' | tail -n 1)
    [[ $code == 303 && -n $SESSION_COOKIE && $SESSION_COOKIE != *= ]] ||
        gateway_failure "$glog" "login did not answer 303 with a session cookie (got ${code:-nothing})"
}

# fill_example FILE OUT TOKEN=VALUE...: the example with its tokens filled in. Every token must
# be in the example, and none may be left afterwards (comments aside).
fill_example() {
    local file=$1 out=$2 text pair token
    shift 2
    text=$(<"$file")
    for pair in "$@"; do
        token=${pair%%=*}
        [[ $text == *"$token"* ]] || die "$file has no $token"
        text=${text//"$token"/"${pair#*=}"}
    done
    if grep -v '^[[:space:]]*#' <<<"$text" | grep -q '__[A-Z_]*__'; then
        die "a placeholder of $file was left unfilled"
    fi
    printf '%s\n' "$text" >"$out"
}

# start_auth_nginx NAME PORT AUTHORIZER_PORT: nginx (1 worker, core 1) running
# examples/nginx/gatehouse.conf, asking the authorizer on AUTHORIZER_PORT; sets NGINX_PID.
start_auth_nginx() {
    local name=$1 port=$2 authz=$3
    fill_example "$ROOT/examples/nginx/gatehouse.conf" "$TMP/$name-server.conf" \
        "__LISTEN__=127.0.0.1:$port" __SERVER_NAME__=localhost "__GATEHOUSE__=127.0.0.1:$authz" \
        "__APP__=127.0.0.1:$UP_PORT"
    start_nginx "$name" 1 1 "$port" "    include $TMP/$name-server.conf;"
}

# start_caddy NAME PORT AUTHORIZER_PORT: Caddy (core 1) running examples/caddy/Caddyfile in front
# of the upstream, asking the authorizer on AUTHORIZER_PORT; sets CADDY_PID.
start_caddy() {
    local name=$1 port=$2 authz=$3
    mkdir -p "$TMP/$name"
    fill_example "$ROOT/examples/caddy/Caddyfile" "$TMP/$name/site" "__SITE_ADDRESS__=http://localhost:$port" \
        "__GATEHOUSE__=127.0.0.1:$authz" "__APP__=127.0.0.1:$UP_PORT"
    # The global options the test suite puts in front of the example, plus loopback only.
    { printf '{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}\n\n'; cat "$TMP/$name/site"; } >"$TMP/$name/Caddyfile"
    on_core 1
    HOME="$TMP/$name" XDG_DATA_HOME="$TMP/$name" XDG_CONFIG_HOME="$TMP/$name" \
        "${ON_CORE[@]}" caddy run --adapter caddyfile --config "$TMP/$name/Caddyfile" >"$TMP/$name.log" 2>&1 &
    CADDY_PID=$!
    PIDS+=("$CADDY_PID")
    wait_answer 20 "$CADDY_PID" "$port" ||
        { cat "$TMP/$name.log" >&2; die "caddy $name did not let a request through within 20 s"; }
}

# --- targets -------------------------------------------------------------------------------------
# A target is what one wrk run loads: its URL, Host and Cookie headers, the processes under test
# (their CPU is the target's), Gatehouse's pid among them, and what a request without the cookie
# must get (empty: nothing to check). T_AUTHZ: the ideal authorizer's pid of a forward-auth anchor,
# whose own CPU is read beside the front proxy's as Gatehouse's is.
declare -A T_LABEL T_URL T_HOST T_COOKIE T_PIDS T_GH T_AUTHZ T_DENY T_DENY_LOCATION

# target ID LABEL PORT COOKIE "PIDS" GH_PID [DENY_STATUSES DENY_LOCATION]
target() {
    T_LABEL[$1]=$2 T_URL[$1]="http://127.0.0.1:$3/" T_HOST[$1]="localhost:$3" T_COOKIE[$1]=$4
    T_PIDS[$1]=$5 T_GH[$1]=$6 T_DENY[$1]=${7:-} T_DENY_LOCATION[$1]=${8:-}
}

# check_target ID: 200 "ok" with the target's headers; without the cookie (when the target has
# a T_DENY) one of the T_DENY statuses with a Location starting with T_DENY_LOCATION. Prints
# what went wrong and returns 1 otherwise.
check_target() {
    local id=$1 code headers=(-H "Host: ${T_HOST[$1]}")
    [[ -z ${T_COOKIE[$id]} ]] || headers+=(-H "Cookie: ${T_COOKIE[$id]}")
    code=$(curl -s -m 5 -D "$TMP/check.headers" -o "$TMP/check.body" -w '%{http_code}' "${headers[@]}" "${T_URL[$id]}" || true)
    if [[ $code != 200 || $(cat "$TMP/check.body") != ok ]]; then
        log "${T_LABEL[$id]}: expected 200 \"ok\" from ${T_URL[$id]}, got ${code:-nothing}"
        sed 's/^/    /' "$TMP/check.headers" >&2 || true
        return 1
    fi
    [[ -n ${T_DENY[$id]} ]] || return 0
    code=$(curl -s -m 5 -D "$TMP/check.headers" -o /dev/null -w '%{http_code}' -H "Host: ${T_HOST[$id]}" "${T_URL[$id]}" || true)
    if [[ " ${T_DENY[$id]} " != *" $code "* ]] ||
        ! tr -d '\r' <"$TMP/check.headers" | grep -qi "^Location: ${T_DENY_LOCATION[$id]}"; then
        log "${T_LABEL[$id]}: without a session expected ${T_DENY[$id]} to ${T_DENY_LOCATION[$id]}, got ${code:-nothing}"
        sed 's/^/    /' "$TMP/check.headers" >&2 || true
        return 1
    fi
}
