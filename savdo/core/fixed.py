"""Fixed reads: querysets whose shape never changes, compiled by the ORM once per process.

Django builds and compiles a queryset's SQL every time it is evaluated. For the till's few row
reads (the pending sale with its shift, a sale's lines, a product with its stock on hand) that was
a third of a request's Python, for SQL that is the same every time but for an id or two.

A `FixedQuery` is written as an ordinary queryset of its (integer) arguments. The first call on a
database builds that queryset with marker values, compiles it, and notes where the markers land
among the SQL parameters. Every call then runs that SQL with its own values in those places and
builds the rows as the queryset would: `Model.from_db`, `select_related` objects, annotations and
the fields' converters, with Django's own helpers. Statements still go through the connection's
cursor, so query logging, `CaptureQueriesContext` and the SQL statistics see them.

Only what a fixed shape can hold: integer arguments (ids) or short lists of them (a plan per
length, for `__in`), model rows (no `values()`), no `prefetch_related`. A marker that does not come
through as a parameter is refused when compiling.

`SAVDO_FIXED_QUERIES=0` switches the fixed reads and writes off, to measure what they save: a call
evaluates its queryset, `read_together` runs its reads one after the other, and the writes go
through the ORM (`save()`, `bulk_create`, `QuerySet.update`), with the same results.
"""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.models import Case, F, QuerySet, Value, When, signals
from django.db.models.functions import Cast
from django.db.models.query import ModelIterable, get_related_populators

from savdo.core.batching import after_commit_results, can_pipeline, queuing
from savdo.core.sql import prepared

# Values no id takes, one per argument (per element of a list argument).
_MARKER_BASE = -(2**62)
MAX_LIST = 32  # list arguments up to this long get a plan per length; longer ones run as querysets


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple
    slots: tuple[tuple[int, ...], ...]  # per argument, where it goes among the parameters
    model: type
    init_list: list[str]
    model_slice: slice
    related_populators: list
    annotation_col_map: dict[str, int]
    converters: list  # [(position, (converters, expression))]


class FixedQuery:
    """`FixedQuery(lambda tenant_id, pk: Model.objects.filter(tenant_id=tenant_id, pk=pk))`; calling
    it with the arguments returns the list of rows the queryset would."""

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._plans: dict[tuple, _Plan] = {}

    def __call__(self, *args: int | Sequence[int], using: str = DEFAULT_DB_ALIAS) -> list:
        if not settings.SAVDO_FIXED_QUERIES:
            return list(self.build(*args).using(using))
        statement = self._statement(args, using)
        if statement is None:
            return list(self.build(*args).using(using))
        plan, params = statement
        with connections[using].cursor() as cursor:
            cursor.execute(plan.sql, params)
            return self._rows(plan, cursor.fetchall(), using)

    def _statement(self, args: tuple, using: str) -> tuple[_Plan, list] | None:
        """The plan and parameters for these arguments; None for a list argument too long (or empty)
        to have a plan: that call runs as a queryset."""
        values, shape = [], []
        for arg in args:
            if isinstance(arg, (list, tuple)):
                if not 0 < len(arg) <= MAX_LIST:  # no plan per length beyond that; empty: no query at all
                    return None
                values += arg
                shape.append(len(arg))
            else:
                values.append(arg)
                shape.append(None)
        if any(type(value) is not int for value in values):
            raise TypeError(f"FixedQuery takes integers and lists of integers, not {args!r}")
        key = (using, *shape)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._compile(shape, using)
        params = list(plan.params)
        for value, slots in zip(values, plan.slots, strict=True):
            for slot in slots:
                params[slot] = value
        return plan, params

    def _rows(self, plan: _Plan, rows: list, using: str) -> list:
        if plan.converters:
            rows = _converted(rows, plan.converters, connections[using])
        return [self._instance(plan, row, using) for row in rows]

    def first(self, *args: int | Sequence[int], using: str = DEFAULT_DB_ALIAS):
        """The first row, or None (for reads of one row by its keys)."""
        rows = self(*args, using=using)
        return rows[0] if rows else None

    @staticmethod
    def _instance(plan: _Plan, row, using: str):
        obj = plan.model.from_db(using, plan.init_list, row[plan.model_slice])
        for populator in plan.related_populators:
            populator.populate(row, obj)
        for name, position in plan.annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj

    def _compile(self, shape: list[int | None], using: str) -> _Plan:
        markers = [_MARKER_BASE + index for index in range(sum(n or 1 for n in shape))]
        arguments, taken = [], 0
        for length in shape:
            arguments.append(markers[taken] if length is None else markers[taken : taken + length])
            taken += length or 1
        queryset = self.build(*arguments)
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:
            raise ValueError("FixedQuery holds model rows without prefetch_related only")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        params = tuple(params)
        slots = tuple(tuple(i for i, p in enumerate(params) if p == marker and type(p) is int) for marker in markers)
        if not all(slots):
            raise ValueError("FixedQuery: an argument did not come through as an SQL parameter")
        # as ModelIterable reads a compiled queryset's rows
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        model_slice = slice(fields[0], fields[-1] + 1)
        return _Plan(
            sql=prepared(sql),
            params=params,
            slots=slots,
            model=klass_info["model"],
            init_list=[f[0].target.attname for f in select[model_slice]],
            model_slice=model_slice,
            related_populators=get_related_populators(klass_info, select, using),
            annotation_col_map=dict(compiler.annotation_col_map or {}),
            converters=list(compiler.get_converters([s[0] for s in select[: compiler.col_count]]).items()),
        )


