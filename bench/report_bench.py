"""`make bench-report`: report metrics over a 10-million-row ledger, against plain SQL GROUP BYs in SQLite.

One run measures, on the same synthetic ledger (bench/make_ledger.py, cached under bench-data/) and window:

1. `routeledger report --format json --timings`: frame load, metrics (everything after the load, as the
   `--timings` line reports it, with its aggregate / compute split when printed) and bytes per row;
2. SQLite, the same headline aggregates as plain SQL through Python's `sqlite3` module (same SQLite library
   as the CLI; results land in Python without text parsing), two ways:
   a. per query: eight independent statements, each a GROUP BY over the window (totals, failures by code,
      per-model requests/tokens/cost with a join to a temp price table, per-router served models, Haiku ratio
      per day, per-tenant requests/cost/throttles, per-day requests/cost, per-(Region, inference Region)
      counts, latency p50/p90/p99 per model from a (model, latency) histogram and window functions);
   b. single scan: one GROUP BY over every dimension those need into a temp table, every roll-up from it,
      plus the latency histogram scan. The faster of the two is the baseline of the ratio.
3. A cross-check, in the warm-up and in every run: SQLite's answers against that run's report.json (totals,
   tokens, failures by code, per-model requests, failures, tokens, cost and latency percentiles, per-router
   served counts, Haiku ratios, per-day and per-tenant requests and cost, Region flows). Any disagreement is
   printed and the run exits 1.

Each timed step runs once to warm up, then BENCH_REPEATS times (default 5), interleaved; medians are reported.
Targets: metrics over 10M rows < 1 s after load, and SQLite time / metrics time >= 10.
"""
import datetime
import glob
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_ledger  # noqa: E402

