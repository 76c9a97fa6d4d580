"""Bulk loading into the real models' tables: COPY on PostgreSQL, batched INSERTs on SQLite.

Rows are written with explicit primary keys (allocated here), so related rows can be written
without reading ids back; sequences are reset at the end. Rows may also carry local ids (from 0)
that the writer moves up by a base per model, so that parts of a load can be computed apart and
given their id blocks afterwards. Columns not given get the model field's default, so rows are
complete whatever the model adds later.

On PostgreSQL rows are turned into COPY text here, a chunk of rows per call of a formatter compiled
for the table's column types: psycopg's `write_row` adapts every value on its own and cost more than
computing the rows did. Inside `copy_in_background()` the text is sent by a thread, so the
PostgreSQL backend (another process, another core) stores one shop while Python computes the next.
"""

import contextlib
import contextvars
import functools
import itertools
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_needs_escape = re.compile(r"[\\\t\n\r]").search


class IdAllocator:
    """Primary keys handed out in blocks: the database's next ones, or (`local`) ones counted from 0
    for rows whose writer adds a base later (`TableWriter(bases=...)`)."""

    def __init__(self, *, local: bool = False):
        self.local = local
        self._next: dict[type[models.Model], int] = {}

    def prime(self, models_: Iterable[type[models.Model]]) -> None:
        """Read the last primary keys now, so that later `take()` calls never query (COPY may be running)."""
        for model in models_:
            self.take(model, 0)

    def take(self, model: type[models.Model], count: int = 1) -> int:
        """The first of `count` fresh primary keys for `model`."""
        if model not in self._next:
            if self.local:
                self._next[model] = 0
            else:
                last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
                self._next[model] = last + 1
        first = self._next[model]
        self._next[model] += count
        return first

    def counts(self) -> dict[type[models.Model], int]:
        """How many ids of each model were taken (local ids: the block the rows need)."""
        return dict(self._next)


def copy_text(value) -> str:
    """One value in COPY text format (what `write_row` would send), for the uncommon column types."""
    if value is None:
        return NULL
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return escape(str(value))


def escape(value) -> str:
    """A text value in COPY text format: backslash, tab, newline and carriage return escaped."""
    if value is None:
        return NULL
    if type(value) is not str:
        value = str(value)  # e.g. a TextChoices member: its value
    return value.translate(_ESCAPES) if _needs_escape(value) else value


_BOOLEANS = {True: "t", False: "f", None: NULL}


class _Formatted(dict):
    """value -> str(value), computed once: formatting a datetime costs ten lookups."""

    def __missing__(self, value) -> str:
        text = self[value] = str(value)
        return text


def formatted_moments() -> dict:
    """A cache of timestamps' COPY text, for `TableWriter(moments=...)`."""
    return _Formatted()


def _column_kind(field: models.Field) -> str:
    if field.is_relation:
        return _column_kind(field.target_field)
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, (models.CharField, models.TextField)):
        return "text_null" if field.null else "text"
    if isinstance(
        field,
        (models.IntegerField, models.AutoField, models.DecimalField, models.DateField, models.FloatField),
    ):
        return "plain"  # str() is COPY's text format for these
    return "other"


