"""The shared kernel's models: the base every tenant-owned business row stands on."""

from django.db import connections, models
from django.db.models.expressions import RawSQL

from savdo.core import batching, counts
from savdo.core.fixed import insert_rows


class QueuedRowCount:
    """What `update()` returns while writes are queued until the COMMIT (savdo/core/batching.py):
    the number of rows is not known yet, and any attempt to use it raises instead of reading -1."""

    def _refuse(self, *args):
        raise RuntimeError(
            "The row count of a write queued until the COMMIT is not known: do not branch on it "
            "inside send_with_commit() (savdo/core/batching.py)."
        )

    __bool__ = __int__ = __index__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __float__ = _refuse
    __hash__ = None

    def __repr__(self) -> str:
        return "<row count not known until the COMMIT>"


QUEUED_ROW_COUNT = QueuedRowCount()


def tenant_ids_filtered(queryset) -> list | None:
    """The tenant ids a top-level `tenant=` / `tenant__in=` filter of `queryset` names, or None when
    it has no such filter."""
    for child in queryset.query.where.children:
        target = getattr(getattr(child, "lhs", None), "target", None)
        if target is None or target.name != "tenant" or target.model is not queryset.model._meta.concrete_model:
            continue
        rhs = child.rhs
        if child.lookup_name == "exact" and isinstance(rhs, int):
            return [rhs]
        if child.lookup_name == "in" and isinstance(rhs, (list, tuple, set)) and all(isinstance(v, int) for v in rhs):
            return list(rhs)
    return None


def _tenant_ids(queryset) -> list:
    """The tenants a queryset's rows belong to: read off a top-level `tenant=` / `tenant__in=`
    filter when there is one (every service writes that way), else asked from the database."""
    named = tenant_ids_filtered(queryset)
    if named is not None:
        return named
    return list(queryset.order_by().values_list("tenant_id", flat=True).distinct())


def updated(model, tenant_ids, fields, using: str) -> None:
    """Renew the versions an update of `fields` of these tenants' rows makes stale (what
    `TenantQuerySet.update` does; for writes that bypass it)."""
    neutral = getattr(model, "count_neutral_fields", frozenset())
    counts.changed(model, tenant_ids, rows_only=set(fields) <= neutral, using=using)


class TenantQuerySet(models.QuerySet):
    """Every read of a tenant-owned model starts with `for_tenant`: nothing reads across tenants.

    For models with a `data_scope` or `count_scope` (savdo/core/counts.py, versions.py), bulk
    writes renew their tenants' versions as `save()`/`delete()` do through signals.
    `count_neutral_fields` on the model names fields no list filters on; updates of only those keep
    the cached totals (a sale's F() update of a customer's statistics must not drop them), and
    renew only the data version.
    """

    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)

    def update(self, **kwargs):
        if counts.data_scope(self.model) is None:
            rows = super().update(**kwargs)
        else:
            tenant_ids = _tenant_ids(self)
            rows = super().update(**kwargs)
            updated(self.model, tenant_ids, kwargs, using=self.db)
        return QUEUED_ROW_COUNT if batching.queuing(self.db) else rows

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        """Django's, except that a few new rows with no options take a statement written once
        (`savdo.core.fixed.insert_rows`)."""
        objs = list(objs)
        if args or kwargs or not insert_rows(objs, using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
        else:
            created = objs
        counts.changed(self.model, [obj.tenant_id for obj in created], using=self.db)
        return created

    def bulk_update(self, objs, fields, batch_size=None):
        """Django's `bulk_update` as one UPDATE whose `SET col = CASE pk WHEN .. THEN .. END` is
        written straight from the values: Django builds a `When` and a `Value` object per row and
        field and compiles them, which was most of a checkout's line costing. Plain values of plain
        columns only; anything else (expressions, relations, unsaved rows, batches) goes to Django's.
        Runs through `update()`, so the queryset's filters and the version renewals apply as there."""
        objs = list(objs)
        meta = self.model._meta
        targets = [meta.get_field(name) for name in fields] if fields else []
        plain = (
            objs
            and targets
            and batch_size is None
            and all(f.concrete and not f.is_relation and not f.primary_key for f in targets)
            and all(obj.pk is not None for obj in objs)
            and not any(hasattr(getattr(obj, f.attname), "resolve_expression") for obj in objs for f in targets)
        )
        if not plain:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        changes = {
            field.attname: self.keyed_case(meta.pk, field, [(obj.pk, getattr(obj, field.attname)) for obj in objs])
            for field in targets
        }
        return self.filter(pk__in=[obj.pk for obj in objs]).update(**changes)

    bulk_update.alters_data = True

    def keyed_case(self, key, field, pairs, default=None) -> RawSQL:
        """`CASE key WHEN k1 THEN v1 ... [ELSE default] END` for `field`'s values, written straight
        as SQL with parameters (Django's `Case(When(...))` builds and compiles an object per row).
        `key` and `field` are fields of this queryset's model; `pairs` are (key value, field value)."""
        connection = connections[self.db]
        then = (
            f"CAST(%s AS {field.cast_db_type(connection)})"
            if connection.features.requires_casted_case_in_updates
            else "%s"
        )
        params = []
        for key_value, value in pairs:
            params += [key.get_db_prep_value(key_value, connection), field.get_db_prep_save(value, connection)]
        sql = f"CASE {connection.ops.quote_name(key.column)} " + " ".join([f"WHEN %s THEN {then}"] * len(pairs))
        if default is not None:
            params.append(field.get_db_prep_save(default, connection))
            sql += f" ELSE {then}"
        return RawSQL(sql + " END", params, output_field=field)


class TenantOwned(models.Model):
    """Abstract base of every business row: it belongs to exactly one tenant (`tenant_id`).

    Per-business unique constraints must include `tenant`, and foreign keys between tenant-owned
    rows never cross tenants (services and serializers scope every related lookup to the tenant).
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class DataVersion(models.Model):
    """The current version of one scope of one tenant's data, which the read caches key their
    answers on (savdo/core/versions.py). Written only by `versions`, in the writing transaction.
    Not tenant-owned: it holds no store's data, and readers look it up before anything else."""

    key = models.CharField(primary_key=True, max_length=120)
    value = models.BigIntegerField()

    class Meta:
        db_table = "core_dataversion"

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"
