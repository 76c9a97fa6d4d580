"""Idempotency keys, as Stripe does them: a retried request with the same key returns the first answer.

Usable by any command (sale checkout and refund today; telecom payments later)::

    response, replayed = run_idempotent(
        tenant=tenant, key=request.headers.get("Idempotency-Key"),
        fingerprint=request_fingerprint(request.method, path, user_id, body),
        operation=lambda: StoredResponse(200, do_the_thing()),
    )

How the database is the judge:
1. The key is claimed by INSERTing its (tenant, key) row in its own short transaction, state
   `in_progress`. The unique constraint decides which of several concurrent requests runs.
2. The winner runs `operation` and, in the SAME transaction as the operation's writes, stores the
   response and marks the key `done`. Either both commit or neither does.
3. A loser finds the row: a different fingerprint (another body, path or user) -> 422;
   `in_progress` -> 409; `done` -> the stored response, replayed (nothing runs again).
4. An operation that raises (a 4xx refusal, a crash) changed nothing; the claim is deleted so the
   client may retry with the same key. A claim left behind by a dead process is taken over once it
   is older than `STALE_AFTER`.
Keys live `DEFAULT_TTL` (24 hours) at least; `idempotency_purge_expired` deletes older ones.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from savdo.sales.choices import IdempotencyState
from savdo.sales.models import IdempotencyKey
from savdo.tenancy.models import Tenant

DEFAULT_TTL = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=2)
MAX_KEY_LENGTH = 255


class IdempotencyInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being processed; retry later.")
    default_code = "idempotency_in_progress"


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used for a different request.")
    default_code = "idempotency_key_reused"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


class _NotStored(Exception):
    def __init__(self, response: StoredResponse):
        self.response = response


def request_fingerprint(*parts: Any) -> str:
    """A stable hash of what makes two requests "the same" (method, path, user, parsed body)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _insert_claim(**fields) -> IdempotencyKey:
    """INSERT the claim row, committed at once. Outside a transaction the INSERT is its own (no
    BEGIN/COMMIT round trips); inside a caller's, a savepoint keeps a conflict from breaking it."""
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return IdempotencyKey.objects.create(**fields)
    return IdempotencyKey.objects.create(**fields)


def _claim(
    *, tenant: Tenant, key: str, fingerprint: str, ttl: timedelta
) -> tuple[IdempotencyKey | None, StoredResponse | None]:
    """Take the key (row, None) or learn its stored answer (None, response); raise 409/422 otherwise."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            row = _insert_claim(
                tenant=tenant, key=key, fingerprint=fingerprint, created_at=now, updated_at=now, expires_at=now + ttl
            )
            return row, None
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(tenant=tenant, key=key).first()
        if existing is None:  # released between our insert and this read: try again
            continue
        if existing.expires_at <= now:
            IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if existing.state == IdempotencyState.DONE:
            return None, StoredResponse(existing.response_status, json.loads(existing.response_body))
        if existing.updated_at <= now - STALE_AFTER:
            taken = IdempotencyKey.objects.filter(
                pk=existing.pk, state=IdempotencyState.IN_PROGRESS, updated_at=existing.updated_at
            ).update(updated_at=now)
            if taken:
                existing.updated_at = now
                return existing, None
        raise IdempotencyInProgress()
    raise IdempotencyInProgress()


def run_idempotent(
    *,
    tenant: Tenant,
    key: str | None,
    fingerprint: str,
    operation: Callable[[], StoredResponse],
    ttl: timedelta = DEFAULT_TTL,
) -> tuple[StoredResponse, bool]:
    """Run `operation` at most once per (tenant, key); returns (response, replayed).

    Without a key the operation simply runs. `operation` raises to refuse (nothing is stored then);
    a response with status >= 400 is returned but not stored either. Preconditions: `operation`
    makes its writes through the database connection this runs on (they share one transaction).
    """
    if key is None or key == "":
        return operation(), False
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"Idempotency-Key": [_("The Idempotency-Key header must be 1 to 255 characters.")]})
    row, stored = _claim(tenant=tenant, key=key, fingerprint=fingerprint, ttl=ttl)
    if stored is not None:
        return stored, True
    try:
        with transaction.atomic():
            response = operation()
            if response.status >= 400:
                raise _NotStored(response)
            IdempotencyKey.objects.filter(pk=row.pk).update(
                state=IdempotencyState.DONE,
                response_status=response.status,
                response_body=json.dumps(response.body, cls=DjangoJSONEncoder, ensure_ascii=False),
                updated_at=timezone.now(),
            )
    except _NotStored as refused:
        _release(row)
        return refused.response, False
    except BaseException:
        _release(row)
        raise
    return response, False


def _release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyState.IN_PROGRESS).delete()


def idempotency_purge_expired(*, now=None) -> int:
    """Delete keys past their expiry (run daily; keys are kept at least `DEFAULT_TTL`)."""
    deleted, _by_model = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
