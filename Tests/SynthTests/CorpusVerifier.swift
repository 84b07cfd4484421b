import Foundation
import RouteLedgerTestSupport

/// An independent reading of a generated corpus, in Python: it walks the files, decompresses with `zlib`
/// (every gzip member, salvaging the cut file), classifies each line itself and recounts everything the summary
/// claims. It shares no code with the generator.
enum CorpusVerifier {
    static let script = #"""
import csv, gzip, io, json, os, re, sys, zlib
from collections import Counter

root = sys.argv[1]
truncated_file = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None

RE_LOG = re.compile(r"^AWSLogs/(\d{12})/BedrockModelInvocationLogs/(us-east-1|eu-west-1|ap-northeast-1)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/(\d{8})T(\d{6})Z_[0-9a-f]{16}\.json\.gz$")
RE_DATA = re.compile(r"^AWSLogs/\d{12}/BedrockModelInvocationLogs/[a-z0-9-]+/\d{4}/\d{2}/\d{2}/\d{2}/data/[0-9a-f-]{36}_input\.json\.gz$")
RE_MARKER = re.compile(r"^AWSLogs/\d{12}/BedrockModelInvocationLogs/amazon-bedrock-logs-permission-check$")
RE_LITE = re.compile(r"^litellm/(\d{4}-\d{2}-\d{2})/time-(\d{2})-(\d{2})-(\d{2})-(\d{6})_(.+)\.json$")
RE_SPEND = re.compile(r"^litellm-spend/spend_logs\.(jsonl|csv)$")
RE_TS = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{3})?Z$")
RE_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
GEOS = ("us.", "eu.", "apac.")

problems = []
def problem(msg):
    if len(problems) < 50:
        problems.append(msg)

def canonical(model_id):
    last = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    for g in GEOS:
        if last.startswith(g):
            return last[len(g):]
    return last

def inflate(data):
    # All members; returns (bytes, members, complete).
    out = bytearray(); members = 0; rest = data
    while rest:
        d = zlib.decompressobj(47)
        try:
            out += d.decompress(rest)
        except zlib.error:
            return bytes(out), members, False
        if not d.eof:
            return bytes(out), members, False
        members += 1
        rest = d.unused_data
    return bytes(out), members, True

files = []
for dirpath, _, names in os.walk(root):
    for n in names:
        rel = os.path.relpath(os.path.join(dirpath, n), root)
        if rel in ("synth-summary.json", "bundle.tar.gz", "bundle.zip"):
            continue
        files.append(rel)
files.sort()

r = {"files": files, "bytesWritten": 0, "bytesUncompressedExcludingTruncated": 0}
bed = Counter(); bed_maps = {k: Counter() for k in ["failuresByErrorCode", "routerServedModels", "servedModels", "tenants", "operations", "inferenceRegions", "routerRequestsByRouter"]}
corrupt = Counter(); seen = {}; duplicates = 0; multi = 0; delayed = 0; offloaded = 0
features = Counter(); truncated_complete = None; bedrock_lines = 0
router_haiku = 0
offload_paths = set()
lite = Counter(); lite_maps = {k: Counter() for k in ["failuresByErrorCode", "modelGroups", "teams", "tenants", "servedModels"]}
lite_cost = 0.0; lite_ids = set(); lite_by_trace = {}

