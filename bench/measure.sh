# shellcheck shell=bash
# The measurements of bench/run.sh: one wrk run of a target with the CPU each party used (from
# /proc), alternating rounds of an anchor and its subjects, the connection sweep, and a fixed
# rate (bench/fixed_rate.rs). Each run is checked first and written as one record to RESULTS (bench/lib.sh);
# wrk's and the fixed-rate generator's own output is kept under RAW for the report. Sourced by bench/run.sh, not run.
#
# Expects the targets of bench/targets.sh, CLK_TCK, WARMUP, RAW, SUPPORT_PIDS (the upstream and
# redis) and FIXED_RATE_BIN.

RUN_SEQ=0

# load_args ID: the header arguments (wrk's and bench/fixed_rate.rs's -H) of a target, in LOAD_ARGS.
load_args() {
    LOAD_ARGS=(-H "Host: ${T_HOST[$1]}")
    [[ -z ${T_COOKIE[$1]} ]] || LOAD_ARGS+=(-H "Cookie: ${T_COOKIE[$1]}")
}

# measure KIND GROUP ROUND ID CONNECTIONS DURATION PLACEMENT: checks the target, warms it up for
# WARMUP s, then loads it with wrk for DURATION s and records the run. PLACEMENT "pinned": wrk
# (one thread) on core 0, the target where it was started (core 1); "unpinned": wrk with two
# threads wherever the scheduler puts it. A failed check stops the benchmark: a wrong answer
# would be measured as a fast one.
measure() {
    local kind=$1 group=$2 round=$3 id=$4 conns=$5 dur=$6 placement=$7
    local wrk=(taskset -c 0 wrk -t1) pids own gh=${T_GH[$4]}
    [[ $placement == pinned ]] || wrk=(wrk -t2)
    check_target "$id" || die "${T_LABEL[$id]}: the check before the load failed"
    load_args "$id"
    "${wrk[@]}" -c"$conns" -d"${WARMUP}s" "${LOAD_ARGS[@]}" "${T_URL[$id]}" >/dev/null 2>&1 || true
    # nginx masters' workers are read now: their pids are what the CPU is sampled from.
    pids=$(for p in ${T_PIDS[$id]}; do with_children "$p"; done | xargs)
    # The server's own processes, beside a front proxy if there is one: Gatehouse, or the ideal
    # authorizer.
    own=$(for p in ${T_AUTHZ[$id]:-$gh}; do with_children "$p"; done | xargs)
    RUN_SEQ=$((RUN_SEQ + 1))
    local out="$RAW/$(printf '%03d' "$RUN_SEQ")-$kind-$id-r$round-c$conns.txt"
    # shellcheck disable=SC2086 # pid lists
    local t0 k0 a0 ak0 s0 b0 c00 c10 o0 w0
    # shellcheck disable=SC2086
    t0=$(cpu_ticks $pids) k0=$(sys_ticks $pids) a0=$(cpu_ticks $own) ak0=$(sys_ticks $own) s0=$(cpu_ticks $SUPPORT_PIDS) b0=$(busy_ticks)
    c00=$(cpu_busy_ticks 0) c10=$(cpu_busy_ticks 1) o0=$(tcp_opens) w0=$EPOCHREALTIME
    local TIMEFORMAT='%U %S'
    { time "${wrk[@]}" -c"$conns" -d"${dur}s" --latency "${LOAD_ARGS[@]}" "${T_URL[$id]}" >"$out" 2>&1; } 2>"$out.time" ||
        die "wrk failed on ${T_LABEL[$id]}: $(cat "$out")"
    local t1 k1 a1 ak1 s1 b1 c01 c11 o1 w1
    # shellcheck disable=SC2086
    t1=$(cpu_ticks $pids) k1=$(sys_ticks $pids) a1=$(cpu_ticks $own) ak1=$(sys_ticks $own) s1=$(cpu_ticks $SUPPORT_PIDS) b1=$(busy_ticks)
    c01=$(cpu_busy_ticks 0) c11=$(cpu_busy_ticks 1) o1=$(tcp_opens) w1=$EPOCHREALTIME
    local wall wrk_ticks rps p50 p99 errors threads="" gh_ticks=0
    [[ -z $gh ]] || gh_ticks=$((a1 - a0))
    wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
    wrk_ticks=$(awk -v hz="$CLK_TCK" '{ printf "%.0f\n", ($1 + $2) * hz }' "$out.time")
    read -r rps p50 p99 errors < <(parse_wrk "$out") || die "cannot read wrk's output for ${T_LABEL[$id]}"
    [[ -z $gh ]] || threads=$(threads_of "$gh")
    record run "phase=$kind" "group=$group" "round=$round" "target=$id" "label=${T_LABEL[$id]}" \
        "connections=$conns" "placement=$placement" "rps=$rps" "p50=$p50" "p99=$p99" "errors=$errors" \
        "cpu=$(cores $((t1 - t0)) "$wall")" "cpu_sys=$(cores $((k1 - k0)) "$wall")" \
        "own_cpu=$(cores $((a1 - a0)) "$wall")" "own_sys=$(cores $((ak1 - ak0)) "$wall")" "gh_cpu=$(cores "$gh_ticks" "$wall")" \
        "core0=$(cores $((c01 - c00)) "$wall")" "core1=$(cores $((c11 - c10)) "$wall")" \
        "wrk_cpu=$(cores "$wrk_ticks" "$wall")" "support_cpu=$(cores $((s1 - s0)) "$wall")" \
        "other=$(cores $((b1 - b0 - (t1 - t0) - (s1 - s0) - wrk_ticks)) "$wall")" \
        "gh_threads=$threads" "opens=$((o1 - o0))" \
        "requests=$(awk '/ requests in / {print $1; exit}' "$out")" "raw=${out##*/}"
    log "$kind r$round ${T_LABEL[$id]} c$conns: $rps req/s, p99 $p99 ms, errors $errors"
}

