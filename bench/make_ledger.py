"""Synthetic RouteLedger ledger for `make bench-report`: N invocations over D days, written with plain SQL.

The schema comes from the binary itself (`routeledger ingest <empty dir> --db …` applies the migrations);
`strings`, `sources` and `invocations` are then filled by ONE `INSERT … SELECT` over a recursive CTE in one
transaction. The CTE carries MINSTD random streams (deterministic: same parameters, same ledger):

- streams a, b, c draw the request's dimensions (route, model, tenant, account/Region, cross-Region use);
  they are held for the second row of a retry pair, so a retry repeats its first attempt's dimensions;
- streams d … k draw the per-row values (status, error code, tokens, latency, operation, correlation…).

Shapes: 3 accounts, 3 source Regions (us-east-1, us-west-2, eu-west-1) with us./eu. cross-Region profiles
and inference Regions, 8 models (7 priced catalog ids + mistral.mistral-large-2407-v1:0, which the catalog
does not price), 3 Bedrock prompt routers (served Haiku or Sonnet), 3 LiteLLM model groups (~12 % of rows),
20 tenants (Zipf) + 3 % without one, ~3 % failures (ThrottlingException mostly), ~30 % of rows with a
correlation id (~3.5 % in retry pairs: a throttled attempt then a retry with the same id), token counts with
NULL cache columns where caching was not used, 0.1 % successes without tokens (tokens-missing flag), 0.5 % of
router successes without a served model (served-model-unresolved flag).

Rows are inserted in timestamp order (`ts_us` strictly increasing with the row id). The ledger is cached as
bench-data/report-ledger-<key>.sqlite, keyed by the parameters, this generator's version and the schema the
binary creates; an existing one is reused.
"""
import argparse
import datetime
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

GENERATOR_VERSION = 1
P = 2147483647          # MINSTD modulus (2^31 - 1)

ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
REGIONS = {"us-east-1": 0, "us-west-2": 0, "eu-west-1": 1}     # source Region -> geo
GEO_REGIONS = [["us-east-1", "us-east-2", "us-west-2"], ["eu-west-1", "eu-west-3", "eu-central-1"]]
GEO_PREFIX = ["us.", "eu."]

# (model id, base latency ms, cache class: 0 none, 1 read only, 2 read+write, cross-Region profile available)
MODELS = [
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", 1800, 2, True),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", 700, 2, True),
    ("amazon.nova-pro-v1:0", 1100, 1, True),
    ("amazon.nova-lite-v1:0", 450, 1, True),
    ("amazon.nova-micro-v1:0", 300, 1, True),
    ("meta.llama3-1-70b-instruct-v1:0", 1400, 0, True),
    ("meta.llama3-3-70b-instruct-v1:0", 1300, 0, True),
    ("mistral.mistral-large-2407-v1:0", 1600, 0, False),      # not in the catalog: unpriced
]
SONNET, HAIKU, LLAMA33 = 0, 1, 6
# Direct (non-router) Bedrock traffic, weights in percent.
DIRECT_WEIGHTS = [22, 24, 9, 12, 6, 8, 12, 7]

ROUTERS = [  # ARN, account index, Region, haiku share in permille of the router's traffic
    ("arn:aws:bedrock:us-east-1:111122223333:prompt-router/q2x7k9m1p4ab", 0, "us-east-1", 700),
    ("arn:aws:bedrock:us-west-2:444455556666:prompt-router/h8d3n6r2t5cd", 1, "us-west-2", 550),
    ("arn:aws:bedrock:eu-west-1:777788889999:prompt-router/w1z5v8b3y6ef", 2, "eu-west-1", 850),
]
GROUPS = [  # LiteLLM model group, model index, original group of its fallback rows
    ("claude-fast", HAIKU, "claude-smart"),
    ("claude-smart", SONNET, "claude-legacy"),
    ("llama-large", LLAMA33, "claude-fast"),
]
# Route classes in permille: direct 600, routers 130/90/60, LiteLLM groups 55/40/25.
ROUTE_WEIGHTS = {"direct": 600, "router": [130, 90, 60], "group": [55, 40, 25]}