def read_together(*reads: tuple[FixedQuery, tuple], using: str = DEFAULT_DB_ALIAS) -> list[list]:
    """Run fixed reads, each `(query, args)`, in one round trip; returns each one's rows, as calling
    it would. On PostgreSQL the statements are sent together in pipeline mode and run on the server
    one after the other, in the order given (the order row locks are taken in); a transaction's
    BEGIN goes with them (savdo/core/postgresql/connection.py; on Django's stock backend psycopg
    sends the BEGIN first, on its own). Elsewhere, when one of them has no plan, or with the fixed
    reads switched off, they run one after the other as calls."""
    if not settings.SAVDO_FIXED_QUERIES:
        return [query(*args, using=using) for query, args in reads]
    connection = connections[using]
    statements = [query._statement(args, using) for query, args in reads]
    if None in statements or not can_pipeline(connection):
        return [query(*args, using=using) for query, args in reads]
    connection.ensure_connection()
    raw = connection.connection
    together = getattr(raw, "together", None) or raw.pipeline  # Savdo's Connection, or psycopg's
    cursors = []
    try:
        with connection.wrap_database_errors, together():
            for plan, params in statements:
                cursor = connection.cursor()
                cursors.append(cursor)
                cursor.execute(plan.sql, params)
        return [
            query._rows(plan, cursor.fetchall(), using)
            for (query, _args), (plan, _params), cursor in zip(reads, statements, cursors, strict=True)
        ]
    finally:
        for cursor in cursors:
            cursor.close()


def _converted(rows, converters, connection) -> list[list]:
    """`SQLCompiler.apply_converters`, with the calling thread's connection."""
    out = []
    for row in rows:
        row = list(row)
        for position, (functions, expression) in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        out.append(row)
    return out


# --- fixed writes ----------------------------------------------------------------------------------

# (model, shape, database) -> (SQL, fields, the relations among them)
_WRITES: dict[tuple, tuple[str, list, frozenset]] = {}


def save_row(obj, update_fields: Sequence[str] | None = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """`obj.save()` or `obj.save(update_fields=...)`, with the statement written once per process.

    Django builds a queryset, an insert or update query and its compiler for every `save()`; for
    the till's writes of one row (a sale line, a sale's totals) that was most of the write's
    Python (an update of a few columns: ~0.27 ms of CPU, here ~0.1). Here the statement is built
    from the model's columns once per (model, fields, database), and each call only prepares the
    values as Django would (`pre_save`, so `auto_now` fields move, then `get_db_prep_save`).
    `pre_save` and `post_save` are sent as `save()` sends them, so the read caches' versions move
    as before.

    An unsaved row (`_state.adding`) is inserted with every column but its auto id, which is read
    back (`RETURNING`); a saved row updates `update_fields`, or every column. Related rows are
    checked (and their ids taken) as `save()` checks them. Like `save()`, an update that finds no
    row raises DatabaseError (where `save()` without `update_fields` would insert it). In a
    transaction that queues its writes (`savdo.core.batching`) the id and that check come with the
    COMMIT's answer: queue only updates of rows the transaction holds locked. Models with their own
    `save()`, parents, generated columns or database defaults, and databases that cannot return
    inserted ids, are left to `save()`.
    """
    model = type(obj)
    meta = model._meta
    connection = connections[using]
    adding = obj._state.adding
    if not settings.SAVDO_FIXED_QUERIES and not adding and queuing(using):
        _orm_update(obj, update_fields, using)
        return
    if (
        not settings.SAVDO_FIXED_QUERIES
        or model.save is not models.Model.save
        or not _plain_columns(model)
        or (adding and (obj.pk is not None or not connection.features.can_return_columns_from_insert))
    ):
        obj.save(update_fields=update_fields, using=using)
        return
    names = None if update_fields is None else frozenset(update_fields)
    sql, fields, relations = _statement(model, 1 if adding else names, connection)
    if relations:
        # as save() checks them; a set, not the list of columns: Django tests `field in fields` for
        # each of the model's fields, and a list made that ~400 field comparisons per write
        obj._prepare_related_fields_for_save(operation_name="save", fields=relations)
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=names)
    params = [field.get_db_prep_save(field.pre_save(obj, adding), connection) for field in fields]
    if not adding:
        params.append(meta.pk.get_db_prep_value(obj.pk, connection))

    def answered(cursor):
        if adding:
            obj.pk = cursor.fetchone()[0]
        elif cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")

    _write(connection, sql, params, answered)
    obj._state.adding = False
    obj._state.db = using
    signals.post_save.send(sender=model, instance=obj, created=adding, update_fields=names, raw=False, using=using)


