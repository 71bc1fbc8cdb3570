"""One federated query as an OpenLineage run: a START event and its terminal event.

The gateway is an observed system like any other (a Spark job, an Airflow task): a query
is a run of a job, the product tables it read are the run's inputs, and its answer is
the run's output dataset (``<job name>.result`` in the gateway's namespace; it goes back
to the caller, nothing is stored), described by the ``columnLineage`` facet: which
input columns each answer column comes from (:mod:`gateway.openlineage.columns`).
Events are built with the ``openlineage-python`` models, so their shape follows the
spec's classes exactly.

What an event may carry is what a caller may see: the statement the caller wrote, the
logical names ``domain.product.table`` and the declared columns read, the engine, the
public error message. Never the engine's SQL (``Plan.sql``: file paths, hosts) nor a
table's physical location (see ``gateway.errors.PRIVATE_DETAILS``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    JobFacet,
    RunFacet,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    processing_engine_run,
    schema_dataset,
    sql_job,
)
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_new_uuid

from gateway.federation.records import QueryRecord
from gateway.openlineage.columns import column_lineage
from gateway.usage.model import OK, reads_of

PRODUCER = "https://github.com/meshgate/meshgate/tree/main/gateway/openlineage"
"""Who wrote the events (a URI, as the spec asks): this package."""

SQL_FACET_LIMIT = 65_536
"""Characters of the caller's statement an event keeps: enough to read it, bounded."""

CANCELLED = "CANCELLED"
"""The outcome of a stream its caller closed before the end: the run is aborted."""


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


_ENGINE_VERSIONS = {"duckdb": duckdb.__version__}
_ADAPTER_VERSION = _version("openlineage-python")


@dataclass(frozen=True)
class QueryRun:
    """The two events of one query: ``start`` then ``end`` (COMPLETE, FAIL or ABORT)."""

    start: RunEvent
    end: RunEvent


def job_name(entry: QueryRecord) -> str:
    """The job a query is a run of: ``sql.`` and the fingerprint of its checked statement.

    The same statement, however it was spaced, is the same job (the planner's
    logical SQL is normalised); a refused one is fingerprinted as written.

    >>> from datetime import UTC, datetime
    >>> e = QueryRecord(None, "SELECT 1", "duckdb", "ok", 1, 1.0, None, datetime.now(UTC))
    >>> job_name(e)
    'sql.e004ebd5b5532a4b'
    """
    text = entry.plan.logical_sql if entry.plan is not None else entry.sql
    return "sql." + hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:16]


def dataset_namespace(namespace: str, domain: str) -> str:
    """The namespace of a product table: the gateway's, then the table's domain.

    >>> dataset_namespace("meshgate", "precipitation")
    'meshgate://precipitation'
    """
    return f"{namespace}://{domain}"


def _inputs(entry: QueryRecord, namespace: str) -> list[InputDataset]:
    """The tables the plan read (as the usage store records them), each with the
    declared columns read and the contract version read."""
    types: dict[tuple[str, str], str | None] = {}
    domains: dict[str, str] = {}
    for use in entry.plan.tables if entry.plan is not None else ():
        domains[use.table.logical] = use.table.domain
        for column in use.table.columns:
            types[(use.table.logical, column.name)] = column.logical_type
    inputs = []
    for read in reads_of(entry):
        fields = [
            schema_dataset.SchemaDatasetFacetFields(
                name=column, type=types.get((read.table, column)), ordinal_position=i
            )
            for i, column in enumerate(read.columns, start=1)
        ]
        facets = {
            "schema": schema_dataset.SchemaDatasetFacet(fields=fields, producer=PRODUCER),
            "version": dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=read.contract_version, producer=PRODUCER
            ),
        }
        domain = domains.get(read.table) or read.table.split(".", 1)[0]
        inputs.append(
            InputDataset(
                namespace=dataset_namespace(namespace, domain), name=read.table, facets=facets
            )
        )
    return inputs


def _outputs(entry: QueryRecord, namespace: str, job: str) -> list[OutputDataset]:
    """The answer as a dataset with its column lineage; none when the query was refused
    or no answer column reads a table column."""
    if entry.plan is None:
        return []
    namespaces = {
        use.table.logical: dataset_namespace(namespace, use.table.domain)
        for use in entry.plan.tables
    }
    facet = column_lineage(entry.plan, namespaces, PRODUCER)
    if facet is None:
        return []
    return [OutputDataset(namespace=namespace, name=f"{job}.result",
                          facets={"columnLineage": facet})]  # fmt: skip


def _terminal(entry: QueryRecord) -> RunState:
    if entry.outcome == OK:
        return RunState.COMPLETE
    if entry.outcome == CANCELLED:
        return RunState.ABORT
    return RunState.FAIL


def query_run(entry: QueryRecord, *, namespace: str) -> QueryRun:
    """The START and terminal events of the recorded query ``entry``.

    START is dated when the query began (``at`` less its elapsed time): the gateway
    records a query once it has ended, so both events are written then, in order.
    """
    run_id = str(generate_new_uuid())
    engine_facet = processing_engine_run.ProcessingEngineRunFacet(
        version=_ENGINE_VERSIONS.get(entry.engine, "unknown"),
        name=entry.engine,
        openlineageAdapterVersion=_ADAPTER_VERSION,
        producer=PRODUCER,
    )
    job_facets: dict[str, JobFacet] = {
        "sql": sql_job.SQLJobFacet(
            query=entry.sql[:SQL_FACET_LIMIT], dialect="trino", producer=PRODUCER
        ),
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="MESHGATE", jobType="QUERY", producer=PRODUCER
        ),
    }
    job = Job(namespace=namespace, name=job_name(entry), facets=job_facets)
    inputs = _inputs(entry, namespace)
    outputs = _outputs(entry, namespace, job.name)
    state = _terminal(entry)
    end_facets: dict[str, RunFacet] = {"processing_engine": engine_facet}
    if state is RunState.FAIL:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=entry.error_message or entry.outcome,
            programmingLanguage="SQL",
            producer=PRODUCER,
        )
    began = entry.at - timedelta(milliseconds=entry.elapsed_ms)
    start = RunEvent(
        eventType=RunState.START,
        eventTime=_time(began),
        run=Run(runId=run_id, facets={"processing_engine": engine_facet}),
        job=job,
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )
    end = RunEvent(
        eventType=state,
        eventTime=_time(entry.at),
        run=Run(runId=run_id, facets=end_facets),
        job=job,
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )
    return QueryRun(start=start, end=end)


def _time(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def to_json(event: RunEvent) -> str:
    """``event`` as one line of JSON, nulls left out (the spec's wire form)."""
    return Serde.to_json(event)
