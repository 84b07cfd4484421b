"""Ingest throughput, measured in one run against two baselines over the same files.

1. single-core `gzip -dc` of every log object (the floor for anything that must inflate the data);
2. DuckDB `read_json(..., format='newline_delimited', columns={...})` + GROUP BY model, 2 threads;
3. `routeledger ingest --jobs 2` into a fresh ledger (decompress, parse, normalize, write SQLite).

Each is run REPEATS times; medians are reported. Ratio = ingest time / DuckDB time (target <= 1.0).
"""
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import duckdb

ROOT = os.path.abspath(os.path.dirname(__file__) + "/..")
BIN = os.path.join(ROOT, ".build/release/routeledger")
DATA = os.path.join(ROOT, "bench-data")
CORPUS = os.path.join(DATA, "corpus")
TARGET_BYTES = int(os.environ.get("BENCH_TARGET_MB", "560")) * 1_000_000
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
SEED = 20261122


def synth(out, records):
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([BIN, "synth", "--records", str(records), "--seed", str(SEED), "--days", "2",
                    "--out", out, "--litellm-share", "0", "--summary-file", out + ".summary.json"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out + ".summary.json") as handle:
        return json.load(handle)


def log_objects():
    # The hour-level objects only: data/ offload bodies and the permission marker are not logs.
    pattern = os.path.join(CORPUS, "AWSLogs/*/BedrockModelInvocationLogs/*/*/*/*/*/*.json.gz")
    return sorted(glob.glob(pattern)), pattern


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def gzip_baseline(files):
    def run():
        total = 0
        for path in files:
            out = subprocess.run(["gzip", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
            total += len(out)
        return total
    return timed(run)


def duckdb_baseline(pattern):
    def run():
        connection = duckdb.connect()
        connection.execute("SET threads = 2")
        rows = connection.execute(f"""
            SELECT modelId, count(*), sum(input.inputTokenCount), sum(output.outputTokenCount)
            FROM read_json('{pattern}', format = 'newline_delimited', compression = 'gzip',
                 columns = {{requestId: 'VARCHAR', timestamp: 'VARCHAR', accountId: 'VARCHAR', region: 'VARCHAR',
                             inferenceRegion: 'VARCHAR', operation: 'VARCHAR', modelId: 'VARCHAR', errorCode: 'VARCHAR',
                             input: 'STRUCT(inputTokenCount BIGINT)', output: 'STRUCT(outputTokenCount BIGINT)'}})
            GROUP BY modelId ORDER BY modelId""").fetchall()
        connection.close()
        return sum(row[1] for row in rows)
    return timed(run)


def routeledger_ingest():
    ledger = os.path.join(DATA, "bench.sqlite")
    for suffix in ("", "-wal", "-shm", ".lock"):
        if os.path.exists(ledger + suffix):
            os.remove(ledger + suffix)

    def run():
        out = subprocess.run([BIN, "ingest", CORPUS, "--db", ledger, "--jobs", "2", "--summary", "json"],
                             check=True, stdout=subprocess.PIPE)
        return json.loads(out.stdout)
    return timed(run)


def main():
    pilot = synth(os.path.join(DATA, "pilot"), 2000)
    per_record = pilot["bytesUncompressed"] / max(1, pilot["totalRecords"])
    records = int(TARGET_BYTES / per_record) + 1
    print(f"generating {records} records (~{per_record:.0f} bytes each) …", file=sys.stderr)
    summary = synth(CORPUS, records)
    files, pattern = log_objects()
    compressed = sum(os.path.getsize(path) for path in files)

    gzip_runs, duck_runs, ingest_runs = [], [], []
    uncompressed = duck_records = None
    ingest_summary = None
    for repeat in range(REPEATS):
        seconds, uncompressed = gzip_baseline(files)
        gzip_runs.append(seconds)
        seconds, duck_records = duckdb_baseline(pattern)
        duck_runs.append(seconds)
        seconds, ingest_summary = routeledger_ingest()
        ingest_runs.append(seconds)
        print(f"run {repeat + 1}: gzip {gzip_runs[-1]:.2f} s, duckdb {duck_runs[-1]:.2f} s, ingest {ingest_runs[-1]:.2f} s",
              file=sys.stderr)

    records_total = summary["bedrockRecords"] if "bedrockRecords" in summary else summary["totalRecords"]
    mb = uncompressed / 1e6
    rows = [("gzip -dc (1 core)", statistics.median(gzip_runs)),
            ("DuckDB read_json + GROUP BY (2 threads)", statistics.median(duck_runs)),
            ("routeledger ingest --jobs 2", statistics.median(ingest_runs))]
    print(f"\ncorpus: {len(files)} objects, {compressed / 1e6:.1f} MB gzip, {mb:.1f} MB NDJSON, {records_total} records "
          f"(DuckDB counted {duck_records})")
    print(f"median of {REPEATS} runs\n")
    print("| tool | seconds | MB/s (uncompressed) | records/s |")
    print("|---|---:|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {mb / seconds:.0f} | {records_total / seconds:,.0f} |")
    ratio = statistics.median(ingest_runs) / statistics.median(duck_runs)
    print(f"\ningest time / DuckDB time = {ratio:.2f} (target <= 1.0)")
    if ingest_summary:
        print(f"ingest stored {ingest_summary['stored']} of {ingest_summary['recordsRead']} records read, "
              f"{ingest_summary['rejected']} rejected, {ingest_summary['duplicates']} duplicates")


if __name__ == "__main__":
    main()