MAX_ROWS = 32  # inserts of up to this many rows get a statement per row count


def insert_rows(objs: list, using: str = DEFAULT_DB_ALIAS) -> bool:
    """`bulk_create(objs)` of a few new rows of one model, with the statement written once per row
    count and process; False (nothing done) where it is left to Django's `bulk_create`.

    Django 5.2 inserts through `UNNEST` of one array per column on PostgreSQL: building and dumping
    the arrays cost a checkout ~0.23 ms per insert of two or three rows (0.39 ms in all; here
    0.16). Values are prepared as `bulk_create` prepares them (related rows checked and their ids
    taken, `pre_save`, `get_db_prep_save`), ids are read back, and no signals are sent, as there.
    Left to Django: no rows or more than `MAX_ROWS`, rows with ids, mixed models, models with
    parents, generated columns or database defaults, and databases that do not return ids.
    """
    if not settings.SAVDO_FIXED_QUERIES or not 0 < len(objs) <= MAX_ROWS:
        return False
    model = type(objs[0])
    connection = connections[using]
    if (
        not connection.features.can_return_rows_from_bulk_insert
        or not _plain_columns(model)
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
    ):
        return False
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    sql, fields, _relations = _statement(model, len(objs), connection)
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs for field in fields]

    def answered(cursor):
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk

    _write(connection, sql, params, answered)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return True


# (model, key column, added column, key count, columns set, database) -> SQL
_ADDS: dict[tuple, str] = {}


def add_by_key(
    model, *, tenant_id: int, key: str, column: str, deltas: dict, values: dict | None = None, using=DEFAULT_DB_ALIAS
) -> None:
    """`UPDATE ... SET column = column + CASE key WHEN k THEN delta ... END [, name = value ...]
    WHERE tenant_id = .. AND key IN (..)`: add each `deltas[k]` to the tenant's row whose `key`
    field is k, and set `values` on those rows; the statement written once per shape. Never
    read-add-save: concurrent adders both count. The row count is not read (the write may go with
    the COMMIT, `savdo.core.batching`). The caller renews the versions (`savdo.core.models.updated`)."""
    if not deltas:
        return
    connection = connections[using]
    meta = model._meta
    key_field = meta.pk if key == "pk" else meta.get_field(key)
    added = meta.get_field(column)
    if not settings.SAVDO_FIXED_QUERIES:
        _orm_add_by_key(model, tenant_id, key, added, deltas, values or {}, using)
        return
    names = tuple(sorted(values or ()))
    shape = (model, key_field.column, added.column, len(deltas), names, using)
    sql = _ADDS.get(shape)
    if sql is None:
        quote = connection.ops.quote_name
        then = "%s"
        if connection.features.requires_casted_case_in_updates:
            then = f"CAST(%s AS {added.cast_db_type(connection)})"
        target, by = quote(added.column), quote(key_field.column)
        case = f"CASE {by} " + " ".join([f"WHEN %s THEN {then}"] * len(deltas)) + " ELSE 0 END"
        assignments = [f"{target} = {target} + ({case})"]
        assignments += [f"{quote(meta.get_field(name).column)} = %s" for name in names]
        keys = ", ".join(["%s"] * len(deltas))
        tenant = quote(meta.get_field("tenant").column)
        sql = _ADDS[shape] = prepared(
            f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {tenant} = %s AND {by} IN ({keys})"
        )
    pairs = sorted(deltas.items())
    params = []
    for key_value, delta in pairs:
        params += [key_field.get_db_prep_value(key_value, connection), added.get_db_prep_save(delta, connection)]
    params += [meta.get_field(name).get_db_prep_save(values[name], connection) for name in names]
    params.append(tenant_id)
    params += [key_field.get_db_prep_value(key_value, connection) for key_value, _delta in pairs]
    _write(connection, sql, params, lambda cursor: None)


