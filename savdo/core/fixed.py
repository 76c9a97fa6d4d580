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
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators

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
        values, shape = [], []
        for arg in args:
            if isinstance(arg, (list, tuple)):
                if not 0 < len(arg) <= MAX_LIST:  # no plan per length beyond that; empty: no query at all
                    return list(self.build(*args).using(using))
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
        with connections[using].cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
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
            sql=sql,
            params=params,
            slots=slots,
            model=klass_info["model"],
            init_list=[f[0].target.attname for f in select[model_slice]],
            model_slice=model_slice,
            related_populators=get_related_populators(klass_info, select, using),
            annotation_col_map=dict(compiler.annotation_col_map or {}),
            converters=list(compiler.get_converters([s[0] for s in select[: compiler.col_count]]).items()),
        )


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