@functools.cache
def _formatter(kinds: tuple[str, ...], *, checked: bool = True) -> Callable[[list[tuple], str, tuple, dict], str]:
    """A function turning a list of row tuples into COPY text, one f-string per row.

    Compiled per column layout (like `collections.namedtuple` does) so that the only work per value
    is a `format()`: a generic per-value dispatch costs several times as much at millions of rows.
    An "id" column gets `offsets[its position]` added (see `TableWriter`'s `bases`); a timestamp is
    looked up in `moments` (a `_Formatted`), since a sale's moment recurs in its rows.
    Not `checked`: text columns are assumed to hold `str`, and only those with a backslash or a
    character that is not printable (tab, newline, ...) are escaped, inline; a value of another
    type raises TypeError or AttributeError, and the caller formats that chunk `checked`.
    """
    names = [f"c{n}" for n in range(len(kinds))]
    fields = []
    for n, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        if kind == "plain":
            fields.append(f"{{NULL if {name} is None else {name}}}")
        elif kind == "id":
            fields.append(f"{{NULL if {name} is None else {name} + offsets[{n}]}}")
        elif kind == "datetime":
            fields.append(f"{{NULL if {name} is None else moments[{name}]}}")
        elif kind == "text" and not checked:
            fields.append(f"{{{name} if {name}.isprintable() and BACKSLASH not in {name} else escape({name})}}")
        elif kind in ("text", "text_null"):
            fields.append(f"{{escape({name})}}")
        elif kind == "bool":
            fields.append(f"{{BOOLEANS[{name}]}}")
        else:
            fields.append(f"{{copy_text({name})}}")
    row = "\\t".join(fields) + "{suffix}\\n"  # \t and \n as escapes in the generated literal
    unpack = ", ".join(names) + ","
    source = (
        f'def format_rows(rows, suffix, offsets, moments):\n    return "".join([f"{row}" for ({unpack}) in rows])\n'
    )
    namespace = {"NULL": NULL, "BOOLEANS": _BOOLEANS, "BACKSLASH": "\\", "escape": escape, "copy_text": copy_text}
    exec(source, namespace)  # the source is built above from field kinds only
    return namespace["format_rows"]