# rounds GROUP PLACEMENT ANCHOR SUBJECT...: ROUNDS rounds of the anchor and its subjects, one
# DURATION s run each, the order reversed every other round (anchor first, then last), so that
# drifting load from outside weighs on anchor and subjects alike.
rounds() {
    local group=$1 placement=$2 r id order
    shift 2
    for ((r = 1; r <= ROUNDS; r++)); do
        order=("$@")
        if ((r % 2 == 0)); then
            local i reversed=()
            for ((i = ${#order[@]} - 1; i >= 0; i--)); do reversed+=("${order[i]}"); done
            order=("${reversed[@]}")
        fi
        for id in "${order[@]}"; do
            measure round "$group" "$r" "$id" "$CONNECTIONS" "$DURATION" "$placement"
        done
    done
    record group "group=$group" "placement=$placement" "anchor=$1" "subjects=${*:2}"
}

# sweep ID...: every target at every SWEEP_CONNECTIONS count for SWEEP_DURATION s, pinned; the
# targets alternate at each count.
sweep() {
    local conns id
    for conns in $SWEEP_CONNECTIONS; do
        for id in "$@"; do
            measure sweep sweep 1 "$id" "$conns" "$SWEEP_DURATION" pinned
        done
    done
}

# fixed_rate ROUND ID RATE: bench/fixed_rate.rs on core 0 sending RATE requests per second, one
# every 1/RATE s, for RATE_DURATION s over RATE_CONNECTIONS connections, each latency measured
# from when its request was due if it had to wait for a connection (coordinated omission).
fixed_rate() {
    local round=$1 id=$2 rate=$3
    check_target "$id" || die "${T_LABEL[$id]}: the check before the fixed-rate load failed"
    load_args "$id"
    RUN_SEQ=$((RUN_SEQ + 1))
    local out="$RAW/$(printf '%03d' "$RUN_SEQ")-rate-$id-r$round.txt"
    taskset -c 0 "$FIXED_RATE_BIN" "${T_URL[$id]}" "$rate" "$RATE_CONNECTIONS" "$RATE_DURATION" "${LOAD_ARGS[@]}" \
        >"$out" 2>"$out.err" || die "bench/fixed_rate.rs failed on ${T_LABEL[$id]}: $(cat "$out.err")"
    local summary
    summary=$(grep -E '^rps=' "$out") || die "cannot read the fixed-rate output for ${T_LABEL[$id]}"
    # shellcheck disable=SC2086 # the summary is key=value words
    record rate "round=$round" "target=$id" "label=${T_LABEL[$id]}" "rate=$rate" $summary "raw=${out##*/}"
    log "rate r$round ${T_LABEL[$id]} at $rate/s: $summary"
}
