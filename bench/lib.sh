# shellcheck shell=bash
# Helpers shared by bench/run.sh and bench/storm.sh: logging, ports, waiting for servers,
# stopping processes, parsing wrk, and reading CPU and memory from /proc. Sourced, not run.

log() { printf '[bench] %s\n' "$*" >&2; }

die() {
    printf '[bench] error: %s\n' "$*" >&2
    exit 1
}

# free_ports N: prints N distinct free TCP ports on 127.0.0.1, one a line. All sockets are held
# until every port is chosen, so the ports differ from one another.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
PY
}

# random_password: 24 URL-safe characters.
random_password() {
    python3 -c 'import secrets; print(secrets.token_urlsafe(18))'
}

# wait_http TIMEOUT_S PID URL [curl args...]: polls URL until it answers 200. Fails early when
# PID (the server that should answer) has exited; PID "-" skips that check.
wait_http() {
    local timeout=$1 pid=$2 url=$3
    shift 3
    local deadline=$((SECONDS + timeout)) code
    while ((SECONDS < deadline)); do
        if [[ $pid != - ]] && ! kill -0 "$pid" 2>/dev/null; then
            log "process $pid exited before $url answered"
            return 1
        fi
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$@" "$url" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    log "$url did not answer 200 within ${timeout}s (last status: ${code:-none})"
    return 1
}

# wait_answer TIMEOUT_S PID PORT: polls http://127.0.0.1:PORT/ until it answers anything over
# HTTP; fails early when PID has exited.
wait_answer() {
    local deadline=$((SECONDS + $1)) code
    while ((SECONDS < deadline)); do
        kill -0 "$2" 2>/dev/null || { log "process $2 exited before :$3 answered"; return 1; }
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$3/" || true)
        [[ ${code:-000} == 000 ]] || return 0
        sleep 0.1
    done
    log "127.0.0.1:$3 did not answer within $1 s"
    return 1
}

# stop_pid PID: TERM, then KILL after 5 s; reaps it if it is our child.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# to_ms VALUE: converts a wrk duration (e.g. 812.00us, 1.25ms, 1.02s, 1.10m) to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000
        else if (u == "ms") n = n
        else if (u == "s") n *= 1000
        else if (u == "m") n *= 60000
        else if (u == "h") n *= 3600000
        else { print "bad wrk duration: " v > "/dev/stderr"; exit 1 }
        printf "%.2f\n", n
    }'
}

# parse_wrk FILE: prints "REQ_PER_SEC P50_MS P99_MS ERRORS" from a `wrk --latency` output, where
# ERRORS counts socket errors plus non-2xx/3xx responses.
parse_wrk() {
    local file=$1 rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$file")
    p50=$(awk '$1 == "50%" {print $2; exit}' "$file")
    p99=$(awk '$1 == "99%" {print $2; exit}' "$file")
    [[ -n $rps && -n $p50 && -n $p99 ]] || { log "cannot parse wrk output $file"; return 1; }
    errors=$(awk '
        /Socket errors:/ { gsub(/,/, ""); for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) e += $i }
        /Non-2xx or 3xx responses:/ { e += $NF }
        END { print e + 0 }' "$file")
    printf '%s %s %s %s\n' "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" "$errors"
}

# proc_sum FILE PROGRAM PID...: what the awk PROGRAM prints from /proc/PID/FILE, summed over the
# given processes (one that has exited counts 0).
proc_sum() {
    local file=$1 program=$2 pid total=0 n
    shift 2
    for pid in "$@"; do
        n=$(awk "$program" "/proc/$pid/$file" 2>/dev/null || true)
        total=$((total + ${n:-0}))
    done
    echo "$total"
}

# peak_rss_kib PID...: sum of VmHWM (peak resident set) over the given processes, in KiB.
peak_rss_kib() { proc_sum status '/^VmHWM:/ {print $2}' "$@"; }

# rss_kib PID...: sum of the current VmRSS over the given processes, in KiB.
rss_kib() { proc_sum status '/^VmRSS:/ {print $2}' "$@"; }

# with_children PID: prints PID and its direct children (an nginx master and its workers).
with_children() {
    echo "$1"
    pgrep -P "$1" || true
}

# mib KIB: KiB as "12.3 MiB".
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB\n", k / 1024 }'; }

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "n/a" }'; }

# cpu_ticks PID...: user + system CPU time used so far by the given processes, in clock ticks
# (the fields of /proc/PID/stat counted from the one after the command's name).
cpu_ticks() { proc_sum stat '{ sub(/^.*\) /, ""); print $12 + $13 }' "$@"; }

# sys_ticks PID...: the system (kernel) part of cpu_ticks: what the kernel did on the processes'
# behalf (system calls, the loopback TCP they send through), in clock ticks.
sys_ticks() { proc_sum stat '{ sub(/^.*\) /, ""); print $13 }' "$@"; }

# busy_ticks: CPU time the whole machine has spent busy (all but idle and iowait), in clock ticks.
busy_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# cores TICKS SECONDS: ticks over a wall-clock span as a number of busy cores.
# Negative spans (rounding between counters read at slightly different times) show as 0.
cores() { awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" 'BEGIN { c = t / hz / s; if (c < 0) c = 0; printf "%.2f\n", c }'; }

# cpu_busy_ticks N: CPU time core N has spent busy (all but idle and iowait), in clock ticks.
cpu_busy_ticks() {
    awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# serving_wait_ns PID: nanoseconds the serving threads of Gatehouse process PID have spent
# runnable but waiting for a core (the second field of each thread's /proc schedstat), summed.
# The serving threads are the main thread, which runs the first worker's runtime, and the
# `gatehouse-worker-N` threads (src/server/workers.rs; the kernel keeps 15 bytes of a name).
serving_wait_ns() {
    local pid=$1 task tid total=0 wait
    for task in "/proc/$pid/task/"*; do
        tid=${task##*/}
        [[ $tid == "$pid" || $(<"$task/comm") == gatehouse-worke* ]] 2>/dev/null || continue
        read -r _ wait _ <"$task/schedstat" 2>/dev/null || continue
        total=$((total + wait))
    done
    echo "$total"
}

# threads_of PID: the thread count of a process.
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# record KIND KEY=VALUE...: appends one tab-separated record to RESULTS, which bench/report.py
# reads. Values must not contain tabs or newlines.
record() {
    local IFS=$'\t'
    printf '%s\n' "$*" >>"$RESULTS"
}

# median: the median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# tcp_opens: TCP connections this machine has opened so far (ActiveOpens): the difference over a
# run, per request, shows a proxy that opens a connection per request instead of reusing one.
tcp_opens() {
    awk '/^Tcp:/ { n++; for (i = 2; i <= NF; i++) if (n == 1) h[i] = $i; else if (h[i] == "ActiveOpens") print $i }' /proc/net/snmp
}
