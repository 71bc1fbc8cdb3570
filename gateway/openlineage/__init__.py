"""OpenLineage run events of federated SQL queries, sent to a file or an HTTP endpoint
(see docs/lineage-events.md)."""

from __future__ import annotations

from gateway.openlineage.emitter import SINKS, LineageEmitter, create_emitter
from gateway.openlineage.events import QueryRun, job_name, query_run, to_json
from gateway.openlineage.sinks import FileSink, HttpSink, LineageSinkError, Sink

__all__ = [
    "SINKS",
    "FileSink",
    "HttpSink",
    "LineageEmitter",
    "LineageSinkError",
    "QueryRun",
    "Sink",
    "create_emitter",
    "job_name",
    "query_run",
    "to_json",
]