# (account index, Region) of direct Bedrock calls, percent.
PLACES = [(0, "us-east-1", 30), (0, "us-west-2", 10), (1, "us-east-1", 15), (1, "us-west-2", 15),
          (2, "eu-west-1", 18), (2, "us-east-1", 7), (1, "eu-west-1", 5)]

TENANTS = ["acme-search", "globex-support", "initech-copilot", "umbrella-analytics", "hooli-mail", "stark-docs",
           "wayne-legal", "wonka-recipes", "cyberdyne-ops", "tyrell-hr", "soylent-chat", "oscorp-research",
           "aperture-qa", "massive-dynamic", "vandelay-import", "prestige-crm", "gringotts-risk", "duff-marketing",
           "pied-piper-eng", "dunder-sales"]
NO_TENANT_PERMILLE = 30

# Failure codes other than the retry pairs' throttles, permille: (Bedrock code, LiteLLM code, weight).
ERRORS = [("ThrottlingException", "RateLimitError", 550), ("ValidationException", "BadRequestError", 150),
          ("ServiceUnavailableException", "ServiceUnavailableError", 100), ("ModelTimeoutException", "Timeout", 80),
          ("InternalServerException", "InternalServerError", 70), ("ModelErrorException", "APIError", 50)]
OPERATIONS = ["Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"]

ROOT = os.path.abspath(os.path.dirname(__file__) + "/..")


def permille_table(weights):
    """[(value, weight)] with weights summing to 1000 -> list of 1000 values."""
    table = []
    for value, weight in weights:
        table.extend([value] * weight)
    assert len(table) == 1000, len(table)
    return table


def scaled(weights, total):
    """Integer weights scaled to sum exactly to `total` (largest remainder)."""
    raw = [w * total / sum(weights) for w in weights]
    out = [int(x) for x in raw]
    for index in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[:total - sum(out)]:
        out[index] += 1
    return out


def prices_by_model():
    with open(os.path.join(ROOT, "Sources/RouteLedgerModel/Resources/prices.json")) as handle:
        catalog = json.load(handle)
    oldest = {}
    for entry in catalog["prices"]:
        if entry["region"] == "*" and (entry["model"] not in oldest
                                       or entry["effective_from"] < oldest[entry["model"]]["effective_from"]):
            oldest[entry["model"]] = entry
    return oldest


def schema_fingerprint(binary):
    """Creates an empty ledger with the binary's migrations; returns (path, fingerprint of its schema)."""
    folder = tempfile.mkdtemp(prefix="rl-schema-")
    empty = os.path.join(folder, "logs")
    os.mkdir(empty)
    path = os.path.join(folder, "ledger.sqlite")
    subprocess.run([binary, "ingest", empty, "--db", path], check=True, stdout=subprocess.DEVNULL)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    schema = "\n".join(row[0] or "" for row in connection.execute(
        "SELECT sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"))
    migrations = [row[0] for row in connection.execute("SELECT identifier FROM grdb_migrations ORDER BY 1")]
    connection.close()
    return folder, path, hashlib.sha256((schema + "\n".join(migrations)).encode()).hexdigest()[:12]


def day_micros(day):
    return int(datetime.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc).timestamp()) * 1_000_000


