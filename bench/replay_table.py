#!/usr/bin/env python3
"""make replay-table: `routeledger replay` on every pairs file of ../shared/routing-data (5-fold out of fold,
seed 0, no router: the per-dollar axis is per input token) and one Markdown table for the README."""
import json, os, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "routing-data")
BIN = os.environ.get("ROUTELEDGER_BIN", os.path.join(ROOT, ".build", "release", "routeledger"))
FILES = [
    ("RouteLLM MMLU", "routellm-evals/pairs.csv"),
    ("RouteLLM GSM8K", "routellm-evals/pairs-gsm8k.csv"),
    ("RouteLLM MT-Bench", "routellm-evals/pairs-mtbench.csv"),
    ("RouterBench (GPT-4 vs 3.5)", "routerbench-subsets/pairs.csv"),
    ("RouterBench (Claude v2 vs Instant)", "routerbench-subsets/pairs-claude-v2-vs-instant-v1.csv"),
    ("AlpacaEval (Claude 2.1 vs Instant 1.2)", "alpacaeval-claude/pairs.csv"),
]

def f(value):
    return "undefined" if value is None else f"{value:.3f}"

rows = []
for name, path in FILES:
    full = os.path.join(DATA, path)
    if not os.path.exists(full):
        sys.exit(f"missing {full}")
    start = time.time()
    out = subprocess.run([BIN, "replay", "--labels", full, "--format", "json", "--bootstrap", "200"],
                         check=True, capture_output=True, text=True).stdout
    seconds = time.time() - start
    d = json.loads(out)
    q, c, t = d["quality"], d["metrics"]["per_call"], d["metrics"]["per_dollar"]
    rows.append(f"| {name} (`{path}`) | {d['labels']['prompts']:,} | {q['all_weak']:.3f} / {q['all_strong']:.3f} | "
                f"**{f(c['apgr'])}** | {f(c['apgr_deciles'])} | {f(c['cpt50'])} / {f(c['cpt80'])} | {f(c['aiq'])} | "
                f"{f(c['arqgc'])} | {f(t['apgr'])} | {f(t['arqgc'])} | {f(c['oracle_apgr'])} | {seconds:.1f} s |")
print("| labels | prompts | all-weak / all-strong | APGR | APGR deciles | CPT(50%) / CPT(80%) | AIQ | ARQGC | APGR per token | ARQGC per token | oracle APGR | time |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
print("\n".join(rows))
