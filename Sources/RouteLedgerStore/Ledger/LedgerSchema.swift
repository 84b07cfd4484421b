import GRDB

/// Forward-only, named migrations of the ledger. Never edit a shipped migration: add a new one.
enum LedgerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-22-ledger-v1") { db in
            try db.execute(sql: """
                -- Every repeated string (model ids, ARNs, regions, accounts, tenants…) is stored once.
                CREATE TABLE strings (
                    id INTEGER PRIMARY KEY,
                    value TEXT NOT NULL UNIQUE
                );

                -- One row per input file (member = '') and one per archive member read from it.
                CREATE TABLE sources (
                    id INTEGER PRIMARY KEY,
                    path TEXT NOT NULL,
                    member TEXT NOT NULL DEFAULT '',
                    parent_id INTEGER REFERENCES sources(id) ON DELETE CASCADE,
                    size INTEGER,
                    mtime_us INTEGER,
                    sha256 TEXT,
                    containers TEXT,
                    layout TEXT,
                    records INTEGER NOT NULL DEFAULT 0,
                    stored INTEGER NOT NULL DEFAULT 0,
                    duplicates INTEGER NOT NULL DEFAULT 0,
                    conflicts INTEGER NOT NULL DEFAULT 0,
                    rejected INTEGER NOT NULL DEFAULT 0,
                    ingested_at TEXT NOT NULL,
                    UNIQUE (path, member)
                );
                CREATE INDEX sources_parent ON sources(parent_id);

                CREATE TABLE invocations (
                    id INTEGER PRIMARY KEY,
                    source_kind TEXT NOT NULL,
                    request_id TEXT NOT NULL,
                    ts_us INTEGER NOT NULL,
                    account_id INTEGER REFERENCES strings(id),
                    principal_id INTEGER REFERENCES strings(id),
                    region_id INTEGER REFERENCES strings(id),
                    inference_region_id INTEGER REFERENCES strings(id),
                    operation_id INTEGER REFERENCES strings(id),
                    raw_model_id INTEGER NOT NULL REFERENCES strings(id),
                    model_id INTEGER REFERENCES strings(id),
                    router_id INTEGER REFERENCES strings(id),
                    served_model_id INTEGER REFERENCES strings(id),
                    model_group_id INTEGER REFERENCES strings(id),
                    deployment_id INTEGER REFERENCES strings(id),
                    provider_id INTEGER REFERENCES strings(id),
                    input_tokens INTEGER,
                    output_tokens INTEGER,
                    cache_read_tokens INTEGER,
                    cache_write_tokens INTEGER,
                    latency_ms INTEGER,
                    ttft_ms INTEGER,
                    status TEXT NOT NULL CHECK (status IN ('success', 'failure')),
                    error_code_id INTEGER REFERENCES strings(id),
                    error_class_id INTEGER REFERENCES strings(id),
                    tenant_id INTEGER REFERENCES strings(id),
                    correlation_id TEXT,
                    fallback_attempt INTEGER,
                    original_model_group_id INTEGER REFERENCES strings(id),
                    logged_cost_usd REAL,
                    prompt_chars INTEGER,
                    prompt_sha256 TEXT,
                    flags INTEGER NOT NULL DEFAULT 0,
                    content_hash INTEGER NOT NULL,
                    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                    line INTEGER NOT NULL
                );
                CREATE INDEX invocations_ts ON invocations(ts_us);
                -- No index on correlation_id: trace ids are random, so such an index dirties one random page
                -- per record in every per-file commit; correlation is resolved in memory by the metrics layer.
                CREATE INDEX invocations_source ON invocations(source_id);

                -- The dedupe index: every stored (source kind, request id) once. Request ids are random, so
                -- keeping this index inside each per-file commit would dirty one random page per record;
                -- instead the writer dedupes a run's own records in memory, probes this table, and merges
                -- the run's keys here in key order after its files (and first thing in the next run, should
                -- a run be killed before that). `request_keys_through` is the highest merged invocation id.
                CREATE TABLE request_keys (
                    source_kind TEXT NOT NULL,
                    request_id TEXT NOT NULL,
                    invocation_id INTEGER NOT NULL,
                    content_hash INTEGER NOT NULL,
                    PRIMARY KEY (source_kind, request_id)
                ) WITHOUT ROWID;

                CREATE TABLE ledger_state (
                    key TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                );
                INSERT INTO ledger_state(key, value) VALUES ('request_keys_through', 0);

                -- Prompt and response bodies, only with --keep-bodies.
                CREATE TABLE bodies (
                    invocation_id INTEGER PRIMARY KEY REFERENCES invocations(id) ON DELETE CASCADE,
                    prompt TEXT,
                    response TEXT
                );

                CREATE TABLE rejects (
                    id INTEGER PRIMARY KEY,
                    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                    path TEXT NOT NULL,
                    member TEXT,
                    line INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    snippet BLOB
                );
                CREATE INDEX rejects_source ON rejects(source_id);

                -- A request id seen again with different content: kept out, never merged silently.
                CREATE TABLE conflicts (
                    id INTEGER PRIMARY KEY,
                    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                    line INTEGER NOT NULL,
                    source_kind TEXT NOT NULL,
                    request_id TEXT NOT NULL,
                    existing_invocation_id INTEGER NOT NULL,
                    content_hash INTEGER NOT NULL
                );

                -- Members refused or cut short (unsafe names, bombs, truncation, corruption).
                CREATE TABLE source_issues (
                    id INTEGER PRIMARY KEY,
                    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                    path TEXT NOT NULL,
                    member TEXT,
                    kind TEXT NOT NULL,
                    detail TEXT NOT NULL
                );

                CREATE TABLE ingest_runs (
                    id INTEGER PRIMARY KEY,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    summary_json TEXT
                );

                CREATE VIEW invocations_v AS
                SELECT i.id,
                       i.source_kind,
                       i.request_id,
                       i.ts_us,
                       strftime('%Y-%m-%dT%H:%M:%fZ', i.ts_us / 1000000.0, 'unixepoch') AS ts,
                       date(i.ts_us / 1000000, 'unixepoch') AS day,
                       strftime('%Y-%m-%dT%H:00:00Z', i.ts_us / 1000000, 'unixepoch') AS hour,
                       account.value AS account,
                       principal.value AS principal,
                       region.value AS region,
                       inference_region.value AS inference_region,
                       operation.value AS operation,
                       raw_model.value AS raw_model_id,
                       model.value AS model,
                       router.value AS router,
                       served.value AS served_model,
                       model_group.value AS model_group,
                       deployment.value AS deployment,
                       provider.value AS provider,
                       i.input_tokens, i.output_tokens, i.cache_read_tokens, i.cache_write_tokens,
                       i.latency_ms, i.ttft_ms,
                       i.status,
                       error_code.value AS error_code,
                       error_class.value AS error_class,
                       tenant.value AS tenant,
                       i.correlation_id,
                       i.fallback_attempt,
                       original_group.value AS original_model_group,
                       i.logged_cost_usd,
                       i.prompt_chars, i.prompt_sha256,
                       i.flags,
                       (i.flags & 1) != 0 AS tokens_missing,
                       (i.flags & 2) != 0 AS served_model_unresolved,
                       (i.flags & 4) != 0 AS profile_unresolved,
                       (i.flags & 8) != 0 AS cross_region,
                       (i.flags & 16) != 0 AS streaming,
                       i.source_id, i.line
                FROM invocations i
                LEFT JOIN strings account ON account.id = i.account_id
                LEFT JOIN strings principal ON principal.id = i.principal_id
                LEFT JOIN strings region ON region.id = i.region_id
                LEFT JOIN strings inference_region ON inference_region.id = i.inference_region_id
                LEFT JOIN strings operation ON operation.id = i.operation_id
                LEFT JOIN strings raw_model ON raw_model.id = i.raw_model_id
                LEFT JOIN strings model ON model.id = i.model_id
                LEFT JOIN strings router ON router.id = i.router_id
                LEFT JOIN strings served ON served.id = i.served_model_id
                LEFT JOIN strings model_group ON model_group.id = i.model_group_id
                LEFT JOIN strings deployment ON deployment.id = i.deployment_id
                LEFT JOIN strings provider ON provider.id = i.provider_id
                LEFT JOIN strings error_code ON error_code.id = i.error_code_id
                LEFT JOIN strings error_class ON error_class.id = i.error_class_id
                LEFT JOIN strings tenant ON tenant.id = i.tenant_id
                LEFT JOIN strings original_group ON original_group.id = i.original_model_group_id;
                """)
        }
        migrator.registerMigration("2026-11-22-alerts-v1") { db in
            try db.execute(sql: """
                -- One row per (alert rule, scope value): the severity it is in and when it was last notified.
                CREATE TABLE alert_state (
                    rule TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    severity TEXT NOT NULL CHECK (severity IN ('ok', 'warning', 'critical')),
                    value REAL,
                    window_end TEXT NOT NULL,
                    since_window_end TEXT NOT NULL,
                    last_notified_window_end TEXT,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (rule, scope)
                );

                -- Every notification, per notifier, until delivered: an undelivered one is retried on the next
                -- run; the (notification, notifier) pair is unique, so a re-run never queues it twice.
                CREATE TABLE alert_notifications (
                    id INTEGER PRIMARY KEY,
                    notification_id TEXT NOT NULL,
                    notifier TEXT NOT NULL,
                    payload_json TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    delivered_at TEXT,
                    last_error TEXT,
                    UNIQUE (notification_id, notifier)
                );
                CREATE INDEX alert_notifications_pending ON alert_notifications(delivered_at) WHERE delivered_at IS NULL;
                """)
        }
        return migrator
    }
}