def generate(path, rows, days, start, seed):
    """Fills the (freshly migrated, empty) ledger at `path`."""
    start_us = day_micros(start)
    span = days * 86_400_000_000
    step = span // rows
    assert step >= 2, "too many rows for the time span"
    prices = prices_by_model()

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -1000000")
    connection.execute("PRAGMA temp_store = MEMORY")
    connection.execute("BEGIN")

    # Every dimension string, with known ids.
    strings = {}

    def sid(value):
        if value is None:
            return "NULL"
        if value not in strings:
            strings[value] = len(strings) + 1
        return str(strings[value])

    for model, *_ in MODELS:
        sid(model)
    connection.execute("INSERT INTO sources(id, path, member, records, stored, ingested_at, layout) "
                       "VALUES (1, 'bench://report-ledger', '', ?, ?, ?, 'synthetic')",
                       (rows, rows, datetime.datetime.now(datetime.timezone.utc).isoformat()))

    temp = []   # (table, [row tuples]) lookup tables keyed 0…999 (or small keys)

    def lookup(name, columns, values):
        connection.execute(f"CREATE TEMP TABLE {name} (k INTEGER PRIMARY KEY, {', '.join(columns)})")
        marks = ", ".join("?" * (len(columns) + 1))
        connection.executemany(f"INSERT INTO {name} VALUES ({marks})", [(k, *v) for k, v in enumerate(values)])
        temp.append(name)

    def num(value):
        return None if value == "NULL" else int(value)

    # Model attributes, keyed by model index.
    minfo = []
    for model, latency, cache_class, cross_ok in MODELS:
        price = prices.get(model)
        minfo.append((num(sid(model)), latency, cache_class, 1 if cross_ok else 0,
                      price["input"] if price else None, price["output"] if price else None,
                      (price or {}).get("cache_read"), (price or {}).get("cache_write")))
    lookup("t_minfo", ["sid", "lat_base", "cache_class", "cross_ok", "in_p", "out_p", "cr_p", "cw_p"], minfo)

    # Raw model ids: k = model index * 4 + (0 plain, 1 us. profile, 2 eu. profile, 3 LiteLLM 'bedrock/…').
    raw = []
    for model, *_ in MODELS:
        raw += [(num(sid(model)),), (num(sid("us." + model)),), (num(sid("eu." + model)),), (num(sid("bedrock/" + model)),)]
    lookup("t_raw", ["sid"], raw)

    # Route classes: kind 0 direct Bedrock, 1 prompt router, 2 LiteLLM group.
    routes = [((0, None, None, None, None, None, None, None), ROUTE_WEIGHTS["direct"])]
    for (arn, account, region, haiku), weight in zip(ROUTERS, ROUTE_WEIGHTS["router"]):
        principal = num(sid(f"arn:aws:iam::{ACCOUNTS[account]}:role/router-client"))
        haiku_weight = round(weight * haiku / 1000)
        for model, w in ((HAIKU, haiku_weight), (SONNET, weight - haiku_weight)):
            routes.append(((1, num(sid(arn)), model, num(sid(ACCOUNTS[account])), num(sid(region)), REGIONS[region],
                            principal, None), w))
    for index, ((group, model, original), weight) in enumerate(zip(GROUPS, ROUTE_WEIGHTS["group"])):
        routes.append(((2, None, model, None, None, None, None, index), weight))
    lookup("t_route", ["kind", "router_sid", "midx", "acct_sid", "region_sid", "geo", "principal_sid", "gidx"],
           permille_table(routes))
    lookup("t_model", ["midx"], permille_table([((i,), w) for i, w in enumerate(scaled(DIRECT_WEIGHTS, 1000))]))

    places = []
    for (account, region, _), weight in zip(PLACES, scaled([p[2] for p in PLACES], 1000)):
        places.append(((num(sid(ACCOUNTS[account])), num(sid(region)), REGIONS[region],
                        num(sid(f"arn:aws:iam::{ACCOUNTS[account]}:role/app-{region}"))), weight))
    lookup("t_place", ["acct_sid", "region_sid", "geo", "principal_sid"], permille_table(places))

    zipf = scaled([1 / (rank + 1) for rank in range(len(TENANTS))], 1000 - NO_TENANT_PERMILLE)
    lookup("t_tenant", ["sid"], permille_table([((None,), NO_TENANT_PERMILLE)]
                                               + [((num(sid(t)),), w) for t, w in zip(TENANTS, zipf)]))
    lookup("t_err", ["bedrock_sid", "litellm_sid"],
           permille_table([((num(sid(b)), num(sid(l))), w) for b, l, w in ERRORS]))
    lookup("t_infreg", ["sid"], [(num(sid(r)),) for geo in GEO_REGIONS for r in geo])
    lookup("t_group", ["sid", "orig_sid", "dep0_sid", "dep1_sid"],
           [(num(sid(g)), num(sid(o)), num(sid(f"{g}-use1")), num(sid(f"{g}-usw2"))) for g, _, o in GROUPS])
    for op in OPERATIONS:
        sid(op)
    throttle_bedrock, throttle_litellm, bedrock_provider = sid("ThrottlingException"), sid("RateLimitError"), sid("bedrock")
    connection.executemany("INSERT INTO strings(id, value) VALUES (?, ?)", [(i, v) for v, i in strings.items()])

    # --- the rows -------------------------------------------------------------------------------------------
    failed = "(g.pf = 1 OR g.d % 1000 < 13)"
    kind = "rt.kind"
    cross = f"({kind} = 0 AND mi.cross_ok = 1 AND g.c % 100 < 55 OR {kind} = 1 AND g.c % 100 < 50)"
    geo = f"(CASE WHEN {kind} = 1 THEN rt.geo ELSE pl.geo END)"
    region = f"(CASE {kind} WHEN 0 THEN pl.region_sid WHEN 1 THEN rt.region_sid END)"
    missing = f"(NOT {failed} AND g.j % 1000 = 999)"
    unresolved = f"({kind} = 1 AND NOT {failed} AND (g.j / 1000) % 1000 < 5)"
    op = "(g.j / 1000000)"          # 0 … 2147
    operation = (f"(CASE WHEN {kind} = 2 THEN NULL WHEN {op} < 1073 THEN {sid('Converse')} "
                 f"WHEN {op} < 1717 THEN {sid('ConverseStream')} WHEN {op} < 1932 THEN {sid('InvokeModel')} "
                 f"ELSE {sid('InvokeModelWithResponseStream')} END)")
    streaming = f"({kind} <> 2 AND ({op} >= 1073 AND {op} < 1717 OR {op} >= 1932))"
    no_tokens = f"({failed} OR {missing})"
    use_cache = "(mi.cache_class > 0 AND g.h % 100 < 35)"
    input_tokens = (f"(CASE WHEN {no_tokens} THEN NULL ELSE 40 + ((g.e % 2000) * ((g.e / 2000) % 2000)) / 1000 "
                    f"+ CASE WHEN g.e / 4000000 < 5 THEN 20000 ELSE 0 END END)")
    output_tokens = f"(CASE WHEN {no_tokens} THEN NULL ELSE 10 + ((g.f % 1500) * ((g.f / 1500) % 1000)) / 1000 END)"
    cache_read = f"(CASE WHEN {no_tokens} OR NOT {use_cache} THEN NULL ELSE (g.h / 100) % 6000 END)"
    cache_write = (f"(CASE WHEN {no_tokens} OR NOT {use_cache} OR mi.cache_class < 2 THEN NULL "
                   f"WHEN (g.h / 600000) % 10 < 2 THEN (g.h / 6000000) * 4 + 1 ELSE 0 END)")
    latency = (f"(CASE WHEN {failed} AND g.d % 2 = 0 THEN NULL ELSE mi.lat_base * (500 + g.i % 1000) / 1000 "
               f"+ CASE WHEN (g.i / 1000) % 100 = 0 THEN (g.i / 100000) % 20000 ELSE 0 END END)")
    ttft = f"(CASE WHEN {streaming} AND NOT {failed} THEN {latency} * (10 + (g.i / 1000) % 30) / 100 END)"
    error_code = (f"(CASE WHEN NOT {failed} THEN NULL WHEN g.pf = 1 THEN "
                  f"(CASE WHEN {kind} = 2 THEN {throttle_litellm} ELSE {throttle_bedrock} END) "
                  f"WHEN {kind} = 2 THEN te.litellm_sid ELSE te.bedrock_sid END)")
    fallback = f"(CASE WHEN {kind} <> 2 THEN NULL WHEN (g.k / 2000) % 100 < 6 THEN 1 WHEN (g.k / 2000) % 100 = 99 THEN NULL ELSE 0 END)"
    logged_cost = (f"(CASE WHEN {kind} <> 2 OR {missing} THEN NULL WHEN {failed} THEN 0.0 ELSE "
                   f"({input_tokens} * mi.in_p + {output_tokens} * mi.out_p + coalesce({cache_read} * mi.cr_p, 0) "
                   f"+ coalesce({cache_write} * mi.cw_p, 0)) / 1000000.0 END)")
    flags = (f"((CASE WHEN {missing} THEN 1 ELSE 0 END) | (CASE WHEN {unresolved} THEN 2 ELSE 0 END) "
             f"| (CASE WHEN {cross} THEN 8 ELSE 0 END) | (CASE WHEN {streaming} THEN 16 ELSE 0 END))")
    columns = {
        "id": "g.n",
        "source_kind": f"(CASE WHEN {kind} = 2 THEN 'litellm' ELSE 'bedrock' END)",
        "request_id": "printf('%08x-%04x-4%03x-%04x-%012x', g.d, g.e % 65536, g.f % 4096, 32768 + g.h % 16384, g.n)",
        "ts_us": f"{start_us} + (g.n - 1) * {step} + (g.h / 7) % {step}",
        "account_id": f"(CASE {kind} WHEN 0 THEN pl.acct_sid WHEN 1 THEN rt.acct_sid END)",
        "principal_id": f"(CASE {kind} WHEN 0 THEN pl.principal_sid WHEN 1 THEN rt.principal_sid END)",
        "region_id": region,
        "inference_region_id": f"(CASE WHEN {failed} OR {kind} = 2 THEN NULL WHEN {cross} THEN ir.sid ELSE {region} END)",
        "operation_id": operation,
        "raw_model_id": f"(CASE WHEN {kind} = 1 THEN rt.router_sid ELSE rw.sid END)",
        "model_id": f"(CASE WHEN {kind} = 1 THEN NULL ELSE mi.sid END)",
        "router_id": "rt.router_sid",
        "served_model_id": f"(CASE WHEN {kind} = 1 AND ({failed} OR {unresolved}) THEN NULL ELSE mi.sid END)",
        "model_group_id": f"(CASE WHEN {kind} = 2 THEN gr.sid END)",
        "deployment_id": f"(CASE WHEN {kind} = 2 THEN (CASE WHEN (g.k / 1000) % 2 = 0 THEN gr.dep0_sid ELSE gr.dep1_sid END) END)",
        "provider_id": f"(CASE WHEN {kind} = 2 THEN {bedrock_provider} END)",
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "latency_ms": latency,
        "ttft_ms": ttft,
        "status": f"(CASE WHEN {failed} THEN 'failure' ELSE 'success' END)",
        "error_code_id": error_code,
        "tenant_id": "tt.sid",
        "correlation_id": ("(CASE WHEN g.pf = 1 OR g.ps = 1 THEN printf('1-%08x-%024x', g.c, g.n - g.ps) "
                           "WHEN g.k % 1000 < 273 THEN printf('1-%08x-%024x', g.k, g.n) END)"),
        "fallback_attempt": fallback,
        "original_model_group_id": f"(CASE WHEN {fallback} = 1 THEN gr.orig_sid END)",
        "logged_cost_usd": logged_cost,
        "flags": flags,
        "content_hash": "g.d * 1000003 + g.e",
        "source_id": "1",
        "line": "g.n",
    }
    # Streams: MINSTD with distinct multipliers; a, b, c (dimensions) are held on a retry's second row.
    multipliers = {"a": 48271, "b": 69621, "c": 16807, "d": 39373, "e": 40692, "f": 40014,
                   "h": 41222, "i": 45742, "j": 52954, "k": 63018}
    seeds = {name: (seed * 7919 + index * 104729 + 12345) % (P - 1) + 1 for index, name in enumerate(multipliers)}
    held = ("a", "b", "c")
    step_columns = ", ".join(
        (f"CASE WHEN pf = 1 THEN {name} ELSE {name} * {m} % {P} END" if name in held else f"{name} * {m} % {P}")
        for name, m in multipliers.items())
    names = ", ".join(multipliers)
    sql = f"""
        WITH RECURSIVE g(n, {names}, pf, ps) AS (
            SELECT 1, {", ".join(str(seeds[name]) for name in multipliers)}, 0, 0
            UNION ALL
            -- pf: this row is the throttled first attempt of a retry pair; ps: it is the retry.
            SELECT n + 1, {step_columns},
                   CASE WHEN pf = 1 THEN 0 WHEN d / 1000000 < 39 THEN 1 ELSE 0 END, pf
            FROM g WHERE n < {rows}
        )
        INSERT INTO invocations ({", ".join(columns)})
        SELECT {", ".join(columns.values())}
        FROM g
        CROSS JOIN t_route rt ON rt.k = g.a % 1000
        CROSS JOIN t_model tm ON tm.k = (g.a / 1000) % 1000
        CROSS JOIN t_minfo mi ON mi.k = (CASE WHEN rt.kind = 0 THEN tm.midx ELSE rt.midx END)
        CROSS JOIN t_place pl ON pl.k = (g.b / 1000) % 1000
        CROSS JOIN t_tenant tt ON tt.k = g.b % 1000
        CROSS JOIN t_err te ON te.k = (g.d / 1000) % 1000
        CROSS JOIN t_infreg ir ON ir.k = {geo} * 3 + (g.f / 1500000) % 3
        CROSS JOIN t_raw rw ON rw.k = mi.k * 4 + (CASE WHEN rt.kind = 2 THEN 3 WHEN {cross} THEN 1 + {geo} ELSE 0 END)
        LEFT JOIN t_group gr ON gr.k = rt.gidx
    """
    connection.execute(sql)
    connection.execute("UPDATE ledger_state SET value = (SELECT max(id) FROM invocations) WHERE key = 'request_keys_through'")
    connection.execute("COMMIT")
    for name in temp:
        connection.execute(f"DROP TABLE {name}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()
    return {"since": start, "until": (datetime.datetime.strptime(start, "%Y-%m-%d")
                                      + datetime.timedelta(days=days)).strftime("%Y-%m-%d")}


def ensure_ledger(binary, rows, days, start, seed, data_dir, log=sys.stderr):
    """Returns (path, info) of the cached ledger, generating it when absent."""
    folder, empty, schema = schema_fingerprint(binary)
    key = f"n{rows}-d{days}-{start}-s{seed}-g{GENERATOR_VERSION}-{schema}"
    path = os.path.join(data_dir, f"report-ledger-{key}.sqlite")
    meta_path = path + ".json"
    try:
        if os.path.exists(path) and os.path.exists(meta_path):
            with open(meta_path) as handle:
                info = json.load(handle)
            info["cached"] = True
            info["bytes"] = os.path.getsize(path)
            return path, info
        os.makedirs(data_dir, exist_ok=True)
        for stale in os.listdir(data_dir):       # older generations of this ledger (other parameters)
            if stale.startswith("report-ledger-") and f"n{rows}-" in stale and not stale.startswith(os.path.basename(path)):
                print(f"note: keeping other cached ledger {stale}", file=log)
        print(f"generating {rows:,} invocations over {days} days from {start} into {path} …", file=log)
        work = path + ".tmp"
        for suffix in ("", "-wal", "-shm", ".lock"):
            if os.path.exists(work + suffix):
                os.remove(work + suffix)
        os.replace(empty, work)
        started = time.perf_counter()
        window = generate(work, rows, days, start, seed)
        seconds = time.perf_counter() - started
        os.replace(work, path)
        info = {"rows": rows, "days": days, "start": start, "seed": seed, "generator": GENERATOR_VERSION,
                "schema": schema, "generation_seconds": round(seconds, 1), **window}
        with open(meta_path, "w") as handle:
            json.dump(info, handle, indent=2)
        info["cached"] = False
        info["bytes"] = os.path.getsize(path)
        return path, info
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name)) if os.path.isfile(os.path.join(folder, name)) else os.rmdir(os.path.join(folder, name))
        os.rmdir(folder)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--start", default="2025-11-16")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/release/routeledger"))
    parser.add_argument("--data", default=os.path.join(ROOT, "bench-data"))
    args = parser.parse_args()
    path, info = ensure_ledger(args.bin, args.rows, args.days, args.start, args.seed, args.data)
    print(json.dumps({"path": path, **info}, indent=2))


if __name__ == "__main__":
    main()
