#!/usr/bin/env python3
"""Writes BENCHMARKS.md (on stdout) from the records of one bench/run.sh run.

report.py RESULTS RAW_DIR STORM_REPORT BENCH_DIR

RESULTS holds one record a line: a kind, then KEY=VALUE fields, tab-separated (bench/lib.sh
`record`). Every ratio is computed per round, between runs of the same round, and reported as the
median with the range over the rounds. BENCH_DIR holds the hand-written parts appended after the
measured ones: changes.md, session-cache.md, storm.md. Standard library only.
"""

import json
import os
import statistics
import sys


def load(path):
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            kind, *fields = line.rstrip("\n").split("\t")
            rec = {"kind": kind}
            for field in fields:
                key, _, value = field.partition("=")
                rec[key] = value
            records.append(rec)
    return records


def num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class Run:
    """The records of one run, indexed for the report."""

    def __init__(self, records):
        self.records = records
        self.meta = next((r for r in records if r["kind"] == "meta"), {})
        self.runs = [r for r in records if r["kind"] == "run"]
        self.groups = {r["group"]: r for r in records if r["kind"] == "group"}
        self.mem = {r["name"]: r for r in records if r["kind"] == "mem"}
        self.rates = [r for r in records if r["kind"] == "rate"]
        self.storm = [r for r in records if r["kind"] == "storm"]
        self.storm_total = next((r for r in records if r["kind"] == "storm_total"), None)
        self.labels = {r["target"]: r["label"] for r in self.runs + self.rates}

    def round_runs(self, group, target):
        return {int(r["round"]): r for r in self.runs if r["group"] == group and r["target"] == target}

    def ratios(self, group, subject, anchor, field="rps"):
        """Per-round subject/anchor of FIELD; and whether any run behind them had errors."""
        s, a = self.round_runs(group, subject), self.round_runs(group, anchor)
        values = [num(s[k][field]) / num(a[k][field]) for k in sorted(s) if k in a and num(a[k][field])]
        errors = any(int(r["errors"]) > 0 for r in list(s.values()) + list(a.values()))
        return values, errors


