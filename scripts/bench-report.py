#!/usr/bin/env python3
"""Turns scripts/bench's results (JSON lines) into the "## Benchmark" section of BENCHMARKS.md.

  bench-report.py RESULTS --command C --cores N --memory M --cpu CPU --date D --commit SHA --quick 0|1 [--note TEXT]
      prints the section
  bench-report.py --splice BENCHMARKS.md SECTION_FILE
      replaces "## Benchmark" (up to the next "## " heading) in the file, or appends it; other
      sections are left as they are; creates the file with just this section when it is missing
"""
import argparse
import json
import os
import re
import sys

TARGETS = ("Targets (reported, not asserted): ingest ≥ 70 % of ceiling at 16 and 64 senders, delivery of 10 subscriptions ≥ 60 % of its ceiling, "
           "Redis CPU per ingested event at 64 senders ≤ 17.8 µs (60 % of 29.6), AOF ≤ 1,288 bytes per event (70 % of 1,840), "
           "Redis memory of 10 subscriptions' queued events ≤ 1/3 of the layout before partitions, on a 3-master cluster each master 20–45 % "
           "of the commands and throughput ≥ 80 % of one Redis, ingest p99 < 10 ms at half the max rate, RSS < 100 MB.")
# per-request AOF bytes
OLD_REDIS_US = 29.6
OLD_AOF = 1840


def splice(path, section_file):
    section = open(section_file).read().rstrip("\n") + "\n"
    if not os.path.exists(path):
        open(path, "w").write(section)
        return
    text = open(path).read()
    m = re.search(r"^## Benchmark[ \t]*\n", text, re.M)
    if m:
        nxt = re.search(r"^## ", text[m.end():], re.M)
        end = m.end() + nxt.start() if nxt else len(text)
        rest = text[end:]
        text = text[: m.start()] + section + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    open(path, "w").write(text)


def ratio(a, b, pct=True):
    if not b:
        return "n/a"
    return f"{100 * a / b:.0f} %" if pct else f"{a / b:.2f}×"


def fmt(x, d=1):
    return f"{x:,.{d}f}"