class TableWriter:
    """Writes tuples of `columns` (attnames) into `model`'s table; other columns get defaults.

    `bases` (model -> number): the rows' ids of those models are local ones, written plus the base:
    the primary key if `model` is one of them, and every foreign key to one of them. `moments`: a
    `formatted_moments()` shared by writers whose rows repeat timestamps (a sale's, in every table).
    """

    batch_size = 5000

    def __init__(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        *,
        bases: dict[type[models.Model], int] | None = None,
        moments: dict | None = None,
    ):
        self.model = model
        self.columns = list(columns)
        concrete = {f.attname: f for f in model._meta.concrete_fields}
        missing = [f for name, f in concrete.items() if name not in self.columns]
        self.extra_names = [f.attname for f in missing]
        self.extra_values = tuple(self._default(f) for f in missing)
        self.fields = [concrete[name] for name in self.columns] + missing
        bases = bases or {}
        self.offsets = tuple(self._base(f, bases) for f in self.fields[: len(self.columns)])
        self.moments = formatted_moments() if moments is None else moments
        self.count = 0

    @staticmethod
    def _base(field: models.Field, bases: dict) -> int | None:
        if field.primary_key:
            return bases.get(field.model)
        if field.is_relation:  # a ForeignKey or OneToOneField (the concrete fields)
            return bases.get(field.related_model)
        return None

    @staticmethod
    def _default(field: models.Field):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return timezone.now()
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if isinstance(field, (models.CharField, models.TextField)):
            return ""
        raise ValueError(f"{field.model.__name__}.{field.name} needs a value")

    def copy_chunks(self, rows: Iterable[tuple]) -> Iterator[tuple[str, int]]:
        """The rows as COPY text, `batch_size` rows a chunk: (text, number of rows)."""
        kinds = tuple(
            "id" if offset is not None else _column_kind(f)
            for f, offset in zip(self.fields[: len(self.columns)], self.offsets, strict=True)
        )
        fast, checked = _formatter(kinds, checked=False), _formatter(kinds)
        suffix = "".join("\t" + copy_text(value) for value in self.extra_values)
        offsets, moments = self.offsets, self.moments
        rows = iter(rows)
        while batch := list(itertools.islice(rows, self.batch_size)):
            try:
                text = fast(batch, suffix, offsets, moments)
            except (TypeError, AttributeError):  # a text column holds None or a non-str value
                text = checked(batch, suffix, offsets, moments)
            yield text, len(batch)

    def copy_sql(self) -> str:
        table = connection.ops.quote_name(self.model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        return f"COPY {table} ({names}) FROM STDIN"

    def write(self, rows: Iterable[tuple]) -> int:
        written = 0
        if connection.vendor == "postgresql":
            sink = _sink.get()
            if sink is not None:
                chunks = []
                for text, count in self.copy_chunks(rows):
                    chunks.append(text)
                    written += count
                sink.send(self.copy_sql(), chunks)
            else:
                with connection.cursor() as cursor, cursor.cursor.copy(self.copy_sql()) as copy:
                    for text, count in self.copy_chunks(rows):
                        copy.write(text)
                        written += count
            self.count += written
            return written
        table = connection.ops.quote_name(self.model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        extra = self.extra_values
        placeholders = ", ".join(["%s"] * len(self.fields))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        preps = [f.get_db_prep_save for f in self.fields]
        offsets = self.offsets
        with connection.cursor() as cursor:
            batch = []
            for row in rows:
                moved = [v + o if o is not None and v is not None else v for v, o in zip(row, offsets, strict=True)]
                full = (*moved, *extra)
                batch.append([prep(value, connection) for prep, value in zip(preps, full, strict=True)])
                if len(batch) >= self.batch_size:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                written += len(batch)
        self.count += written
        return written


class CopyStream:
    """COPY statements sent in order by one background thread on the current connection.

    psycopg releases the GIL while it waits on the socket, and the backend parses and stores the
    rows in its own process, so the caller's Python work overlaps with the load. While the stream is
    open nothing else may use the connection: the caller only formats rows (`TableWriter.write`).
    A failed COPY stops the stream; the error is raised in the caller at its next `send` or at
    `close`, and the caller's transaction is then rolled back as usual.
    """

    _STOP = object()

    def __init__(self, max_pending: int = 48):
        connection.ensure_connection()
        self._connection = connection.connection  # psycopg's, used by the thread only
        self._errors = connection.wrap_database_errors  # psycopg's errors as Django's, as a cursor would
        self._queue: queue.Queue = queue.Queue(max_pending)
        self._error: BaseException | None = None
        self._aborted = False
        self._thread = threading.Thread(target=self._run, name="savdo-copy-stream", daemon=True)
        self._thread.start()

    def send(self, sql: str, chunks: Sequence[str | bytes]) -> None:
        self._raise_failure()
        self._queue.put((sql, chunks))

    def close(self, *, abort: bool = False) -> None:
        """Wait until everything sent is stored; raises the COPY's error if one failed.

        `abort` (the caller failed, its transaction will be rolled back): skip what is still queued."""
        if abort:
            self._aborted = True
        self._queue.put(self._STOP)
        self._thread.join()
        if not abort:
            self._raise_failure()

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        with self._connection.cursor() as cursor:
            while (item := self._queue.get()) is not self._STOP:
                if self._error is not None or self._aborted:
                    continue  # drain, so that the caller never blocks on a full queue
                sql, chunks = item
                try:
                    with self._errors, cursor.copy(sql) as copy:
                        for chunk in chunks:
                            copy.write(chunk)
                except BaseException as error:  # handed to the caller's thread
                    self._error = error


class CopySink(Protocol):
    def send(self, sql: str, chunks: Sequence[str | bytes]) -> None: ...


_sink: contextvars.ContextVar[CopySink | None] = contextvars.ContextVar("savdo_copy_sink", default=None)


@contextlib.contextmanager
def copy_into(sink: CopySink):
    """Within the block, `TableWriter.write` on PostgreSQL hands its COPY statement and text to
    `sink` (a `CopyStream`, or a pipe to the process that owns the connection) instead of the
    connection."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


@contextlib.contextmanager
def copy_in_background():
    """Within the block, `TableWriter.write` on PostgreSQL queues its COPY for a background thread
    (see `CopyStream`), which the block yields; leaving the block waits until all of it is stored.
    Elsewhere: no change, and the block gets None."""
    if connection.vendor != "postgresql":
        yield None
        return
    stream = CopyStream()
    try:
        with copy_into(stream):
            yield stream
    except BaseException:
        stream.close(abort=True)
        raise
    stream.close()


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
