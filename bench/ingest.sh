#!/bin/sh
# make bench-ingest: gzip -dc vs DuckDB vs routeledger ingest over the same >= 500 MB Bedrock corpus.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench-data
if [ ! -x bench-data/venv/bin/python ]; then
  python3 -m venv bench-data/venv
  bench-data/venv/bin/pip install --quiet duckdb
fi
exec bench-data/venv/bin/python bench/ingest_bench.py "$@"
