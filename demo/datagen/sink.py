"""Write a table as Parquet or CSV in batches, so memory stays bounded at any scale.

Rows are buffered column by column and flushed every ``batch_rows`` rows. The file is
written under a temporary name and moved into place when complete, so a product gateway
reading the folder never sees half a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

DEFAULT_BATCH_ROWS = 50_000


class TableSink:
    """A table being written: ``add`` rows (tuples in schema order), then ``close``.

    >>> import tempfile, pyarrow as pa
    >>> path = Path(tempfile.mkdtemp()) / "t.parquet"
    >>> with TableSink(path, pa.schema([("x", pa.int32())]), batch_rows=2) as sink:
    ...     sink.extend([(1,), (2,), (3,)])
    >>> pq.read_table(path).column("x").to_pylist(), sink.rows
    ([1, 2, 3], 3)
    """

    def __init__(self, path: Path, schema: pa.Schema, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        self.path = path
        self.schema = schema
        self.format = path.suffix.lstrip(".")
        if self.format not in ("parquet", "csv"):
            raise ValueError(f"{path}: expected a .parquet or .csv file")
        self.rows = 0
        self._batch_rows = max(1, batch_rows)
        self._columns: list[list[Any]] = [[] for _ in schema]
        self._pending = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(f".{path.name}.tmp")
        self._writer: pq.ParquetWriter | pa_csv.CSVWriter
        if self.format == "parquet":
            self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd")
        else:
            self._writer = pa_csv.CSVWriter(self._tmp, schema)

    def add(self, row: Sequence[Any]) -> None:
        """Append one row (values in schema order)."""
        for column, value in zip(self._columns, row, strict=True):
            column.append(value)
        self._pending += 1
        if self._pending >= self._batch_rows:
            self.flush()

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        """Append many rows."""
        for row in rows:
            self.add(row)

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Append an Arrow batch that already has this table's schema."""
        self.flush()
        self._writer.write_batch(batch.cast(self.schema) if batch.schema != self.schema else batch)
        self.rows += batch.num_rows

    def flush(self) -> None:
        """Write the buffered rows as one batch."""
        if not self._pending:
            return
        arrays = [
            pa.array(col, type=field.type)
            for col, field in zip(self._columns, self.schema, strict=True)
        ]
        self._writer.write_batch(pa.record_batch(arrays, schema=self.schema))
        self.rows += self._pending
        self._columns = [[] for _ in self.schema]
        self._pending = 0

    def close(self) -> None:
        """Flush, close the file and move it into place."""
        self.flush()
        self._writer.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """Drop the partial file."""
        self._writer.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> TableSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