def report(a):
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    by = lambda s: [r for r in rows if r["scenario"] == s]
    ceil = {r["c"]: r for r in by("ingest_ceiling")}
    ship = {r["c"]: r for r in by("ingest_shiprelay")}
    out = []
    w = out.append
    w("## Benchmark")
    w("")
    if a.quick == "1":
        w("**Quick run (`--quick`) on a busy, shared machine: these figures show the harness works, they are not the published numbers.** "
          "Final figures come from a full `scripts/bench` on a quiet machine.")
        w("")
    if a.note:
        w(a.note)
        w("")
    w(f"- command: `{a.command}`")
    w(f"- machine: {a.cores} cores ({a.cpu}), {a.memory} memory; loopback only; load generator, sink, Redis and shiprelay share these cores")
    w(f"- date: {a.date}; shiprelay commit {a.commit}")
    w("- Redis: its own redis-server, AOF on, `appendfsync everysec`; shiprelay: release build, example config "
      "(`delivery.concurrency = 64`, `log.level = warn`), `allow_private_targets = true`, `per_subscription_in_flight = 64` (the default 8 would cap the one-subscription case below the ceiling's 64 in flight), role `all`")
    w("- load: signed FlexOps `tracking.updated` webhooks (~480 bytes), a distinct event id each (nothing deduplicated); "
      "closed loop at the given number of senders unless a rate is given")
    w("- ceiling: `bench/src/bin/ceiling-ingest.rs` (actix-web: HMAC verify + JSON parse + one XADD) and "
      "`ceiling-deliver.rs` (XREADGROUP → reqwest POST → XACK, 64 in flight), same machine, same run")
    w(f"- {TARGETS}")
    w("")
    w("### Ingest")
    w("")
    w("| senders | shiprelay req/s | ceiling req/s | ratio | p50 ms: shiprelay (ceiling, ×) | p99 ms | p99.9 ms | AOF bytes per request | errors |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for c in sorted(ship):
        s, k = ship[c], ceil.get(c, {})
        errs = ", ".join(f"{n}×{st}" for st, n in s["errors"].items()) or "none"
        lat = lambda f: f"{s[f]:.2f} ({k.get(f, 0):.2f}, {ratio(s[f], k.get(f), pct=False)})"
        n = s.get("cpu", {}).get("n", 0)
        aof = (f"{s['aof_bytes'] / n:,.0f}" if n and s.get("aof_rewrites") == 0 and s.get("aof_bytes", 0) > 0
               else "n/a (an AOF rewrite in the window)")
        w(f"| {c} | {fmt(s['rps'])} | {fmt(k.get('rps', 0))} | {ratio(s['rps'], k.get('rps'))} | {lat('p50_ms')} | {lat('p99_ms')} | {lat('p999_ms')} | {aof} | {errs} |")
    cpu_rows = [c for c in sorted(ship) if ship[c].get("cpu", {}).get("n") and ceil.get(c, {}).get("cpu", {}).get("n")]
    if cpu_rows:
        w("")
        w("Where the CPU goes, in µs of CPU per stored request (process utime + stime, Redis `INFO cpu`; the load generator's own share is not counted):")
        w("")
        w("| senders | shiprelay | ceiling | Redis for shiprelay | Redis for the ceiling | Redis AOF-rewrite children: shiprelay / ceiling |")
        w("|---:|---:|---:|---:|---:|---:|")
        per = lambda r, f: 1e6 * r["cpu"][f] / r["cpu"]["n"]
        for c in cpu_rows:
            s, k = ship[c], ceil[c]
            w(f"| {c} | {per(s, 'app'):.1f} | {per(k, 'app'):.1f} | {per(s, 'redis'):.1f} | {per(k, 'redis'):.1f} | "
              f"{per(s, 'redis_children'):.1f} / {per(k, 'redis_children'):.1f} |")
    for h in by("ingest_half_rate"):
        ok = "met" if h["p99_ms"] < 10 else "NOT met"
        w("")
        w(f"At half the best rate ({fmt(h['target_rate'], 0)} req/s fixed, 16 senders, latency from the scheduled send time): "
          f"{fmt(h['rps'])} req/s served, p50 {h['p50_ms']:.2f} ms, **p99 {h['p99_ms']:.2f} ms**, p99.9 {h['p999_ms']:.2f} ms (target p99 < 10 ms: {ok}).")
        if "aof_rewrites" in h:
            w(f"Redis rewrote its AOF {h['aof_rewrites']} time(s) during this run (dataset {h['used_memory'] / 2**30:.2f} GiB; "
              f"the last fork stopped Redis for {h['fork_ms']} ms).")
        for k in by("ingest_half_rate_ceiling"):
            w(f"The ceiling at the same rate: p50 {k['p50_ms']:.2f} ms, p99 {k['p99_ms']:.2f} ms ({ratio(h['p99_ms'], k['p99_ms'], pct=False)}), p99.9 {k['p999_ms']:.2f} ms.")
    grown = by("ingest_grown")
    w("")
    if grown:
        g = grown[0]
        base = ship.get(16, {}).get("rps", 0)
        w(f"Stream growth: with {g['retained']:,} events retained in the events streams (one partition's grown), 16 senders: {fmt(g['rps'])} req/s "
          f"({ratio(g['rps'], base)} of the near-empty stream's {fmt(base)}), p99 {g['p99_ms']:.2f} ms.")
        for b in by("ingest_grown_base"):
            w(f"Just before the prefill, on the same Redis with {b['retained']:,} events retained: {fmt(b['rps'])} req/s, "
              f"p99 {b['p99_ms']:.2f} ms; the grown stream ran at {ratio(g['rps'], b['rps'])} of that.")
        if g.get("cpu", {}).get("n"):
            per = lambda r, f: 1e6 * r["cpu"][f] / r["cpu"]["n"]
            before = next((b for b in by("ingest_grown_base") if b.get("cpu", {}).get("n")), None)
            then = (f" (just before the prefill: {per(before, 'app'):.1f} / {per(before, 'redis'):.1f} / {per(before, 'redis_children'):.1f})"
                    if before else "")
            w(f"CPU µs per request, shiprelay / Redis / Redis AOF-rewrite children: {per(g, 'app'):.1f} / {per(g, 'redis'):.1f} / "
              f"{per(g, 'redis_children'):.1f}{then}. The AOF rewrite that the prefill itself set off was waited out first "
              f"({g.get('rewrite_wait_s', 0)} s); a rewrite's cost grows with the dataset, see the profile below.")
    else:
        w("Stream growth (ingest with 1,000,000 retained events): not run here (`--quick` skips it; the full run does it, or set `BENCH_GROWTH_EVENTS`).")
    w("")
    w("### End to end (ingest → route → deliver to the sink)")
    w("")
    dc = by("deliver_ceiling")
    dceil = dc[0]["rate"] if dc else 0
    w("| subscriptions | ingested ev/s | delivered/s during load | delivered/s draining (ratio to ceiling) | latency p50 / p99 ms | backlog at end of load: deliveries (unrouted events + jobs) | backlog trend | drained after load | delivered / expected |")
    w("|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for e in by("e2e"):
        sink = e["sink"]
        during = e["delivered_during_load"] / e["duration"]
        drained = sink["count"] - e["delivered_during_load"]
        drain_rate = drained / e["drain_s"] if e["drain_s"] >= 1 and drained > 0 else None
        drain_txt = f"{fmt(drain_rate)} ({ratio(drain_rate, dceil)})" if drain_rate else "kept up (no backlog to drain)"
        samples = [r * e["fanout"] + j for r, j in e["backlog_samples"]]
        r_end, j_end = e["backlog_samples"][-1]
        end = samples[-1]
        mid = samples[len(samples) // 2] if len(samples) > 2 else end
        trend = ("settled" if end <= max(1.25 * mid, 64 + mid) else f"growing ({mid:,} at mid-run)")
        if e.get("start_backlog"):
            trend += f"; started with {e['start_backlog']:,} left by the previous scenario"
        w(f"| {e['fanout']} | {fmt(e['rps'])} | {fmt(during)} | {drain_txt} | {sink['p50_ms']:.1f} / {sink['p99_ms']:.1f} | "
          f"{end:,} ({r_end:,} + {j_end:,}) | {trend} | {e['drain_s']:.1f} s | {sink['distinct']:,} / {e['expected']:,} |")
    w("")
    w(f"Delivery ceiling: {fmt(dceil)} deliveries/s ({dc[0]['deliveries']:,} jobs, 64 in flight)." if dc else "Delivery ceiling: not measured.")
    w("Backlog, in deliveries = events waiting for a router (`XLEN` of the partitions' `routing` streams) × subscriptions + delivery jobs not settled (`XLEN` of the partitions' `deliveries`), sampled every second; "
      "\"settled\" when the end-of-load value is within 25 % of the mid-run one. "
      "Latency = sink's receive time − `data.provider.received_at`. \"Draining\" is the delivery rate after the senders stop, "
      "routing + delivery with no ingest competing for the cores; the ceiling does delivery only (no routing), "
      "so when the backlog is unrouted events the ratio also charges routing to shiprelay.")
    w("")
    w("### Resources")
    w("")
    res = by("ingest_resources")
    proc = by("process")
    w("| measure | value |")
    w("|---|---:|")
    if res and res[0]["events"]:
        r = res[0]
        w(f"| shiprelay CPU s per 1,000 events, ingest only (utime+stime, {r['events']:,} events) | {1000 * r['cpu_s'] / r['events']:.3f} |")
        w(f"| Redis memory per stored event (`used_memory` delta / events; event + dedupe + id keys) | {r['mem_bytes'] / r['events']:,.0f} bytes |")
    for e in by("e2e"):
        n = e["ok"]
        if n:
            w(f"| shiprelay CPU s per 1,000 events, end to end with {e['fanout']} subscription(s) | {1000 * e['cpu_s'] / n:.3f} |")
            if "redis_cpu_s" in e:
                w(f"| Redis CPU s (with AOF rewrites) per 1,000 events, end to end with {e['fanout']} subscription(s) | {1000 * e['redis_cpu_s'] / n:.3f} |")
    for e in by("e2e"):
        if e["fanout"] == 1 and e.get("ok") and e.get("aof_rewrites") == 0:
            w(f"| AOF bytes per event, end to end with 1 subscription (event, dedupe, id index, job, settling, delivery log) | {e['aof_bytes'] / e['ok']:,.0f} |")
    if proc:
        mb = proc[0]["vmhwm_kb"] / 1024
        w(f"| shiprelay peak RSS (VmHWM) over the whole run | {mb:.1f} MB ({'under' if mb < 100 else 'OVER'} the 100 MB target) |")
    w("")
    topology(by, ship, w)
    pacing(by, w)
    summary(by, ship, ceil, dceil, w)
    return "\n".join(out) + "\n"


def topology(by, ship, w):
    mem = by("memory_queued")
    cl = by("cluster_ingest")
    wr = by("wait_replicas")
    if not (mem or cl or wr):
        return
    w("### Beyond one Redis")
    w("")
    for m in mem:
        w(f"Redis memory of queued work, 10 subscriptions (an ingest-only relay on a Redis of its own; nothing delivers): "
          f"{m['events']:,} events and {m['jobs']:,} jobs take {m['bytes'] / 2**20:,.1f} MiB ({m['bytes'] / max(m['events'], 1):,.0f} bytes per event); "
          f"the same events in the layout before partitions (`bench/old-layout.py`: each job carrying its event) "
          f"take {m['old_bytes'] / 2**20:,.1f} MiB ({m['old_bytes'] / max(m['events'], 1):,.0f} bytes per event): "
          f"**{ratio(m['bytes'], m['old_bytes'])}** of it.")
        w("")
    for c in cl:
        deltas = [a - b for a, b in zip(c["commands_after"], c["commands_before"])]
        total = sum(deltas) or 1
        shares = ", ".join(f"{100 * d / total:.0f} %" for d in deltas)
        single = ship.get(64, {}).get("rps", 0)
        w(f"3-master Redis Cluster on loopback (no replicas, AOF everysec, default 8 partitions), 64 senders: {fmt(c['rps'])} req/s, "
          f"p99 {c['p99_ms']:.2f} ms; **{ratio(c['rps'], single)}** of one Redis in this run ({fmt(single)} req/s); "
          f"commands per master: {shares}.")
        w("")
    if wr:
        w("| `wait_replicas` | senders | req/s | p50 ms | p99 ms | errors |")
        w("|---:|---:|---:|---:|---:|---|")
        for r in wr:
            errs = ", ".join(f"{n}×{st}" for st, n in r["errors"].items()) or "none"
            w(f"| {r['wait']} | {r['c']} | {fmt(r['rps'])} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {errs} |")
        w("")
        w("Against one replica of a Redis of its own on the same cores: the cost of waiting for it, same run.")
        w("")


def pacing(by, w):
    orders = {o["mode"]: o for o in by("ordering")}
    fair = {f["next_to"]: f for f in by("fairness")}
    if not (orders or fair):
        return
    w("### Order per subject and fairness")
    w("")
    for mode in ("none", "subject"):
        o = orders.get(mode)
        if o:
            w(f"- ordering `{mode}`, {o['subjects']:,} shipments, 16 senders: {o['delivered']:,} of {o['expected']:,} delivered "
              f"in {o['seconds']:.1f} s from the load's start: **{o['delivered'] / o['seconds']:,.0f} deliveries/s** (ingest {fmt(o['rps'])} req/s)")
    for next_to in ("none", "stuck"):
        f = fair.get(next_to)
        if f:
            label = "alone" if next_to == "none" else "next to a subscription that never answers"
            w(f"- healthy subscription at 200 events/s, {label}: ingest to delivery p50 {f['sink']['p50_ms']:.1f} ms, "
              f"p99 **{f['sink']['p99_ms']:.1f} ms**, max {f['sink']['max_ms']:.1f} ms")
    w("")


def pacing_targets(by, w):
    orders = {o["mode"]: o for o in by("ordering")}
    if "none" in orders and "subject" in orders:
        rate = lambda o: o["delivered"] / o["seconds"]
        r = rate(orders["subject"]) / max(rate(orders["none"]), 1e-9)
        w(f"| ordered delivery, 1,000 shipments ≥ 50 % of unordered | {100 * r:.0f} %: {'met' if r >= 0.5 else '**missed**'} |")
    fair = {f["next_to"]: f for f in by("fairness")}
    if "none" in fair and "stuck" in fair:
        alone, stuck = fair["none"]["sink"]["p99_ms"], fair["stuck"]["sink"]["p99_ms"]
        r = stuck / max(alone, 1e-9)
        w(f"| healthy p99 next to a never-answering subscription within 2× of alone | {stuck:.1f} ms against {alone:.1f} ms ({r:.2f}×): {'met' if r <= 2 else '**missed**'} |")


def summary(by, ship, ceil, dceil, w):
    w("### Targets")
    w("")
    w("| target | result |")
    w("|---|---|")
    for c in (16, 64):
        if c in ship and c in ceil:
            r = ship[c]["rps"] / ceil[c]["rps"]
            w(f"| ingest ≥ 70 % of the ceiling, {c} senders | {100 * r:.0f} %: {'met' if r >= 0.7 else '**missed**'} |")
    for e in by("e2e"):
        if e["fanout"] == 10 and dceil:
            sink = e["sink"]
            drained = sink["count"] - e["delivered_during_load"]
            rate = drained / e["drain_s"] if e["drain_s"] >= 1 and drained > 0 else None
            if rate:
                w(f"| delivery of 10 subscriptions ≥ 60 % of its ceiling | {100 * rate / dceil:.0f} %: {'met' if rate >= 0.6 * dceil else '**missed**'} |")
    s = ship.get(64)
    if s and s.get("cpu", {}).get("n"):
        us = 1e6 * s["cpu"]["redis"] / s["cpu"]["n"]
        w(f"| Redis CPU per ingested event, 64 senders ≤ 17.8 µs | {us:.1f} µs ({100 * us / OLD_REDIS_US:.0f} % of 29.6): {'met' if us <= 0.6 * OLD_REDIS_US else '**missed**'} |")
        if s.get("aof_rewrites") == 0 and s.get("aof_bytes"):
            b = s["aof_bytes"] / s["cpu"]["n"]
            w(f"| AOF bytes per event ≤ 1,288 | {b:,.0f} ({100 * b / OLD_AOF:.0f} % of 1,840): {'met' if b <= 0.7 * OLD_AOF else '**missed**'} |")
    for m in by("memory_queued"):
        r = m["bytes"] / max(m["old_bytes"], 1)
        w(f"| Redis memory, 10 subscriptions, queued events ≤ 1/3 | {100 * r:.0f} %: {'met' if r <= 1 / 3 else '**missed**'} |")
    for c in by("cluster_ingest"):
        deltas = [a - b for a, b in zip(c["commands_after"], c["commands_before"])]
        total = sum(deltas) or 1
        ok = all(0.2 <= d / total <= 0.45 for d in deltas)
        w(f"| cluster: each master 20–45 % of the commands | {', '.join(f'{100 * d / total:.0f} %' for d in deltas)}: {'met' if ok else '**missed**'} |")
        single = ship.get(64, {}).get("rps", 0)
        if single:
            r = c["rps"] / single
            w(f"| cluster throughput ≥ 80 % of one Redis | {100 * r:.0f} %: {'met' if r >= 0.8 else '**missed**'} |")
    pacing_targets(by, w)
    w("")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--splice":
        splice(sys.argv[2], sys.argv[3])
        return
    p = argparse.ArgumentParser()
    p.add_argument("results")
    for opt in ("command", "cores", "memory", "cpu", "date", "commit", "quick", "note"):
        p.add_argument("--" + opt, default="")
    sys.stdout.write(report(p.parse_args()))


if __name__ == "__main__":
    main()