def spread(values, unit="×", digits=2):
    """'0.93× (0.90–0.97)': the median and the range."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    text = f"{med:.{digits}f}{unit}"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}–{max(values):.{digits}f})"
    return text


# Target 4 is decided only when the quiet p99 stayed within this factor over the rounds.
QUIET_P99_STEADY = 1.5


def verdict(values, target, at_least, errors=False):
    if not values:
        return "not measured"
    med = statistics.median(values)
    ok = med >= target if at_least else med <= target
    text = "met" if ok else "**not met**"
    return text + (" ⚠ errors" if errors else "")


def mib(kib):
    return num(kib) / 1024


def targets_table(run):
    rows = []

    def ratio_row(n, what, group, subject, anchor, field, target, at_least):
        values, errors = run.ratios(group, subject, anchor, field)
        sign = "≥" if at_least else "≤"
        rows.append((n, what, spread(values), f"{sign} {target}×", verdict(values, target, at_least, errors)))

    for front, prefix in (("nginx `auth_request`", "an"), ("Caddy `forward_auth`", "ca")):
        group = "fa-nginx" if prefix == "an" else "fa-caddy"
        for store in ("memory", "redis"):
            name = "Redis" if store == "redis" else "memory"
            what = f"{front} → Gatehouse ({name} sessions) ÷ → ideal authorizer"
            ratio_row("1", what + ": req/s", group, f"{prefix}-{store}", f"{prefix}-ideal", "rps", 0.9, True)
            ratio_row("1", what + ": p99", group, f"{prefix}-{store}", f"{prefix}-ideal", "p99", 1.5, False)
    for group, tag, anchor, label in (("proxy-1core", "ghp", "nginx1", "1 core each"),
                                      ("proxy-2cores", "gh2", "nginx2", "2 cores")):
        for store, name in (("memory", "memory"), ("redis", "Redis")):
            ratio_row("2", f"Gatehouse proxy ({name} sessions) ÷ nginx plain proxy, {label}: req/s",
                      group, f"{tag}-{store}", anchor, "rps", 1.0, True)
    for group, mem, red, label in (("proxy-1core", "ghp-memory", "ghp-redis", "proxy, 1 core"),
                                   ("proxy-2cores", "gh2-memory", "gh2-redis", "proxy, 2 cores"),
                                   ("fa-nginx", "an-memory", "an-redis", "nginx `auth_request`"),
                                   ("fa-caddy", "ca-memory", "ca-redis", "Caddy `forward_auth`")):
        ratio_row("3", f"Redis ÷ memory sessions, {label}: req/s", group, red, mem, "rps", 0.95, True)
    storm = [num(r["storm_p99"]) / num(r["quiet_p99"]) for r in run.storm if num(r["quiet_p99"])]
    quiet = [num(r["quiet_p99"]) for r in run.storm if num(r["quiet_p99"])]
    storm_verdict = verdict(storm, 1.2, False)
    # The ratio's denominator is one short run's tail: a quiet p99 that moved between rounds
    # (the machine, not the gateway) can put the median under the target, or over it.
    if len(quiet) > 1 and max(quiet) > QUIET_P99_STEADY * min(quiet):
        storm_verdict = (f"unsettled: the quiet p99 moved {max(quiet) / min(quiet):.1f}× over the "
                         f"rounds ({min(quiet):.2f}–{max(quiet):.2f} ms)")
    rows.append(("4", "login storm: proxied p99 during 32 clients signing in ÷ quiet p99", spread(storm),
                 "≤ 1.2×", storm_verdict))
    # The storm taken apart in the same rounds (bench/storm.sh's STORM_ANCHORS): its page
    # traffic alone, answered by Gatehouse and by a stand-in that is not Gatehouse.
    for key, what, note in (
            ("pages", "the storm's page traffic alone (every sign-in refused for its token: nothing looked "
             "up or hashed), answered by Gatehouse ÷ quiet p99", "what the storm's pages cost"),
            ("standin", "the same page traffic answered by an nginx stand-in on Gatehouse's core "
             "(a copy of Gatehouse's login page: the same bytes, nothing of Gatehouse's) ÷ quiet p99",
             "what that traffic costs here, whoever answers it")):
        anchor = [num(r[f"{key}_p99"]) / num(r["quiet_p99"])
                  for r in run.storm if num(r.get(f"{key}_p99", "0")) and num(r["quiet_p99"])]
        if anchor:
            rows.append(("4", what, spread(anchor), "—", note))
    control = [num(r["control_p99"]) / num(r["quiet_p99"])
               for r in run.storm if num(r.get("control_p99", "0")) and num(r["quiet_p99"])]
    if control:
        rows.append(("4", "control: proxied p99 next to a SCHED_IDLE busy loop on Gatehouse's core (no sign-ins) ÷ quiet p99",
                     spread(control), "—", "what the lowest priority still costs here"))

    def mem_row(what, value, unit, target, fmt="{:.1f}"):
        if value is None:
            rows.append(("5", what, "not measured", f"≤ {target} {unit}", "not measured"))
            return
        rows.append(("5", what, fmt.format(value) + f" {unit}", f"≤ {target} {unit}",
                     "met" if value <= target else "**not met**"))

    m = run.mem
    get = lambda name, key: num(m[name][key]) if name in m and key in m[name] else None  # noqa: E731
    mem_row("idle RSS, `gatehouse serve` (memory sessions, unpinned)", mib(m["serve_idle"]["kib"])
            if "serve_idle" in m else None, "MiB", 25)
    mem_row("idle RSS, `gatehouse demo`", mib(m["demo_idle"]["kib"]) if "demo_idle" in m else None, "MiB", 25)
    after = [mib(r["kib"]) for n, r in m.items() if n.startswith("after_load_")]
    mem_row("RSS after the proxy load (largest of the Gatehouse processes)", max(after) if after else None,
            "MiB", 40)
    mem_row(f"in-process sessions ({m.get('session_bytes', {}).get('sessions', '?')}), per session",
            get("session_bytes", "bytes"), "B", 512, "{:.0f}")
    mem_row("Redis `MEMORY USAGE` per session (key + share of the user index)", get("redis_session", "bytes"),
            "B", 300, "{:.0f}")
    mem_row(f"idle keep-alive connections ({m.get('connection', {}).get('connections', '?')}), per connection",
            get("connection", "kb"), "KB", 10)
    bare = get("connection_bare_hyper", "kb")
    if bare is not None:
        rows.append(("5", "the same held by a bare hyper server with Gatehouse's connection settings "
                     "(`bench/bare_hyper.rs`: the floor)", f"{bare:.1f} KB", "(anchor)", ""))
    added = added_p99(run, "ghp-memory")
    rows.append(("6", "added p99 of the Gatehouse proxy over the upstream directly, at a fixed rate "
                 f"({run.rates[0]['rate'] if run.rates else '?'} req/s)", spread(added, " ms", 3), "< 0.2 ms",
                 "not measured" if not added else ("met" if statistics.median(added) < 0.2 else "**not met**")
                 + (" ⚠ errors" if any(int(r["errors"]) for r in run.rates) else "")
                 + (" ⚠ saturated" if any(r["target"] == "ghp-memory" and num(r["rps"]) < 0.97 * num(r["rate"])
                                          for r in run.rates) else "")))
    nginx_added = added_p99(run, "nginx1")
    if nginx_added:
        rows.append(("6", "the same for the nginx plain proxy (1 worker, core 1) at the same rate",
                     spread(nginx_added, " ms", 3), "(anchor)", ""))
    out = ["| # | target | measured: median (range over rounds) | target | |", "|---|---|---:|---:|---|"]
    out += [f"| {n} | {what} | {value} | {target} | {v} |" for n, what, value, target, v in rows]
    return "\n".join(out)


def added_p99(run, target):
    """Per round, the p99 of TARGET at the fixed rate minus the upstream's p99 in the same round."""
    by_round = {}
    for r in run.rates:
        by_round.setdefault(r["round"], {})[r["target"]] = num(r["p99"])
    return [v[target] - v["upstream"] for v in by_round.values() if target in v and "upstream" in v]