for rel in files:
    full = os.path.join(root, rel)
    data = open(full, "rb").read()
    r["bytesWritten"] += len(data)
    if RE_MARKER.match(rel):
        features["marker"] += 1
        continue
    if RE_DATA.match(rel):
        body, members, ok = inflate(data)
        r["bytesUncompressedExcludingTruncated"] += len(body)
        json.loads(body)
        features["dataFiles"] += 1
        offload_paths.add(rel)
        continue
    m = RE_LOG.match(rel)
    if m:
        body, members, ok = inflate(data)
        if rel == truncated_file:
            if ok: problem("truncated file decompressed completely")
            lines = body.split(b"\n")[:-1]
            truncated_complete = len(lines)
            bedrock_lines += len(lines)
        else:
            if not ok: problem(f"bad gzip {rel}")
            r["bytesUncompressedExcludingTruncated"] += len(body)
            if not body.endswith(b"\n"): problem(f"no final newline {rel}")
            lines = body.split(b"\n")[:-1]
            bedrock_lines += len(lines)
        if members == 2: multi += 1
        elif members != 1 and rel != truncated_file: problem(f"{members} members in {rel}")
        folder_hour = "%s-%s-%sT%s" % (m.group(3), m.group(4), m.group(5), m.group(6))
        if m.group(7) != m.group(3) + m.group(4) + m.group(5) or m.group(8)[:2] != m.group(6):
            problem(f"name time outside folder hour {rel}")
        pending_traces = set()
        for raw in lines:
            try:
                text = raw.decode("utf-8")
                obj = json.loads(text)
            except (ValueError, UnicodeDecodeError):
                if raw.startswith(b'{"timestamp"') or raw.startswith(b'{"schemaType"'):
                    corrupt["truncatedJSON"] += 1
                else:
                    corrupt["notJSON"] += 1
                continue
            if not isinstance(obj, dict) or obj.get("schemaType") != "ModelInvocationLog":
                corrupt["notLogRecord"] += 1; continue
            if "requestId" not in obj:
                corrupt["missingRequestId"] += 1; continue
            inp = obj.get("input", {}); out = obj.get("output", {})
            if "inputTokenCount" in inp and not isinstance(inp["inputTokenCount"], int):
                corrupt["nonIntegerTokenCount"] += 1; continue
            rid = obj["requestId"]
            if rid in seen:
                if seen[rid] != raw: problem(f"requestId reused with different content {rid}")
                duplicates += 1; continue
            seen[rid] = raw
            # shape
            if not RE_UUID4.match(rid): problem(f"requestId not uuid4 {rid}")
            tm = RE_TS.match(obj["timestamp"])
            if not tm: problem(f"bad timestamp {obj['timestamp']}"); continue
            if tm.group(7): features["fractionalTimestamp"] += 1
            if "%s-%s-%sT%s" % tm.group(1, 2, 3, 4) != folder_hour: delayed += 1
            if obj["accountId"] != m.group(1) or obj["region"] != m.group(2): problem(f"account/region mismatch in {rel}")
            if not re.match(r"^arn:aws:sts::\d{12}:assumed-role/[^/]+/[^/]+$", obj["identity"]["arn"]): problem("identity arn")
            if obj["schemaVersion"] != "1.0": problem("schemaVersion")
            if text.startswith('{"schemaType"'): features["schemaFirst"] += 1
            if "\\u0027" in text: features["apostropheEscaped"] += 1
            if "東京" in text or "café" in text: features["rawNonASCII"] += 1
            op = obj["operation"]; model_id = obj["modelId"]
            bed["records"] += 1
            bed_maps["operations"][op] += 1
            if op in ("ConverseStream", "InvokeModelWithResponseStream"): bed["streaming"] += 1
            md = obj.get("requestMetadata")
            if md is not None:
                bed["withRequestMetadata"] += 1
                bed_maps["tenants"][md["tenant_id"]] += 1
            if "inferenceRegion" in obj:
                bed["crossRegion"] += 1
                bed_maps["inferenceRegions"][obj["inferenceRegion"]] += 1
            is_router = "prompt-router/" in model_id
            if is_router:
                bed["routerRequests"] += 1
                bed_maps["routerRequestsByRouter"][model_id] += 1
                if "default-prompt-router/" in model_id: features["defaultRouter"] += 1
            trace = (md or {}).get("trace_id")
            if "errorCode" in obj:
                if trace: pending_traces.add(trace)
                bed["failures"] += 1
                bed_maps["failuresByErrorCode"][obj["errorCode"]] += 1
                if any(k.endswith("TokenCount") or k.endswith("BodyJson") for k in list(inp) + list(out)): problem("failure with tokens")
                if not is_router: bed_maps["servedModels"][canonical(model_id)] += 1
                continue
            bed["successes"] += 1
            if trace in pending_traces:
                bed["failuresRetriedLater"] += 1
                pending_traces.discard(trace)
            bed["inputTokens"] += inp["inputTokenCount"]
            bed["outputTokens"] += out["outputTokenCount"]
            bed["cacheReadTokens"] += inp.get("cacheReadInputTokenCount", 0)
            bed["cacheWriteTokens"] += inp.get("cacheWriteInputTokenCount", 0)
            if "inputBodyS3Path" in inp:
                offloaded += 1
                key = inp["inputBodyS3Path"].split("/", 3)[3]
                if key not in files: problem(f"offload object missing {key}")
            ob = out.get("outputBodyJson")
            if ob is None and "inputBodyJson" not in inp and "inputBodyS3Path" not in inp:
                bed["successesWithoutBodies"] += 1
            latency = False; invoked = None
            if isinstance(ob, dict):
                if "metrics" in ob: latency = True
                invoked = ob.get("trace", {}).get("promptRouter", {}).get("invokedModelId")
            elif isinstance(ob, list):
                features["streamArray"] += 1
                for ev in ob:
                    if "amazon-bedrock-invocationMetrics" in ev: latency = True
                    if "metadata" in ev:
                        features["converseStreamEvents"] += 1
                        if "metrics" in ev["metadata"]: latency = True
                        invoked = ev["metadata"].get("trace", {}).get("promptRouter", {}).get("invokedModelId") or invoked
            if latency: bed["successesWithLatency"] += 1
            if is_router:
                if invoked:
                    bed["routerRequestsServedModelResolvable"] += 1
                    c = canonical(invoked)
                    bed_maps["routerServedModels"][c] += 1
                    bed_maps["servedModels"][c] += 1
                    if "haiku" in c: router_haiku += 1
                    if ":inference-profile/" in invoked: features["routerProfileARN"] += 1
                    if ":foundation-model/" in invoked: features["routerFoundationARN"] += 1
            else:
                bed_maps["servedModels"][canonical(model_id)] += 1
                if invoked: problem("trace on a direct call")
        continue
    m = RE_LITE.match(rel)
    if m:
        text = data.decode("utf-8")
        r["bytesUncompressedExcludingTruncated"] += len(data)
        if any(ord(ch) > 127 for ch in text): problem(f"raw non-ASCII in LiteLLM file {rel}")
        if "\\u6771\\u4eac" in text or "\\u00e9" in text: features["litellmUnicodeEscapes"] += 1
        if text.startswith("{\n    \""): features["litellmPretty"] += 1
        slp = json.loads(text)
        if slp["id"] != m.group(6): problem(f"file name id mismatch {rel}")
        if isinstance(slp["startTime"], str):
            features["litellmStringTimes"] += 1
            day, clock = slp["startTime"].split(" ")
            stamp = clock.replace(":", "-").replace(".", "-")
        else:
            import datetime
            t = datetime.datetime.fromtimestamp(slp["startTime"], datetime.timezone.utc)
            day = t.strftime("%Y-%m-%d"); stamp = t.strftime("%H-%M-%S-%f")
        if day != m.group(1) or stamp != "-".join(m.group(2, 3, 4, 5)): problem(f"file name time mismatch {rel}: {day} {stamp}")
        md = slp["metadata"]
        lite_by_trace.setdefault(slp["trace_id"], []).append(slp["status"])   # files are visited in start-time order
        lite["records"] += 1
        lite_ids.add(slp["id"])
        lite_maps["modelGroups"][slp["model_group"]] += 1
        lite_maps["teams"][md["user_api_key_team_alias"]] += 1
        m_id = slp["model"].split("/", 1)[1]
        lite_maps["servedModels"][canonical(m_id)] += 1
        if slp["stream"]: lite["streaming"] += 1
        if md["spend_logs_metadata"]:
            lite["withRequestMetadata"] += 1
            lite_maps["tenants"][md["spend_logs_metadata"]["tenant_id"]] += 1
        if slp["status"] == "failure":
            lite["failures"] += 1
            lite_maps["failuresByErrorCode"][slp["error_information"]["error_code"]] += 1
            if slp["error_information"]["llm_provider"] != "bedrock": problem("llm_provider")
        else:
            lite["successes"] += 1
            if slp["error_information"]["error_code"] != "": problem("error_code on success")
            u = md["usage_object"]
            if u["prompt_tokens"] != slp["prompt_tokens"]: problem("usage_object mismatch")
            lite["inputTokens"] += u["prompt_tokens"] - u["cache_read_input_tokens"] - u["cache_creation_input_tokens"]
            lite["outputTokens"] += slp["completion_tokens"]
            lite["cacheReadTokens"] += u["cache_read_input_tokens"]
            lite["cacheWriteTokens"] += u["cache_creation_input_tokens"]
            lite_cost += slp["response_cost"]
            if md["attempted_fallbacks"] > 0:
                lite["fallbacks"] += 1
                if md["original_model_group"] == slp["model_group"]: problem("fallback without group change")
        continue
    if RE_SPEND.match(rel):
        continue
    problem(f"unexpected path {rel}")