def _orm_update(obj, update_fields: Sequence[str] | None, using: str) -> None:
    """`save_row`'s update of a saved row through the ORM, inside a transaction that queues its
    writes (fixed writes switched off): `save()` would read the row count, which is only known after
    the COMMIT, so this is its update as `QuerySet.update()` (built and compiled by the ORM on each
    call), between the signals `save()` sends. Like the ORM's queued updates, a row that is gone is
    not noticed: queue only updates of rows the transaction holds locked."""
    model = type(obj)
    names = None if update_fields is None else frozenset(update_fields)
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
    if names is not None:
        fields = [f for f in fields if f.name in names or f.attname in names]
    relations = frozenset(f for f in fields if f.is_relation)
    if relations:
        obj._prepare_related_fields_for_save(operation_name="save", fields=relations)
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=names)
    changes = {field.attname: field.pre_save(obj, False) for field in fields}
    model._base_manager.using(using).filter(pk=obj.pk).update(**changes)
    obj._state.db = using
    signals.post_save.send(sender=model, instance=obj, created=False, update_fields=names, raw=False, using=using)


def _orm_add_by_key(model, tenant_id: int, key: str, added, deltas: dict, values: dict, using: str) -> None:
    """`add_by_key` as `QuerySet.update()` with `Case(When(...))`, built by the ORM on each call
    (fixed writes switched off); written as Django's `bulk_update` writes its CASE."""
    case = Case(
        *[
            When(**{key: key_value}, then=Value(delta, output_field=added))
            for key_value, delta in sorted(deltas.items())
        ],
        default=Value(0, output_field=added),
        output_field=added,
    )
    if connections[using].features.requires_casted_case_in_updates:
        case = Cast(case, output_field=added)
    rows = model._base_manager.using(using).filter(tenant_id=tenant_id, **{f"{key}__in": list(deltas)})
    rows.update(**{added.attname: F(added.attname) + case}, **values)


def _write(connection, sql: str, params: list, answered: Callable) -> None:
    """Execute a write; `answered(cursor)` reads its answer (ids, the row count) at once, or after
    the COMMIT when the transaction queues its writes (`savdo.core.batching`)."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
    except BaseException:
        cursor.close()
        raise

    def read():
        with cursor:
            answered(cursor)

    after_commit_results(read, connection.alias)


@functools.cache
def _plain_columns(model) -> bool:
    """Whether every column is written from the row's own value (no parents, no generated columns,
    no database defaults)."""
    meta = model._meta
    return not meta.parents and not any(
        f.generated or f.db_default is not models.NOT_PROVIDED for f in meta.local_concrete_fields
    )


def _statement(model, shape: int | frozenset | None, connection) -> tuple[str, list, frozenset]:
    """The statement of a write: the insert of `shape` rows (an int), or the update of these field
    names (None: every column), with its fields and the relations among them; built once per
    model, shape and database."""
    key = (model, shape, connection.alias)
    statement = _WRITES.get(key)
    if statement is None:
        sql, fields = _write_statement(model, shape, connection)
        statement = _WRITES[key] = (sql, fields, frozenset(f for f in fields if f.is_relation))
    return statement


def _write_statement(model, shape: int | frozenset | None, connection) -> tuple[str, list]:
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    fields = [f for f in meta.local_concrete_fields if not f.primary_key]
    if isinstance(shape, int):
        columns = ", ".join(quote(f.column) for f in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        rows = ", ".join([row] * shape)
        returning, _ = connection.ops.return_insert_columns([meta.pk])
        return prepared(f"INSERT INTO {table} ({columns}) VALUES {rows} {returning}"), fields
    names = shape
    if names is not None:
        fields = [f for f in fields if f.name in names or f.attname in names]
        if len(fields) != len(names):
            raise ValueError(f"{meta.label} has no columns named {sorted(names)}")
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    return prepared(f"UPDATE {table} SET {assignments} WHERE {quote(meta.pk.column)} = %s"), fields