def opens(runs):
    """New TCP connections opened on the machine per 1000 requests (median over the runs)."""
    per = [num(r["opens"]) / num(r["requests"]) * 1000 for r in runs
           if num(r.get("opens")) is not None and num(r.get("requests"))]
    return f"{statistics.median(per):.1f}" if per else "—"


# An anchor is the same program, placed the same way, in every round, so its own round-to-round
# spread measures the machine, not the code. On these VMs the host's load is invisible from inside
# ("others' CPU" reads 0 while an unchanged nginx moves 1.8× between rounds), so this is the only
# sign in the records that a run was noisy.
NOISY_ANCHOR = 1.15
# Above this share of requests sent late, a fixed-rate run's schedule was not even.
LATE_SHARE = 0.01


def anchor_spreads(run):
    """(label, lowest req/s, highest req/s, highest ÷ lowest) of each group's anchor over the rounds."""
    out = []
    for group in ("fa-nginx", "fa-caddy", "proxy-1core", "proxy-2cores"):
        g = run.groups.get(group)
        if g is None:
            continue
        rps = [num(r["rps"]) for r in run.round_runs(group, g["anchor"]).values() if num(r["rps"])]
        if len(rps) > 1:
            out.append((run.labels[g["anchor"]], min(rps), max(rps), max(rps) / min(rps)))
    return out


def stability_line(run):
    spreads = anchor_spreads(run)
    if not spreads:
        return "Anchors' spread over the rounds: n/a (one round)."
    parts = [f"{label} {spread:.2f}×" for label, _, _, spread in spreads]
    return ("Anchors' spread over the rounds (highest ÷ lowest req/s of the same anchor; a quiet machine "
            f"stays within about {NOISY_ANCHOR:.2f}×): " + "; ".join(parts) + ".")