# LiteLLM failures followed by a success with the same trace id
for attempts in lite_by_trace.values():
    if "failure" in attempts and "success" in attempts[attempts.index("failure"):]:
        lite["failuresRetriedLater"] += 1

# spend logs
spend = Counter(); spend_cost = 0.0
sp = os.path.join(root, "litellm-spend/spend_logs.jsonl")
if os.path.exists(sp):
    rows = [json.loads(l) for l in open(sp, encoding="utf-8")]
    with open(os.path.join(root, "litellm-spend/spend_logs.csv"), newline="", encoding="utf-8") as fh:
        csv_rows = list(csv.DictReader(fh))
    r["csvRows"] = len(csv_rows)
    for row, crow in zip(rows, csv_rows):
        meta = json.loads(row["metadata"])
        cmeta = json.loads(crow["metadata"])
        if meta != cmeta: problem("csv metadata differs from jsonl")
        if crow["request_id"] != row["request_id"] or float(crow["spend"]) != row["spend"]: problem("csv row differs")
        if int(crow["total_tokens"]) != row["total_tokens"]: problem("csv tokens differ")
        if row["request_id"] not in lite_ids: problem("spend row without payload")
        for k in ("attempted_fallbacks", "original_model_group", "usage_object", "user_api_key_alias", "user_api_key_team_alias"):
            if k not in meta: problem(f"spend metadata lacks {k}")
        spend["records"] += 1
        if row["status"] == "success":
            spend["successes"] += 1
            spend_cost += row["spend"]
            if meta["attempted_fallbacks"] > 0: spend["fallbacks"] += 1
        else:
            spend["failures"] += 1
        if not isinstance(row["cache_hit"], str): problem("cache_hit not a string")

