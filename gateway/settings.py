"""One frozen settings object, read from ``MESHGATE_*`` environment variables.

Every limit has a safe default; each field carries one line of help (``help_text``).
Every value is checked when the object is built, so at start-up
(:mod:`gateway.setting_values`: how text becomes a value, and which values are allowed).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from gateway.setting_values import InvalidSetting, check, parse
from gateway.setting_values import setting as _setting

__all__ = ["InvalidSetting", "Settings"]


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "Address the gateway listens on.")
    port: int = _setting(8000, "Port the gateway listens on.")
    registry_url: str = _setting(
        "sqlite:///.run/registry.db",
        "Registry store: sqlite:///PATH (default) or postgresql://user@host:port/db.",
    )
    cache_backend: str = _setting("memory", "Cache of product documents: memory or redis.")
    redis_url: str = _setting("redis://127.0.0.1:56379/0", "Redis URL when cache_backend=redis.")
    cache_ttl_seconds: float = _setting(
        15.0, "Seconds a product document is served fresh (0: every read asks the product)."
    )
    stale_ttl_seconds: float = _setting(
        3600.0,
        "Seconds after its fetch a copy may answer for a product that is down "
        "(0: no stale copies).",
    )
    upstream_connect_timeout: float = _setting(1.0, "Seconds to connect to a product gateway.")
    upstream_read_timeout: float = _setting(3.0, "Seconds to wait for a product's answer.")
    upstream_max_connections: int = _setting(
        100, "Connections to product gateways in use at once (as many idle ones are kept)."
    )
    upstream_max_document_bytes: int = _setting(
        8 * 1024 * 1024, "Largest document read from a product gateway, in bytes."
    )
    max_query_depth: int = _setting(15, "Deepest GraphQL selection accepted.")
    max_aliases: int = _setting(30, "Most aliases in one GraphQL document.")
    max_query_bytes: int = _setting(50_000, "Largest GraphQL document accepted, in bytes.")
    max_page_size: int = _setting(100, "Largest `first` accepted on a connection.")
    sql_engine: str = _setting("duckdb", "Engine of a SQL query that names none: duckdb or trino.")
    sql_max_rows: int = _setting(1000, "Most rows one SQL answer returns (maxRows up to this).")
    sql_timeout_seconds: float = _setting(30.0, "A SQL query running longer is cancelled.")
    sql_stream_max_rows: int = _setting(
        10_000_000, "Most rows /sql/stream sends; a longer result is cut there (an error)."
    )
    trino_url: str = _setting("", "Trino coordinator URL (empty: the TRINO engine is off).")
    duckdb_memory_limit: str = _setting("512MB", "Memory the embedded DuckDB may use.")
    data_root: str = _setting(".", "Folder that local contract server paths are relative to.")
    graphiql: bool = _setting(True, "Serve GraphiQL on GET /graphql.")
    log_level: str = _setting("info", "Logging level.")
    auth_issuers_file: str = _setting(
        "", "YAML file of trusted JWT issuers (issuer, audience, algorithms, key); empty: none."
    )
    auth_audience: str = _setting("meshgate", "Audience a token must name, unless its issuer says.")
    auth_leeway_seconds: float = _setting(
        30.0, "Clock skew allowed on exp/nbf/iat, in seconds (0: none)."
    )
    auth_jwks_cache_seconds: float = _setting(300.0, "How long an issuer's JWKS keys are kept.")
    api_keys_file: str = _setting("", "YAML file of API keys (SHA-256 only) for service accounts.")
    auth_failures_per_minute: int = _setting(
        30, "Wrong credentials per client address per minute before 429 (0: no limit)."
    )
    anonymous_access: str = _setting(
        "discovery",
        "What callers without credentials may do: discovery (products, contracts, search, "
        "health) or none.",
    )
    sql_data_roots: str = _setting(
        "", "Comma-separated folders local contract paths must stay inside (empty: data_root)."
    )
    trino_allowed_catalogs: str = _setting(
        "demo_pg,demo_mariadb", "Comma-separated Trino catalogs contracts may name (never system)."
    )
    sql_allowed_db_hosts: str = _setting(
        "127.0.0.1:55432,localhost:55432,127.0.0.1:53306,localhost:53306",
        "Comma-separated host:port a contract's postgres or mysql server may point at.",
    )
    audit_retention_days: int = _setting(
        365, "Days audit events are kept; older ones are purged (0: keep them all)."
    )
    audit_purge_interval_seconds: float = _setting(
        3600.0,
        "Seconds between purges of events past the audit retention, also done at start "
        "(0: only at start).",
    )
    sql_max_bytes: int = _setting(256 * 1024, "Largest SQL statement accepted, in bytes.")
    sql_max_depth: int = _setting(32, "Deepest nesting of parentheses and CASE in a SQL statement.")
    sql_max_nodes: int = _setting(
        20_000, "Most tokens, then syntax-tree nodes, of a SQL statement."
    )
    sql_max_tree_depth: int = _setting(100, "Deepest syntax tree of a SQL statement.")
    sql_max_joins: int = _setting(32, "Most joins (comma joins included) in one SQL statement.")
    sql_max_output_bytes: int = _setting(
        1024 * 1024, "Largest engine SQL the planner may write from one statement, in bytes."
    )
    sql_plan_timeout_seconds: float = _setting(
        5.0, "Planning a SQL statement longer than this is refused (SQL_PLAN_TIMEOUT)."
    )
    sql_plan_workers: int = _setting(2, "Threads that plan SQL statements, off the event loop.")
    sql_max_result_bytes: int = _setting(
        4 * 1024 * 1024,
        "Largest SQL answer (and largest streamed row), in bytes (SQL_RESULT_TOO_LARGE).",
    )

    # -- limits on a request (issue 6): body, GraphQL variables and cost, rate per caller.
    max_body_bytes: int = _setting(
        1_048_576, "Largest HTTP request body accepted, in bytes (413 BODY_TOO_LARGE)."
    )
    max_variables_bytes: int = _setting(
        524_288, "Largest GraphQL variables accepted, serialized as JSON, in bytes."
    )
    max_root_fields: int = _setting(20, "Most root fields in one GraphQL operation.")
    max_query_cost: int = _setting(
        20_000, "Highest computed cost of one GraphQL operation (see docs/security.md)."
    )
    max_sql_per_request: int = _setting(
        3, "Most `sql` and `explainSql` fields in one GraphQL operation."
    )
    rate_limit_per_minute: int = _setting(
        600, "Requests per minute per caller (token bucket; 0: no limit)."
    )
    max_concurrent_requests: int = _setting(
        20, "Requests in flight at once per caller (0: no limit)."
    )
    upstream_allowed_networks: str = _setting(
        "",
        "Comma-separated CIDRs the gateway may call besides public addresses "
        "(e.g. 127.0.0.1/32 for a local mesh); empty: public addresses only.",
    )
    upstream_total_timeout: float = _setting(
        5.0, "Seconds one fetch from a product gateway may take in all, body included."
    )
    upstream_breaker_threshold: int = _setting(
        3,
        "Failures in a row of a product host before it is not called for the cooldown.",
        positive=True,
    )
    upstream_breaker_cooldown_seconds: float = _setting(
        5.0, "Seconds a failing product host is not called; then one trial call goes out."
    )
    cache_max_bytes: int = _setting(
        64 * 1024 * 1024,
        "Most bytes of product documents (as received) the memory cache keeps; "
        "least recently used go first.",
        positive=True,
    )
    cache_max_entries: int = _setting(
        10_000, "Most product documents the memory cache keeps.", positive=True
    )

    # -- the gateway's own stores (issue 7): pooled PostgreSQL, usage retention.
    store_pool_size: int = _setting(
        4,
        "Most PostgreSQL connections each own store (registry, usage, audit) holds.",
        positive=True,
    )
    usage_retention_days: int = _setting(
        365, "Days recorded SQL queries (usage) are kept; older ones are purged (0: keep all)."
    )
    usage_purge_interval_seconds: float = _setting(
        3600.0, "How often queries past the usage retention are purged (also at start)."
    )

    sql_catalog_deadline_seconds: float = _setting(
        2.0, "Seconds the SQL catalog waits for all contracts; a product slower is unavailable."
    )

    # -- OpenLineage run events of federated queries (issue 9); off unless a sink is set.
    openlineage_sink: str = _setting(
        "none", "Where each SQL query's OpenLineage run events go: none, file or http."
    )
    openlineage_namespace: str = _setting(
        "meshgate", "OpenLineage namespace of the query jobs (and prefix of table namespaces)."
    )
    openlineage_file: str = _setting(
        "", "JSON-lines file the file sink appends events to (rotated to FILE.1 at the cap)."
    )
    openlineage_file_max_bytes: int = _setting(
        64 * 1024 * 1024, "Bytes the lineage file may reach before it is rotated.", positive=True
    )
    openlineage_url: str = _setting(
        "", "OpenLineage endpoint the http sink POSTs to (e.g. Marquez's /api/v1/lineage)."
    )
    openlineage_allowed_networks: str = _setting(
        "",
        "Comma-separated CIDRs the http sink may call besides public addresses "
        "(e.g. 10.0.0.0/8 for an internal Marquez).",
    )
    openlineage_timeout_seconds: float = _setting(
        5.0, "Deadline of one POST to the lineage endpoint, and of the flush at shutdown."
    )
    openlineage_queue_size: int = _setting(
        10_000,
        "Queries waiting to be emitted; past it their events are dropped (counted).",
        positive=True,
    )

    # -- contract versions (issue 9): lifecycle notices.
    contract_lifecycle_warning_days: int = _setting(
        30,
        "Days before a contract's endOfSupport or endOfLife its readers are warned "
        "(0: from the day).",
    )

    # -- certification (issue 9): the mesh's policies, checked on a schedule and on demand.
    certification_policies_file: str = _setting(
        "", "YAML file of the mesh's certification policies (empty: the shipped default)."
    )
    certification_interval_seconds: float = _setting(
        3600.0, "Seconds between certification rounds over every product (0: on demand only)."
    )
    certification_concurrency: int = _setting(
        4, "Products certified at once in a scheduled round.", positive=True
    )
    certification_retention_days: int = _setting(
        365, "Days certification history is kept; older evaluations are purged (0: keep all)."
    )

    # -- health judged against the contract (issue 9, docs/health.md).
    health_refresh_seconds: float = _setting(
        60.0, "How often every product's health is judged again in the background."
    )
    health_concurrency: int = _setting(
        8, "Most products whose health is checked at the same time.", positive=True
    )
    health_deadline_seconds: float = _setting(
        10.0, "Seconds one product's health check may take; slower is DOWN (timeout)."
    )
    health_max_results: int = _setting(
        10_000, "Most observability results judged (or listed) per product.", positive=True
    )
    health_max_reasons: int = _setting(
        50, "Most reasons one product's health keeps (the rest are counted).", positive=True
    )

    # -- lineage and impact (issue 9): how far one question may walk the graph.
    lineage_default_depth: int = _setting(
        5, "Hops lineage walks when the query gives no depth.", positive=True
    )
    lineage_max_depth: int = _setting(
        10, "Most hops lineage and impact walk; a deeper depth is refused.", positive=True
    )
    lineage_max_nodes: int = _setting(
        2000,
        "Most nodes one lineage or impact answer holds; past it, it says truncated.",
        positive=True,
    )

    # -- live subscriptions over WebSocket (issue 9, docs/notifications.md).
    events_bus: str = _setting(
        "local",
        "Bus of live events: local (one gateway process) or redis (every process sharing "
        "redis_url).",
    )
    events_redis_channel: str = _setting(
        "meshgate:events", "Redis pub/sub channel of live events when events_bus=redis."
    )
    events_publish_timeout_seconds: float = _setting(
        2.0, "Seconds publishing one event on the Redis bus may take; slower is dropped."
    )
    ws_connection_init_seconds: float = _setting(
        10.0, "Seconds a new WebSocket has to send connection_init (with its credentials)."
    )
    ws_max_products: int = _setting(
        50, "Most products one productEvents subscription names.", positive=True
    )
    ws_max_subscriptions_per_connection: int = _setting(
        10, "Most subscriptions open at once on one WebSocket.", positive=True
    )
    ws_max_subscriptions_per_caller: int = _setting(
        50, "Most subscriptions one caller holds open at once in one process.", positive=True
    )
    ws_queue_size: int = _setting(
        1000,
        "Events buffered per subscription for a slow client; past it the oldest are "
        "dropped (and counted in `dropped`).",
        positive=True,
    )
    ws_allowed_origins: str = _setting(
        "",
        "Comma-separated browser origins (https://app.example) that may open a WebSocket "
        "besides the gateway's own (empty: same origin only).",
    )

    # -- feedback (issue 9, docs/feedback.md): issues and ratings consumers give products.
    feedback_max_text_chars: int = _setting(
        4000, "Most characters of an issue's text or a rating's comment.", positive=True
    )
    feedback_max_issues_per_hour: int = _setting(
        10, "Issues one caller may report on one product per hour (0: no limit)."
    )
    feedback_max_ratings_per_hour: int = _setting(
        10, "Times one caller may rate one product per hour (0: no limit)."
    )
    ws_max_connections_per_caller: int = _setting(
        20, "Most WebSockets one caller holds open at once in one process.", positive=True
    )

    # -- the registry followed (issue 9 gaps): certification soon after start.
    certification_first_round_seconds: float = _setting(
        5.0,
        "Seconds after start before the first certification round (0: at once); it "
        "evaluates only products not evaluated within the interval.",
    )

    # -- webhooks (issue 9): signed deliveries of mesh events to subscribers' URLs.
    notify_webhook_allowed_networks: str = _setting(
        "",
        "Comma-separated CIDRs webhooks may point to besides public addresses "
        "(e.g. 10.0.0.0/8 for internal receivers); empty: public addresses only.",
    )
    notify_max_subscriptions_per_caller: int = _setting(
        100, "Most webhook subscriptions one caller may hold.", positive=True
    )
    notify_webhook_max_attempts: int = _setting(
        8, "Attempts of one webhook delivery before it is marked failed.", positive=True
    )
    notify_webhook_backoff_seconds: float = _setting(
        10.0, "Wait before a delivery's second attempt; doubled for each one after."
    )
    notify_webhook_timeout_seconds: float = _setting(
        10.0, "Seconds one webhook delivery may take in all (connect, send, answer)."
    )
    notify_delivery_poll_seconds: float = _setting(
        5.0, "How often each process looks for deliveries due (retries, other processes)."
    )
    notify_delivery_retention_days: int = _setting(
        30, "Days finished webhook deliveries stay in the delivery log (0: keep them all)."
    )

    # -- several processes (issue 10): `meshgate serve --workers N`.
    workers: int = _setting(
        1,
        "Gateway processes `meshgate serve` runs (its --workers); more than 1 needs a "
        "PostgreSQL registry, the redis cache and the redis events bus.",
        positive=True,
    )
    worker_healthcheck_seconds: float = _setting(
        30.0,
        "Seconds a worker of `meshgate serve --workers N` may take to answer its "
        "supervisor's ping before it is killed and replaced (uvicorn's own default, 5, "
        "kills workers that are only slow on a loaded machine).",
    )
    event_loop: str = _setting(
        "asyncio",
        "The event loop `meshgate serve` runs: asyncio (the standard library's) or uvloop "
        "(the C loop); docs/benchmarks.md compares them.",
    )
    # -- whole answers kept (issue 10, gateway/result_cache.py, docs/operator.md).
    result_cache: bool = _setting(
        True,
        "Keep whole answers to queries whose every field may be kept, per caller, while "
        "their documents are fresh (needs cache_ttl_seconds > 0; false: off).",
    )
    result_cache_max_entries: int = _setting(
        2000, "Most answers kept by the result cache.", positive=True
    )
    result_cache_max_bytes: int = _setting(
        32 * 1024 * 1024, "Most bytes of answers kept by the result cache.", positive=True
    )
    result_cache_stale_seconds: float = _setting(
        30.0,
        "Seconds an expired answer is still served while one background refresh runs "
        "(0: never served expired).",
    )
    # -- the cost of SQL (issue 10): plans kept for the same statement and caller.
    sql_plan_cache_bytes: int = _setting(
        8 * 1024 * 1024,
        "Memory of the SQL plans kept for repeated statements, per caller (0: plan every time).",
    )
    # -- stopping (issue 10): a stop signal ends the process within a bound.
    shutdown_seconds: float = _setting(
        15.0,
        "Seconds a stopping gateway waits for requests in flight, then again for its "
        "services to close (rounds, pools, stores), before it exits anyway.",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check(f, getattr(self, f.name))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``MESHGATE_<FIELD>`` variables, then ``overrides``.

        >>> Settings.from_env({"MESHGATE_PORT": "9000"}).port
        9000
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"MESHGATE_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = parse(f.name, raw, type(f.default))
        values.update(overrides)
        return cls(**values)

    @classmethod
    def help_text(cls) -> list[tuple[str, Any, str]]:
        """(variable, default, help) for every setting, for docs and ``--help``."""
        return [
            (f"MESHGATE_{f.name.upper()}", f.default, f.metadata["help"])
            for f in dataclasses.fields(cls)
        ]
