"""Writing the change log. Every service write ends up here, in the caller's transaction.

The API kernel records the create/update/delete/command it runs (`savdo.api.kernel`); services
that change rows the kernel does not see (bulk updates, imports, balance moves) call
`change_record` / `change_record_many` themselves. A service that logs the very object it writes,
with its own action names and fields (the staff services), says so with `@logs_itself`: the kernel
then adds no row of its own.
"""

import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import models

from savdo.audit.context import current_actor_id
from savdo.audit.models import ChangeAction, ChangeLogEntry

# Never copied into the log: secrets, and digests that only repeat other fields.
NEVER_LOGGED = frozenset({"password", "search_text", "token", "secret", "api_key", "access_token", "bot_token"})

Service = TypeVar("Service", bound=Callable[..., Any])


def logs_itself(service: Service) -> Service:
    """Mark a service that writes the change-log rows of the object it writes itself (its own action
    names and fields, none for a write that changed nothing): the API kernel, which logs every
    create/update/destroy it runs through a declared service, adds none for it."""
    service.logs_itself = True  # type: ignore[attr-defined]
    return service


def json_value(value: Any) -> Any:
    """A field value as the log stores it (JSON)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def _loggable(field) -> bool:
    name = field.name
    return field.concrete and not field.many_to_many and name not in NEVER_LOGGED and "secret" not in name


def snapshot(instance: models.Model, fields: Sequence[str] | None = None) -> dict[str, Any]:
    """The loggable concrete fields of `instance` (relations by id) as JSON values."""
    meta = instance._meta
    chosen = [meta.get_field(name) for name in fields] if fields else [f for f in meta.concrete_fields if _loggable(f)]
    return {field.name: json_value(getattr(instance, field.attname)) for field in chosen if field.concrete}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list]:
    """`{field: [before, after]}` for every field whose value differs (all fields on create/delete)."""
    before = before or {}
    after = after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in {**before, **after}
        if name not in ("updated_at",) and before.get(name) != after.get(name)
    }


def object_type_of(model) -> str:
    return model._meta.label_lower


def _entry(*, tenant_id, action, object_type, object_id, object_repr, changes, actor_id) -> ChangeLogEntry:
    return ChangeLogEntry(
        tenant_id=tenant_id,
        actor_id=actor_id if actor_id is not None else current_actor_id(),
        action=str(action)[:40],
        object_type=object_type,
        object_id=object_id,
        object_repr=str(object_repr)[:200],
        changes=changes,
    )


def change_record(
    *,
    instance: models.Model,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    changes: dict[str, list] | None = None,
    actor_id: int | None = None,
    tenant_id: int | None = None,
) -> ChangeLogEntry | None:
    """Log one write to `instance` (a tenant-owned row). `changes` wins over `before`/`after`.

    An update that changed nothing is not logged (returns None); creates, deletes and commands are
    always logged, so a command with no field change still says who ran it and when.
    """
    if changes is None:
        changes = diff(before, after)
    if not changes and action == ChangeAction.UPDATE:
        return None
    entry = _entry(
        tenant_id=tenant_id if tenant_id is not None else instance.tenant_id,
        action=action,
        object_type=object_type_of(type(instance)),
        object_id=instance.pk,
        object_repr=instance,
        changes=changes,
        actor_id=actor_id,
    )
    # bulk_create, not save(): inside the till's batched transactions (savdo.core.batching) the
    # INSERT is queued with the COMMIT instead of costing a round trip of its own.
    ChangeLogEntry.objects.bulk_create([entry])
    return entry


def change_record_many(
    *,
    model,
    tenant_id: int,
    action: str,
    rows: Iterable[tuple[int, str, dict[str, list]]],
    actor_id: int | None = None,
) -> int:
    """Log a bulk write in one INSERT: `rows` are (object id, object repr, changes)."""
    entries = [
        _entry(
            tenant_id=tenant_id,
            action=action,
            object_type=object_type_of(model),
            object_id=object_id,
            object_repr=object_repr,
            changes=changes,
            actor_id=actor_id,
        )
        for object_id, object_repr, changes in rows
    ]
    if entries:
        ChangeLogEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)