r["bedrock"] = dict(bed); r["bedrock"].update({k: dict(v) for k, v in bed_maps.items()})
r["litellm"] = dict(lite); r["litellm"].update({k: dict(v) for k, v in lite_maps.items()}); r["litellm"]["costUSD"] = lite_cost
r["litellmSpend"] = dict(spend); r["litellmSpend"]["costUSD"] = spend_cost
r["corruptLines"] = dict(corrupt)
r["duplicates"] = duplicates
r["multiMemberFiles"] = multi
r["delayedRecords"] = delayed
r["offloadedInputBodies"] = offloaded
r["truncatedCompleteLines"] = truncated_complete
r["bedrockLinesReadable"] = bedrock_lines
r["routerHaiku"] = router_haiku
r["features"] = dict(features)
r["problems"] = problems
print(json.dumps(r, sort_keys=True))
"""#
}

extension CorpusVerifier {
    /// Runs the verifier on a corpus folder; returns its JSON report.
    static func run(_ directory: String, truncatedFile: String?) throws -> [String: Any] {
        let scriptPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("synth-verify-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8)).py").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let result = try runProcess("python3", [scriptPath, directory, truncatedFile ?? "-"])
        guard result.status == 0, let data = result.stdout.data(using: .utf8),
              let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VerifierError.failed("python3 verifier exited \(result.status): \(result.stderr.suffix(2000))")
        }
        return report
    }

    enum VerifierError: Error { case failed(String) }
}