def noisy_warning(run):
    spreads = [s for s in anchor_spreads(run) if s[3] > NOISY_ANCHOR]
    if not spreads:
        return None
    label, low, high, worst = max(spreads, key=lambda s: s[3])
    return (f"⚠ The anchors moved between rounds by up to {worst:.2f}× ({label}: {low:.0f}–{high:.0f} req/s), "
            "though each is the same program, placed the same way, in every round: the machine's speed changed under "
            "the run (on a shared VM, the host's load does not show in \"others' CPU\"). Ratios within that "
            "spread of a target do not decide it; re-run in a quieter hour.\n")


def group_table(run, group):
    g = run.groups.get(group)
    if g is None:
        return "(not measured)"
    targets = [g["anchor"]] + g["subjects"].split()
    # Forward-auth groups (the ideal authorizer is their anchor): the authorizer's own CPU
    # (Gatehouse's or the ideal one's) and its user-space part, where the two differ most
    # (bench/changes.md). Runs recorded before these fields existed show none.
    per_authz = g["anchor"].endswith("-ideal") and any(
        "own_cpu" in r for t in targets for r in run.round_runs(group, t).values())
    own_head = ("| of which the authorizer (Gatehouse or the ideal) | the authorizer's in user space " if per_authz
                else "| of which Gatehouse ")
    out = ["| target | req/s | × anchor | p50 ms | p99 ms | p99 × anchor | CPU µs/req | of which in the kernel "
           f"{own_head}| its CPU (cores) | core 1 busy | others' CPU | new TCP connections per 1000 req |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if per_authz else "") + "---:|---:|---:|---:|"]
    for t in targets:
        runs = list(run.round_runs(group, t).values())
        if not runs:
            continue
        med = lambda key: statistics.median(num(r[key]) for r in runs)  # noqa: E731
        us = statistics.median(num(r["cpu"]) / num(r["rps"]) * 1e6 for r in runs)
        # Results of runs before the split was recorded have no `cpu_sys`.
        sys_us = [num(r["cpu_sys"]) / num(r["rps"]) * 1e6 for r in runs if "cpu_sys" in r]
        kernel = f"{statistics.median(sys_us):.1f}" if sys_us else "—"
        anchor = t == g["anchor"]
        gh = "—"
        if not anchor and "-ideal" not in t:
            gh = f"{statistics.median(num(r['gh_cpu']) / num(r['rps']) * 1e6 for r in runs):.1f}"
        errors = sum(int(r["errors"]) for r in runs)
        rps_x = "—" if anchor else spread(run.ratios(group, t, g["anchor"])[0])
        p99_x = "—" if anchor else spread(run.ratios(group, t, g["anchor"], "p99")[0])
        label = run.labels[t] + (f" ⚠ {errors} errors" if errors else "") + (" (anchor)" if anchor else "")
        own = f"{gh} | "
        if per_authz:
            split = [(num(r["own_cpu"]) / num(r["rps"]) * 1e6, (num(r["own_cpu"]) - num(r["own_sys"]))
                      / num(r["rps"]) * 1e6) for r in runs if "own_cpu" in r]
            own = (f"{statistics.median(a for a, _ in split):.1f} | {statistics.median(u for _, u in split):.1f} | "
                   if split else "— | — | ")
        out.append(f"| {label} | {med('rps'):.0f} | {rps_x} | {med('p50'):.2f} | {med('p99'):.2f} | {p99_x} | "
                   f"{us:.1f} | {kernel} | {own}{med('cpu'):.2f} | {med('core1'):.2f} | {med('other'):.2f} | {opens(runs)} |")
    subjects = g["subjects"].split()
    mem = next((t for t in subjects if t.endswith("-memory")), None)
    red = next((t for t in subjects if t.endswith("-redis")), None)
    if mem and red:
        rps = run.ratios(group, red, mem)[0]
        # CPU per request moves less with outside load than req/s does.
        cpu = [num(m["cpu"]) / num(m["rps"]) / (num(r["cpu"]) / num(r["rps"]))
               for k, m in run.round_runs(group, mem).items()
               for r in [run.round_runs(group, red).get(k)] if r and num(r["cpu"])]
        out.append(f"\nRedis ÷ memory sessions: req/s {spread(rps)}; CPU per request, memory ÷ Redis, {spread(cpu)}.")
    return "\n".join(out)


def rate_table(run):
    if not run.rates:
        return "(not measured)"
    out = ["| target | achieved req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | waited for a connection | "
           "sent late by the generator |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    short = []
    for t in ("upstream", "nginx1", "ghp-memory"):
        rs = [r for r in run.rates if r["target"] == t]
        if rs:
            med = lambda key: statistics.median(num(r[key]) for r in rs)  # noqa: E731
            # Below the asked rate, the target could not keep up: requests queued, and the
            # latency measures that queue (saturation), not what the target adds.
            if any(num(r["rps"]) < 0.97 * num(r["rate"]) for r in rs):
                short.append(run.labels[t])
            total = lambda key: sum(int(r.get(key, 0)) for r in rs)  # noqa: E731
            out.append(f"| {run.labels[t]} | {med('rps'):.0f} | {med('p50'):.3f} | {med('p99'):.3f} | "
                       f"{med('p999'):.3f} | {med('max'):.3f} | {total('errors')} | {total('waited')} | "
                       f"{total('late')} |")
    if short:
        out.append(f"\n⚠ Below the asked rate in at least one round (saturated: the latency is a growing "
                   f"queue, not an added cost): {', '.join(short)}.")
    # The generator shares core 0 with the upstream; when it falls behind, it sends what is due
    # in a burst, and the p99 then measures its bursts too, as with a millisecond timer.
    late = []
    for t in ("upstream", "nginx1", "ghp-memory"):
        rs = [r for r in run.rates if r["target"] == t]
        answers = sum(int(r.get("answers", 0)) for r in rs)
        share = sum(int(r.get("late", 0)) for r in rs) / answers if answers else 0
        if share > LATE_SHARE:
            late.append(f"{run.labels[t]} {share:.0%}")
    if late:
        out.append(f"\n⚠ The generator sent more than {LATE_SHARE:.0%} of the requests over 100 µs late "
                   f"(core 0 could not keep its schedule), so the p99 includes its own bursts: {', '.join(late)}.")
    return "\n".join(out)


def sweep_table(run):
    runs = [r for r in run.runs if r["group"] == "sweep"]
    conns = sorted({int(r["connections"]) for r in runs})
    targets = list(dict.fromkeys(r["target"] for r in runs))
    out = ["| target | " + " | ".join(f"c{c} req/s · p99 ms" for c in conns) + " |",
           "|---|" + "---:|" * len(conns)]
    for t in targets:
        cells = []
        for c in conns:
            r = next((x for x in runs if x["target"] == t and int(x["connections"]) == c), None)
            warn = " ⚠" if r and int(r["errors"]) else ""
            cells.append(f"{num(r['rps']):.0f} · {num(r['p99']):.2f}{warn}" if r else "—")
        out.append(f"| {run.labels[t]} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def memory_table(run):
    names = {
        "serve_idle": "`gatehouse serve`, memory sessions, unpinned: 2 s after start, before any login",
        "serve_idle_pinned": "`gatehouse serve`, memory sessions, on core 1 (one worker): idle",
        "demo_idle": "`gatehouse demo`: 2 s after it answered (its start hashes the demo user's password)",
        "storm_idle": "`bench/storm.sh`'s Gatehouse (33 users): idle",
        "storm_after_load": "`bench/storm.sh`'s Gatehouse after its quiet proxy load",
        "storm_peak": "`bench/storm.sh`'s Gatehouse: peak during the login storms (VmHWM)",
    }
    out = ["| process | RSS | threads |", "|---|---:|---:|"]
    for name, what in names.items():
        if name in run.mem:
            out.append(f"| {what} | {mib(run.mem[name]['kib']):.1f} MiB | {run.mem[name].get('threads', '')} |")
    for name, r in run.mem.items():
        if name.startswith("after_load_"):
            t = name[len("after_load_"):]
            out.append(f"| {run.labels.get(t, t)}: after its rounds | {mib(r['kib']):.1f} MiB | {r['threads']} |")
    return "\n".join(out)


def runs_table(run):
    out = ["| # | kind | round | target | conns | req/s | p50 ms | p99 ms | errors | CPU (cores) | in the kernel "
           "| Gatehouse | core 0 | core 1 | wrk | upstream+redis | others | threads | new TCP conns |",
           "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(run.runs, 1):
        out.append(f"| {i} | {r['phase']}: {r['group']} | {r['round']} | {r['label']} | {r['connections']} | {num(r['rps']):.0f} | "
                   f"{r['p50']} | {r['p99']} | {r['errors']} | {r['cpu']} | {r.get('cpu_sys', '—')} | {r['gh_cpu']} | {r['core0']} | "
                   f"{r['core1']} | {r['wrk_cpu']} | {r['support_cpu']} | {r['other']} | {r['gh_threads']} | "
                   f"{r.get('opens', '')} |")
    return "\n".join(out)


def part(bench_dir, name):
    path = os.path.join(bench_dir, name)
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read().rstrip("\n") + "\n\n"


STORM_RUNS = (("quiet", "quiet"), ("storm", "storm"), ("pages", "page traffic, Gatehouse"),
              ("standin", "page traffic, stand-in"), ("control", "control"))


# How the sign-in clients were paced (bench/storm_clients.rs).
PACES = {
    "independent": "each waiting 25–75 ms at random after a refusal",
    "lockstep": "in step (one start, exactly 50 ms after a refusal): the storm in waves",
}


def storm_table(run):
    """One row per proxied run of each round; runs a record lacks (older runs) are left out."""
    lines = ["| round | proxied run | req/s | p99 ms | ÷ quiet | serving threads' wait for a core, "
             "ms/s | sign-in attempts (from 5 s before the run) |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for r in run.storm:
        for key, label in STORM_RUNS:
            p99 = r.get(f"{key}_p99")
            if not p99:
                continue
            ratio = f"{num(p99) / num(r['quiet_p99']):.2f}" if num(r["quiet_p99"]) else "—"
            lines.append(f"| {r['round']} | {label} | {num(r[f'{key}_rps']):.0f} | {p99} | {ratio} | "
                         f"{r.get(f'{key}_wait', '—')} | {r.get(f'{key}_attempts', '—')} |")
    return "\n".join(lines)


def main(results, raw_dir, storm_report, bench_dir):
    run = Run(load(results))
    m = run.meta
    storm = run.storm_total or {}
    with open(os.path.join(os.path.dirname(__file__), "report-method.md"), encoding="utf-8") as f:
        method = f.read().format(**m)
    print("# Benchmarks\n")
    print("Written by `bench/run.sh` (method and knobs: `bench/README.md`); re-run it to refresh this file.")
    print("Every figure is a ratio against an anchor measured in the same run, per round, reported as the")
    print("median with the range over the rounds. Measurements, never test assertions.\n")
    print(f"Run of {m.get('date')} at `{m.get('rev')}`, {m.get('rounds')} rounds of {m.get('duration')} s, "
          f"{m.get('elapsed')} s in all. ⚠ marks a figure with failed requests behind it.\n")
    others = [num(r["other"]) for r in run.runs if num(r["other"]) is not None]
    if others and statistics.median(others) >= 0.2:
        print(f"⚠ Other work on the machine used {statistics.median(others):.2f} cores (median over the runs, up "
              f"to {max(others):.2f}) while this run measured: anchors and subjects shared the cores with it. "
              "Re-run on a quiet machine before drawing conclusions.\n")
    warning = noisy_warning(run)
    if warning:
        print(warning)
    print("## Targets\n")
    print(targets_table(run) + "\n")
    print(stability_line(run) + "\n")
    print("## Details\n")
    print(method)
    print("### Forward-auth: nginx `auth_request` (1 worker, core 1)\n")
    print(group_table(run, "fa-nginx") + "\n")
    print("### Forward-auth: Caddy `forward_auth` (core 1)\n")
    print(group_table(run, "fa-caddy") + "\n")
    print("### Proxy, one core each\n")
    print(group_table(run, "proxy-1core") + "\n")
    print("### Proxy, two cores (everything unpinned, wrk with 2 threads)\n")
    print(group_table(run, "proxy-2cores") + "\n")
    print(f"### Latency at a fixed rate ({run.rates[0]['rate'] if run.rates else '?'} req/s, "
          "`bench/fixed_rate.rs` on core 0)\n")
    print(rate_table(run) + "\n")
    print("Medians over the rounds; the last two columns are totals over them.\n")
    for target, what in (("ghp-memory", "the Gatehouse proxy"), ("nginx1", "the nginx plain proxy")):
        added = added_p99(run, target)
        print(f"Added p99 of {what} over the upstream directly, per round: "
              f"{', '.join(f'{a:.3f} ms' for a in added) or 'n/a'}.\n")
    print(f"### Connections sweep ({m.get('sweep_duration')} s per point, pinned)\n")
    print("![req/s and p99 against connections](bench/sweep.svg)\n")
    print(sweep_table(run) + "\n")
    print("### Memory\n")
    print(memory_table(run) + "\n")
    print("### Login storm\n")
    print(f"`bench/storm.sh` with `PIN=1` (wrk, the upstream, redis and the sign-in clients, these under "
          f"SCHED_IDLE, on core 0; Gatehouse, its hashing threads included, on core 1), "
          f"{m.get('storm_rounds')} rounds of {m.get('storm_duration')} s; in each, one proxied run "
          f"quiet, one in the storm, two with the storm's page traffic alone (every sign-in refused "
          f"for its token) answered by Gatehouse and by an nginx stand-in on core 1, and the control "
          f"(the quiet load next to a SCHED_IDLE busy loop on core 1, no sign-ins). The storms made "
          f"{storm.get('ok', '?')} logins ({storm.get('busy', '?')} refused as busy, "
          f"{storm.get('other', '?')} other) with {storm.get('clients', '?')} clients in "
          f"{storm.get('seconds', '?')} s, {PACES.get(storm.get('pace'), 'paced as before 2026-12-06: in step')}.\n")
    print(storm_table(run) + "\n")
    print(part(bench_dir, "changes.md") + part(bench_dir, "session-cache.md") + part(bench_dir, "storm.md"), end="")
    print("<details><summary>Raw output of this run</summary>\n")
    print("Every wrk run (CPU in busy cores over the run, from `/proc`):\n")
    print(runs_table(run) + "\n")
    for name in sorted(os.listdir(raw_dir)):
        if name.endswith(".time") or name.endswith(".err") or "-sweep-" in name:
            continue
        with open(os.path.join(raw_dir, name), encoding="utf-8", errors="replace") as f:
            text = f.read().strip()
        if name.endswith(".json"):
            d = json.loads(text)
            keys = ("summary", "latencyPercentiles", "statusCodeDistribution", "errorDistribution")
            text = json.dumps({k: d.get(k) for k in keys}, indent=1)
        print(f"#### {name}\n\n```\n{text}\n```\n")
    if os.path.exists(storm_report):
        with open(storm_report, encoding="utf-8", errors="replace") as f:
            print("#### bench/storm.sh\n\n" + f.read().strip() + "\n")
    print("</details>")


if __name__ == "__main__":
    main(*sys.argv[1:5])
