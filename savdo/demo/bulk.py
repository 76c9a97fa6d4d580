"""Bulk loading into the real models' tables: COPY on PostgreSQL, batched INSERTs on SQLite.

Rows are written with explicit primary keys (allocated here), so related rows can be written
without reading ids back; sequences are reset at the end. Columns not given get the model field's
default, so rows are complete whatever the model adds later.
"""

from collections.abc import Iterable, Sequence

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone


class IdAllocator:
    def __init__(self):
        self._next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model], count: int = 1) -> int:
        """The first of `count` fresh primary keys for `model`."""
        if model not in self._next:
            last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
            self._next[model] = last + 1
        first = self._next[model]
        self._next[model] += count
        return first


class TableWriter:
    """Writes tuples of `columns` (attnames) into `model`'s table; other columns get defaults."""

    batch_size = 5000

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        self.columns = list(columns)
        concrete = {f.attname: f for f in model._meta.concrete_fields}
        missing = [f for name, f in concrete.items() if name not in self.columns]
        self.extra_names = [f.attname for f in missing]
        self.extra_values = tuple(self._default(f) for f in missing)
        self.fields = [concrete[name] for name in self.columns] + missing
        self.count = 0

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

    def write(self, rows: Iterable[tuple]) -> int:
        table = connection.ops.quote_name(self.model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        extra = self.extra_values
        written = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + extra)
                        written += 1
            else:
                placeholders = ", ".join(["%s"] * len(self.fields))
                sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
                preps = [f.get_db_prep_save for f in self.fields]
                batch = []
                for row in rows:
                    full = row + extra
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


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