ROOT = make_ledger.ROOT
BIN = os.path.join(ROOT, ".build/release/routeledger")
DATA = os.path.join(ROOT, "bench-data")
ROWS = int(os.environ.get("BENCH_ROWS", "10000000"))
DAYS = int(os.environ.get("BENCH_DAYS", "30"))
START = os.environ.get("BENCH_START", "2025-11-16")
SEED = int(os.environ.get("BENCH_SEED", "20261122"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
DAY_US = 86_400_000_000
THROTTLE_CODES = ("ThrottlingException", "TooManyRequestsException", "429", "RateLimitError", "rate_limit_error")
NO_TENANT = "(no tenant)"
UNRESOLVED = "(unresolved)"

TIMINGS = re.compile(r"frame:\s*(\d+)\s*rows,\s*(\d+)\s*bytes/row,\s*load\s*([\d.]+)\s*s,\s*metrics\s*([\d.]+)\s*s"
                     r"(?:\s*\(aggregate\s*([\d.]+)\s*s,\s*compute\s*([\d.]+)\s*s\))?")


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- routeledger -------------------------------------------------------------------------------------------

def run_routeledger(binary, ledger, since, until, out):
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run([binary, "report", "--db", ledger, "--since", since, "--until", until, "--out", out,
                           "--format", "json", "--timings"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        log(done.stdout + done.stderr)
        raise SystemExit(f"routeledger report failed with exit code {done.returncode}")
    match = TIMINGS.search(done.stderr)
    if not match:
        log(done.stderr)
        raise SystemExit("no `frame: … rows, … bytes/row, load … s, metrics … s` line on stderr (--timings)")
    rows, bytes_per_row, load, metrics, aggregate, compute = match.groups()
    reports = glob.glob(os.path.join(out, "*", "report.json"))
    if len(reports) != 1:
        raise SystemExit(f"expected one report.json under {out}, found {reports}")
    return {"rows": int(rows), "bytes_per_row": int(bytes_per_row), "load": float(load), "metrics": float(metrics),
            "aggregate": float(aggregate) if aggregate else None, "compute": float(compute) if compute else None,
            "wall": wall, "report": reports[0]}


# --- SQLite ------------------------------------------------------------------------------------------------

PRAGMAS = ["PRAGMA cache_size = -2000000", "PRAGMA mmap_size = 8589934592", "PRAGMA temp_store = MEMORY",
           "PRAGMA threads = 2"]

# Effective model: the served model, else the requested one when no router is involved (the engine's rule).
EFF = "COALESCE(i.served_model_id, CASE WHEN i.router_id IS NULL THEN i.model_id END)"
# The plain range: SQLite walks invocations_ts, in row order here (rows are inserted in time order); a forced
# full scan (`+i.ts_us`) measured the same (≈1.5 s for a bare SUM over 10M rows); the GROUP BY sorts dominate.
WINDOW = "i.ts_us >= :since AND i.ts_us < :until"
TOKENS = ("sum(i.input_tokens) AS ti, sum(i.output_tokens) AS tout, "
          "sum(i.cache_read_tokens) AS tcr, sum(i.cache_write_tokens) AS tcw")
THROTTLED = ("sum(i.status = 'failure' AND i.error_code_id IN "
             "(SELECT id FROM strings WHERE value IN ('" + "', '".join(THROTTLE_CODES) + "'))) AS thr")


def price_table(connection):
    """TEMP prices(model, region, from_day, to_day, input, output, cache_read, cache_write) from prices.json."""
    with open(os.path.join(ROOT, "Sources/RouteLedgerModel/Resources/prices.json")) as handle:
        catalog = json.load(handle)
    by_key = {}
    for entry in catalog["prices"]:
        day = (datetime.date.fromisoformat(entry["effective_from"]) - datetime.date(1970, 1, 1)).days
        by_key.setdefault((entry["model"], entry["region"]), []).append((day, entry))
    rows = []
    for (model, region), entries in by_key.items():
        entries.sort(key=lambda pair: pair[0])
        for index, (day, entry) in enumerate(entries):
            until = entries[index + 1][0] if index + 1 < len(entries) else 10 ** 9
            rows.append((model, region, day, until, entry["input"], entry["output"], entry["cache_read"], entry["cache_write"]))
    connection.execute("CREATE TEMP TABLE prices (model TEXT, region TEXT, from_day INTEGER, to_day INTEGER, "
                       "input REAL, output REAL, cache_read REAL, cache_write REAL)")
    connection.executemany("INSERT INTO prices VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def priced(groups):
    """SQL pricing the rows of `groups` (columns m, r, d, f, tm, n, ti, tout, tcr, tcw + others): adds `cost`,
    NULL when unknown. Same rules as the engine: a failure without tokens costs 0; tokens-missing, no model,
    no price, or tokens of a kind without a price leave it unpriced; the source Region's price wins over '*'."""
    def pick(column):
        return f"(CASE WHEN pr.model IS NOT NULL THEN pr.{column} ELSE ps.{column} END)"
    return f"""
        SELECT g.*, CASE
            WHEN g.f AND coalesce(g.ti, 0) + coalesce(g.tout, 0) + coalesce(g.tcr, 0) + coalesce(g.tcw, 0) = 0 THEN 0.0
            WHEN g.tm OR g.m IS NULL OR coalesce(pr.model, ps.model) IS NULL THEN NULL
            WHEN coalesce(g.ti, 0) <> 0 AND {pick('input')} IS NULL OR coalesce(g.tout, 0) <> 0 AND {pick('output')} IS NULL
              OR coalesce(g.tcr, 0) <> 0 AND {pick('cache_read')} IS NULL
              OR coalesce(g.tcw, 0) <> 0 AND {pick('cache_write')} IS NULL THEN NULL
            ELSE (coalesce(g.ti, 0) * coalesce({pick('input')}, 0) + coalesce(g.tout, 0) * coalesce({pick('output')}, 0)
                + coalesce(g.tcr, 0) * coalesce({pick('cache_read')}, 0)
                + coalesce(g.tcw, 0) * coalesce({pick('cache_write')}, 0)) / 1000000.0
            END AS cost
        FROM ({groups}) g
        LEFT JOIN strings ms ON ms.id = g.m
        LEFT JOIN strings rs ON rs.id = g.r
        LEFT JOIN prices pr ON pr.model = ms.value AND pr.region = rs.value AND g.d >= pr.from_day AND g.d < pr.to_day
        LEFT JOIN prices ps ON ps.model = ms.value AND ps.region = '*' AND g.d >= ps.from_day AND g.d < ps.to_day
    """


# Latency percentiles per model: exact nearest rank from a (model, latency) histogram, like the engine.
PERCENTILES = f"""
    WITH h AS (
        SELECT {EFF} AS m, i.latency_ms AS v, count(*) AS c FROM invocations i
        WHERE {WINDOW} AND i.status = 'success' AND i.latency_ms IS NOT NULL AND {EFF} IS NOT NULL
        GROUP BY 1, 2),
    w AS (
        SELECT m, v, sum(c) OVER (PARTITION BY m ORDER BY v ROWS UNBOUNDED PRECEDING) AS cum,
               sum(c) OVER (PARTITION BY m) AS tot FROM h)
    SELECT s.value, min(CASE WHEN cum >= max(1, (50 * tot + 99) / 100) THEN v END),
           min(CASE WHEN cum >= max(1, (90 * tot + 99) / 100) THEN v END),
           min(CASE WHEN cum >= max(1, (99 * tot + 99) / 100) THEN v END), max(tot)
    FROM w JOIN strings s ON s.id = w.m GROUP BY w.m
"""


def day_label(day):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()


def empty_model():
    return {"requests": 0, "failed": 0, "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0,
            "cache_write_tokens": 0, "cost_usd": 0.0, "priced_requests": 0, "unpriced_requests": 0}


def add_priced(target, n, f, ti, tout, tcr, tcw, cost):
    target["requests"] += n
    if f:
        target["failed"] += n
    target["input_tokens"] += ti or 0
    target["output_tokens"] += tout or 0
    target["cache_read_tokens"] += tcr or 0
    target["cache_write_tokens"] += tcw or 0
    if cost is None:
        target["unpriced_requests"] += n
    else:
        target["cost_usd"] += cost
        target["priced_requests"] += n


def finish_costs(table):
    for row in table.values():
        if row["priced_requests"] == 0:
            row["cost_usd"] = None


def open_sqlite(ledger):
    connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    for pragma in PRAGMAS:
        connection.execute(pragma)
    price_table(connection)
    return connection


def names(connection):
    return dict(connection.execute("SELECT id, value FROM strings"))


def sql_per_query(ledger, since_us, until_us):
    """Eight independent GROUP BY statements over the window."""
    connection = open_sqlite(ledger)
    p = {"since": since_us, "until": until_us}
    s = names(connection)
    out = {}

    # (1) totals, and failures by error code.
    n, ok, failed, ti, tout, tcr, tcw = connection.execute(f"""
        SELECT count(*), total(i.status = 'success'), total(i.status = 'failure'), sum(i.input_tokens),
               sum(i.output_tokens), sum(i.cache_read_tokens), sum(i.cache_write_tokens)
        FROM invocations i WHERE {WINDOW}""", p).fetchone()
    by_code = {s.get(code, "unknown") if code else "unknown": count for code, count in connection.execute(f"""
        SELECT i.error_code_id, count(*) FROM invocations i WHERE {WINDOW} AND i.status = 'failure'
        GROUP BY i.error_code_id""", p)}
    totals = {"requests": n, "succeeded": int(ok), "failed": int(failed), "input_tokens": ti or 0,
              "output_tokens": tout or 0, "cache_read_tokens": tcr or 0, "cache_write_tokens": tcw or 0,
              "failed_by_code": by_code, "throttled": sum(c for code, c in by_code.items() if code in THROTTLE_CODES)}

    # (2) per effective model: requests, failures, tokens, cost.
    models = {}
    group = f"""SELECT {EFF} AS m, i.region_id AS r, i.ts_us / {DAY_US} AS d, i.status = 'failure' AS f,
                       i.flags & 1 AS tm, count(*) AS n, {TOKENS}
                FROM invocations i WHERE {WINDOW} GROUP BY 1, 2, 3, 4, 5"""
    for m, f, n, ti, tout, tcr, tcw, cost in connection.execute(
            f"SELECT m, f, n, ti, tout, tcr, tcw, cost FROM ({priced(group)})", p):
        add_priced(models.setdefault(s[m] if m else UNRESOLVED, empty_model()), n, f, ti, tout, tcr, tcw, cost)
    totals["cost_usd"] = sum(row["cost_usd"] for row in models.values())
    totals["priced_requests"] = sum(row["priced_requests"] for row in models.values())
    totals["unpriced_requests"] = sum(row["unpriced_requests"] for row in models.values())
    finish_costs(models)

    # (3) per router and served model (the routing distribution).
    routers = {}
    for router, m, f, n in connection.execute(f"""
            SELECT i.router_id, {EFF}, i.status = 'failure', count(*) FROM invocations i
            WHERE {WINDOW} AND i.router_id IS NOT NULL GROUP BY 1, 2, 3""", p):
        add_router(routers, s[router], s.get(m), f, n)
    finish_routers(routers)

    # (4) Haiku ratio per day: successful Claude requests served by a Haiku model.
    haiku_daily = {}
    for d, haiku, claude in connection.execute(f"""
            SELECT d, total(CASE WHEN s.value LIKE '%haiku%' THEN n END), total(n) FROM (
                SELECT i.ts_us / {DAY_US} AS d, {EFF} AS m, count(*) AS n FROM invocations i
                WHERE {WINDOW} AND i.status = 'success' GROUP BY 1, 2) x
            JOIN strings s ON s.id = x.m WHERE s.value LIKE 'anthropic.%' GROUP BY d""", p):
        haiku_daily[day_label(d)] = (int(haiku), int(claude))

    # (5) per tenant: requests, throttles, cost.
    tenants = {}
    group = f"""SELECT i.tenant_id AS t, {EFF} AS m, i.region_id AS r, i.ts_us / {DAY_US} AS d,
                       i.status = 'failure' AS f, i.flags & 1 AS tm, count(*) AS n, {TOKENS}, {THROTTLED}
                FROM invocations i WHERE {WINDOW} GROUP BY 1, 2, 3, 4, 5, 6"""
    for t, f, n, ti, tout, tcr, tcw, thr, cost in connection.execute(
            f"SELECT t, f, n, ti, tout, tcr, tcw, thr, cost FROM ({priced(group)})", p):
        row = tenants.setdefault(s[t] if t else NO_TENANT, {**empty_model(), "throttled": 0})
        add_priced(row, n, f, ti, tout, tcr, tcw, cost)
        row["throttled"] += thr
    finish_costs(tenants)

    # (6) per day: requests and cost.
    days = {}
    group = f"""SELECT {EFF} AS m, i.region_id AS r, i.ts_us / {DAY_US} AS d, i.status = 'failure' AS f,
                       i.flags & 1 AS tm, count(*) AS n, {TOKENS}
                FROM invocations i WHERE {WINDOW} GROUP BY 1, 2, 3, 4, 5"""
    for d, n, cost, priced_n in connection.execute(f"""
            SELECT d, sum(n), total(cost), total(CASE WHEN cost IS NOT NULL THEN n END)
            FROM ({priced(group)}) GROUP BY d""", p):
        days[day_label(d)] = {"requests": n, "cost_usd": cost if priced_n else None}

    # (7) source Region -> inference Region (Bedrock; a failure without an inference Region stays at its source).
    regions = {}
    for r, ir, n in connection.execute(f"""
            SELECT i.region_id, COALESCE(i.inference_region_id, i.region_id), count(*) FROM invocations i
            WHERE {WINDOW} AND i.source_kind = 'bedrock' AND i.region_id IS NOT NULL GROUP BY 1, 2""", p):
        regions[f"{s[r]} -> {s[ir]}"] = n

    # (8) latency percentiles per model.
    for model, p50, p90, p99, samples in connection.execute(PERCENTILES, p):
        models.setdefault(model, empty_model()).update({"p50": p50, "p90": p90, "p99": p99, "samples": samples})
    connection.close()
    out.update(totals=totals, models=models, routers=routers, haiku_daily=haiku_daily, tenants=tenants,
               days=days, regions=regions)
    return out


def add_router(routers, router, model, failed, n):
    row = routers.setdefault(router, {"requests": 0, "served": {}, "unresolved": 0, "haiku": 0, "claude": 0})
    row["requests"] += n
    if failed:
        return
    if model is None:
        row["unresolved"] += n
        return
    row["served"][model] = row["served"].get(model, 0) + n
    if model.startswith("anthropic."):
        row["claude"] += n
        if "haiku" in model:
            row["haiku"] += n


def finish_routers(routers):
    for row in routers.values():
        row["haiku_ratio"] = row["haiku"] / row["claude"] if row["claude"] else None


def sql_single_scan(ledger, since_us, until_us):
    """One GROUP BY over every needed dimension into a temp table, the roll-ups from it, and the latency scan."""
    connection = open_sqlite(ledger)
    p = {"since": since_us, "until": until_us}
    s = names(connection)
    connection.execute(f"""
        CREATE TEMP TABLE cube AS
        SELECT i.ts_us / {DAY_US} AS d, {EFF} AS m, i.router_id AS rt, i.region_id AS r,
               CASE WHEN i.source_kind = 'bedrock' THEN COALESCE(i.inference_region_id, i.region_id) END AS ir,
               i.tenant_id AS t, i.status = 'failure' AS f, i.error_code_id AS e, i.flags & 1 AS tm,
               count(*) AS n, {TOKENS}
        FROM invocations i WHERE {WINDOW} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9""", p)
    throttle_ids = {i for i, v in s.items() if v in THROTTLE_CODES}
    # Price once per (model, Region, day, failed, tokens-missing) and keep per-tenant/router detail in Python.
    rows = connection.execute(f"""
        SELECT d, m, rt, r, ir, t, f, e, tm, n, ti, tout, tcr, tcw, cost FROM ({priced('SELECT * FROM cube')})""").fetchall()
    totals = {"requests": 0, "succeeded": 0, "failed": 0, "input_tokens": 0, "output_tokens": 0,
              "cache_read_tokens": 0, "cache_write_tokens": 0, "failed_by_code": {}, "throttled": 0,
              "cost_usd": 0.0, "priced_requests": 0, "unpriced_requests": 0}
    models, tenants, days, regions, routers, haiku_daily = {}, {}, {}, {}, {}, {}
    for d, m, rt, r, ir, t, f, e, tm, n, ti, tout, tcr, tcw, cost in rows:
        model = s[m] if m else None
        add_priced(totals, n, f, ti, tout, tcr, tcw, cost)
        if f:
            code = s.get(e, "unknown") if e else "unknown"
            totals["failed_by_code"][code] = totals["failed_by_code"].get(code, 0) + n
        throttled = n if f and e in throttle_ids else 0
        totals["throttled"] += throttled
        add_priced(models.setdefault(model or UNRESOLVED, empty_model()), n, f, ti, tout, tcr, tcw, cost)
        tenant = tenants.setdefault(s[t] if t else NO_TENANT, {**empty_model(), "throttled": 0})
        add_priced(tenant, n, f, ti, tout, tcr, tcw, cost)
        tenant["throttled"] += throttled
        day = days.setdefault(day_label(d), {**empty_model()})
        add_priced(day, n, f, ti, tout, tcr, tcw, cost)
        if ir is not None and r is not None:
            key = f"{s[r]} -> {s[ir]}"
            regions[key] = regions.get(key, 0) + n
        if rt is not None:
            add_router(routers, s[rt], model, f, n)
        if not f and model and model.startswith("anthropic."):
            h, c = haiku_daily.get(day_label(d), (0, 0))
            haiku_daily[day_label(d)] = (h + (n if "haiku" in model else 0), c + n)
    totals["succeeded"] = totals["requests"] - totals["failed"]
    finish_costs(models)
    finish_costs(tenants)
    finish_routers(routers)
    days = {d: {"requests": v["requests"], "cost_usd": v["cost_usd"] if v["priced_requests"] else None}
            for d, v in days.items()}
    for model, p50, p90, p99, samples in connection.execute(PERCENTILES, p):
        models.setdefault(model, empty_model()).update({"p50": p50, "p90": p90, "p99": p99, "samples": samples})
    connection.close()
    return {"totals": totals, "models": models, "routers": routers, "haiku_daily": haiku_daily, "tenants": tenants,
            "days": days, "regions": regions}


# --- cross-check -------------------------------------------------------------------------------------------

def close(a, b, relative=1e-6, absolute=1.5e-6):
    """report.json rounds money and ratios to 6 decimals."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(relative * abs(b), absolute)


def cross_check(report_path, sql, label, quiet=False):
    with open(report_path) as handle:
        report = json.load(handle)
    problems = []

    def expect(what, expected, got, approx=False):
        ok = close(got, expected) if approx else got == expected
        if not ok:
            problems.append(f"{what}: SQLite {expected!r}, routeledger {got!r}")

    t, rt = sql["totals"], report["totals"]
    for key in ("requests", "succeeded", "failed", "throttled", "input_tokens", "output_tokens", "cache_read_tokens",
                "cache_write_tokens", "priced_requests", "unpriced_requests"):
        expect(f"totals.{key}", t[key], rt[key])
    expect("totals.failed_by_code", t["failed_by_code"], rt["failed_by_code"])
    expect("totals.cost_usd", t["cost_usd"], rt["cost_usd"], approx=True)

    engine_models = {m["model"]: m for m in report["models"]}
    expect("models (set)", sorted(sql["models"]), sorted(engine_models))
    for name, row in sql["models"].items():
        got = engine_models.get(name)
        if not got:
            continue
        for key in ("requests", "failed", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                    "unpriced_requests"):
            expect(f"models[{name}].{key}", row[key], got[key])
        expect(f"models[{name}].cost_usd", row["cost_usd"], got["cost_usd"], approx=True)
        for key in ("p50", "p90", "p99", "samples"):
            expect(f"models[{name}].latency_ms.{key}", row.get(key, 0 if key == "samples" else None), got["latency_ms"][key])

    engine_routers = {r["router"]: r for r in report["routers"]}
    expect("routers (set)", sorted(sql["routers"]), sorted(engine_routers))
    for name, row in sql["routers"].items():
        got = engine_routers.get(name)
        if not got:
            continue
        expect(f"routers[{name}].requests", row["requests"], got["requests"])
        expect(f"routers[{name}].unresolved", row["unresolved"], got["unresolved"])
        expect(f"routers[{name}].served", row["served"], {s["model"]: s["requests"] for s in got["served"]})
        expect(f"routers[{name}].haiku_ratio", row["haiku_ratio"], got["haiku_ratio"], approx=True)

    haiku = sum(h for h, _ in sql["haiku_daily"].values())
    claude = sum(c for _, c in sql["haiku_daily"].values())
    expect("haiku.haiku_requests", haiku, report["haiku"]["haiku_requests"])
    expect("haiku.claude_requests", claude, report["haiku"]["claude_requests"])
    expect("haiku_ratio", haiku / claude if claude else None, report["haiku_ratio"], approx=True)

    daily = {point["start"][:10]: point for point in report["series"]["daily"]}
    expect("series.daily (days)", sorted(sql["days"]), sorted(daily))
    for day, row in sql["days"].items():
        got = daily.get(day)
        if not got:
            continue
        expect(f"series.daily[{day}].requests", row["requests"], got["requests"])
        expect(f"series.daily[{day}].cost_usd", row["cost_usd"], got["cost_usd"], approx=True)
        h, c = sql["haiku_daily"].get(day, (0, 0))
        expect(f"series.daily[{day}].haiku_ratio", h / c if c else None, got["haiku_ratio"], approx=True)

    engine_tenants = {b["tenant"]: b for b in report["tenants"]}
    expect("tenants (set)", sorted(sql["tenants"]), sorted(engine_tenants))
    for name, row in sql["tenants"].items():
        got = engine_tenants.get(name)
        if not got:
            continue
        for key in ("requests", "failed", "throttled", "unpriced_requests"):
            expect(f"tenants[{name}].{key}", row[key], got[key])
        expect(f"tenants[{name}].cost_usd", row["cost_usd"], got["cost_usd"], approx=True)

    engine_regions = {f"{f['source_region']} -> {f['inference_region']}": f["requests"] for f in report["regions"]}
    expect("regions", sql["regions"], engine_regions)

    checked = (len(sql["models"]), len(sql["routers"]), len(sql["days"]), len(sql["tenants"]), len(sql["regions"]))
    if problems:
        log(f"\nCROSS-CHECK FAILED ({label} vs report.json): {len(problems)} disagreement(s)")
        for problem in problems:
            log(f"  {problem}")
    elif not quiet:
        log(f"cross-check {label} vs report.json: OK ({checked[0]} models, {checked[1]} routers, {checked[2]} days, "
            f"{checked[3]} tenants, {checked[4]} Region flows; totals, tokens, costs, percentiles)")
    return problems


def compare_sql(a, b):
    """The two SQL variants must agree with each other too (costs up to summation order)."""
    problems = []

    def walk(path, x, y):
        if isinstance(x, dict) and isinstance(y, dict):
            if sorted(x) != sorted(y):
                problems.append(f"{path}: keys {sorted(set(x) ^ set(y))} differ")
            for key in set(x) & set(y):
                walk(f"{path}.{key}", x[key], y[key])
        elif isinstance(x, float) or isinstance(y, float):
            if not close(x, y, 1e-9, 1e-9):
                problems.append(f"{path}: {x!r} vs {y!r}")
        elif x != y and not (isinstance(x, (tuple, list)) and list(x) == list(y)):
            problems.append(f"{path}: {x!r} vs {y!r}")
    for key in ("totals", "models", "routers", "haiku_daily", "tenants", "days", "regions"):
        walk(key, a[key], b[key])
    for problem in problems:
        log(f"SQL variants disagree: {problem}")
    return problems


# --- main --------------------------------------------------------------------------------------------------

def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def verdict(ok):
    return "PASS" if ok else "MISS"


def main():
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"{BIN} is missing: run `swift build -c release --product routeledger` (make bench-report does)")
    # Every run uses one snapshot of the binary, even if it is rebuilt meanwhile.
    work = tempfile.mkdtemp(prefix="rl-report-bench-")
    binary_mtime = os.stat(BIN).st_mtime
    binary = os.path.join(work, "routeledger")
    shutil.copy2(BIN, binary)
    out = os.path.join(work, "reports")
    try:
        measure(binary, binary_mtime, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(binary, binary_mtime, out):
    ledger, info = make_ledger.ensure_ledger(binary, ROWS, DAYS, START, SEED, DATA, log=sys.stderr)
    since, until = info["since"], info["until"]
    since_us, until_us = make_ledger.day_micros(since), make_ledger.day_micros(until)
    size_mb = os.path.getsize(ledger) / 1e6
    log(f"ledger: {ledger} ({size_mb:,.0f} MB, {info['rows']:,} rows, "
        f"{'cached; ' if info['cached'] else ''}generated in {info['generation_seconds']} s)")
    log("warm-up …")
    warm = run_routeledger(binary, ledger, since, until, out)
    engine_rows = warm["rows"]
    if engine_rows != info["rows"]:
        log(f"WARNING: the frame holds {engine_rows:,} rows, the ledger {info['rows']:,}")
    per_query_warm, per_query = timed(sql_per_query, ledger, since_us, until_us)
    single_warm, single = timed(sql_single_scan, ledger, since_us, until_us)
    problems = cross_check(warm["report"], per_query, "SQLite per-query")
    problems += cross_check(warm["report"], single, "SQLite single-scan")
    problems += compare_sql(per_query, single)
    log(f"warm-up: routeledger load {warm['load']:.2f} s, metrics {warm['metrics']:.2f} s; "
        f"SQLite per-query {per_query_warm:.2f} s, single-scan {single_warm:.2f} s")

    runs = {"load": [], "metrics": [], "aggregate": [], "compute": [], "wall": [], "per_query": [], "single": []}
    for repeat in range(REPEATS):
        engine = run_routeledger(binary, ledger, since, until, out)
        for key in ("load", "metrics", "aggregate", "compute", "wall"):
            if engine[key] is not None:
                runs[key].append(engine[key])
        seconds, per_query = timed(sql_per_query, ledger, since_us, until_us)
        runs["per_query"].append(seconds)
        seconds, single = timed(sql_single_scan, ledger, since_us, until_us)
        runs["single"].append(seconds)
        # Every run is checked again (quietly): the report of each run against that run's SQL answers.
        problems += cross_check(engine["report"], per_query, f"run {repeat + 1}, SQLite per-query", quiet=True)
        problems += cross_check(engine["report"], single, f"run {repeat + 1}, SQLite single-scan", quiet=True)
        split = (f" (aggregate {engine['aggregate']:.3f} s, compute {engine['compute']:.3f} s)"
                 if engine["aggregate"] is not None else "")
        log(f"run {repeat + 1}: load {engine['load']:.2f} s, metrics {engine['metrics']:.3f} s{split}, "
            f"report wall {engine['wall']:.2f} s; SQLite per-query {runs['per_query'][-1]:.2f} s, "
            f"single-scan {runs['single'][-1]:.2f} s")

    if os.stat(BIN).st_mtime != binary_mtime:
        log("note: .build/release/routeledger was rebuilt during the run; every run used the snapshot taken at start")
    med = {key: statistics.median(values) for key, values in runs.items() if values}
    sqlite_best_name = "per-query" if med["per_query"] <= med["single"] else "single-scan"
    sqlite_best = min(med["per_query"], med["single"])
    ratio = sqlite_best / med["metrics"]
    ratio_total = sqlite_best / (med["load"] + med["metrics"])

    print(f"\nledger: {info['rows']:,} invocations, {DAYS} days from {since} (until {until}), "
          f"{size_mb:,.0f} MB SQLite file; generated in {info['generation_seconds']} s"
          f"{' (cached)' if info['cached'] else ''}")
    print(f"SQLite {sqlite3.sqlite_version} through Python's sqlite3 module (read-only; "
          f"{'; '.join(p.replace('PRAGMA ', '') for p in PRAGMAS)})")
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip()
    except OSError:
        head = "?"
    built = datetime.datetime.fromtimestamp(binary_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"routeledger: snapshot of .build/release/routeledger built {built} (git HEAD at the end of the run: {head or '?'})")
    print(f"median of {REPEATS} runs after one warm-up, interleaved\n")
    print("| measure | median | runs |")
    print("|---|---:|---|")

    def row(name, key, fmt="{:.3f} s"):
        print(f"| {name} | {fmt.format(med[key])} | {', '.join(f'{v:.2f}' for v in runs[key])} |")
    print(f"| frame rows | {engine_rows:,} | |")
    print(f"| bytes per row (frame columns) | {warm['bytes_per_row']} | |")
    row("routeledger frame load", "load")
    row("routeledger metrics (total after load)", "metrics")
    if "aggregate" in med:
        row("  of which aggregate (one pass over the rows)", "aggregate")
        row("  of which compute (price, roll up)", "compute")
    row("routeledger report, whole process", "wall")
    row("SQLite per-query (8 GROUP BY statements)", "per_query")
    row("SQLite single-scan (cube GROUP BY + roll-ups + latency)", "single")
    print(f"\nSQLite baseline = {sqlite_best_name} ({sqlite_best:.2f} s)")
    print(f"ratio SQLite / metrics          = {ratio:,.1f}×   (target ≥ 10×: {verdict(ratio >= 10)})")
    print(f"metrics over {engine_rows:,} rows = {med['metrics']:.3f} s (target < 1 s: {verdict(med['metrics'] < 1)})")
    if "aggregate" in med:
        single_pass = med["aggregate"] + med["compute"]
        print(f"aggregate + compute alone = {single_pass:.3f} s "
              f"(< 1 s: {verdict(single_pass < 1)}; ratio {sqlite_best / single_pass:,.1f}×)")
    print(f"ratio SQLite / (load + metrics) = {ratio_total:,.1f}×   (for reference: load included)")
    print("\n| rows | bytes/row | load s | metrics s | sqlite s | sqlite/metrics | < 1 s | ≥ 10× |")
    print("|---:|---:|---:|---:|---:|---:|---|---|")
    print(f"| {engine_rows:,} | {warm['bytes_per_row']} | {med['load']:.2f} | {med['metrics']:.3f} | {sqlite_best:.2f} | "
          f"{ratio:,.1f}× | {verdict(med['metrics'] < 1)} | {verdict(ratio >= 10)} |")
    if problems:
        print(f"\nCROSS-CHECK FAILED: {len(problems)} disagreement(s) between SQLite and routeledger (see stderr)")
        sys.exit(1)
    print("\ncross-check: SQLite and routeledger agree (totals, failures by code, tokens, per-model requests/cost/"
          "latency percentiles, routers, Haiku ratios, days, tenants, Region flows)")


if __name__ == "__main__":
    main()
