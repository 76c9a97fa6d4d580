"""Who a request is, cached: the user behind an access token and the membership it acts through.

Without it every API request runs two queries (the user with the token's revocation, then the
membership with its tenant) before doing any work. With it, a request whose token was seen before
reads the entry from the shared cache and one small statement from the database: the user's
generation (and, for an answer the response cache holds, that answer's data versions with it).

Correctness rests on a generation per user, a data version (`principal:v:user:<user id>`,
savdo/core/versions.py) kept in the database:
- an entry stores the generation it was built under and is used only while that is current;
- every change that can alter the answer starts a new generation: the user saved or deleted, one of
  their memberships saved or deleted, a tenant they belong to saved or deleted, or one of their
  access tokens revoked (sign-out). The new generation is written in the same transaction as the
  change, so it is visible exactly when the change is, and cannot be lost to a shared cache that
  was away at the time;
- the generation is read before the user and the membership, so an entry built from data read
  before a change carries the old generation.
Writes that bypass `save()` (`QuerySet.update()` on users, memberships or tenants) must call
`forget_user()` themselves; none do today.

On by default when a shared cache (Redis) is configured; with the per-process memory cache it
would not see other processes' changes, so it stays off unless `SAVDO_PRINCIPAL_CACHE` says so.
"""

import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from savdo.accounts.models import User
from savdo.accounts.signals import access_token_revoked
from savdo.api import readcache
from savdo.api.throttling import get_many_and_hit, window_hit
from savdo.core import versions
from savdo.tenancy.models import Membership, Tenant

# Tenant keys the cache keys may carry; anything else is resolved (and refused) without the cache.
CACHEABLE_TENANT_KEY = re.compile(r"[A-Za-z0-9_-]{0,64}")


@dataclass
class Principal:
    generation: int
    user: User
    membership: Membership | None


@dataclass
class Lookup:
    """What the authentication found in the cache, for the permission check to complete."""

    generation: int
    jti: str
    tenant_key: str
    expires_at: float
    principal: Principal | None
    versions: dict  # data versions read with the generation, for the response cache


def enabled() -> bool:
    return settings.SAVDO_PRINCIPAL_CACHE


def _generation_key(user_id) -> str:
    return versions.key("principal", "user", user_id)


def _entry_key(jti: str, tenant_key: str) -> str:
    return f"principal:{jti}:{tenant_key}"


def lookup(
    *,
    user_id,
    jti: str,
    tenant_key: str,
    expires_at: float,
    window: tuple[str, int] | None = None,
    view=None,
    method: str = "GET",
) -> tuple[Lookup | None, tuple[int, int] | None]:
    """The cached principal for this token and tenant key (None in `principal` on a miss), and,
    with a throttle `window` (key, seconds), that window's count after this request and seconds
    left (`savdo.api.throttling.window_hit`), read in the same round trip.

    The user's generation is read from the database; when the entry names a tenant and `view`
    answers this request from the response cache, that view's data versions come in the same
    statement (`Lookup.versions`), so a cached answer costs one statement in all.

    No lookup (None) when the request cannot use the cache (an odd tenant key).
    """
    if not CACHEABLE_TENANT_KEY.fullmatch(tenant_key):
        return None, window_hit(*window) if window else None
    entry_key = _entry_key(jti, tenant_key)
    found, hit = get_many_and_hit([entry_key], window)
    entry = found.get(entry_key)
    data_keys = []
    if entry is not None and entry.membership is not None and view is not None:
        data_keys = readcache.version_keys(view, method, entry.membership.tenant_id)
    generation, *values = versions.current([_generation_key(user_id), *data_keys])
    cached = entry is not None and entry.generation == generation and str(entry.user.pk) == str(user_id)
    return (
        Lookup(
            generation,
            jti,
            tenant_key,
            expires_at,
            entry if cached else None,
            dict(zip(data_keys, values, strict=True)) if cached else {},
        ),
        hit,
    )


def store(found: Lookup, *, user: User, membership: Membership | None) -> None:
    """Remember the principal read from the database under the generation read before it."""
    timeout = int(found.expires_at - time.time())
    if timeout <= 0:
        return
    principal = Principal(found.generation, user, membership)
    found.principal = principal
    cache.set(_entry_key(found.jti, found.tenant_key), principal, timeout)


def forget_user(user_id) -> None:
    """Start a new generation for this user, with the current transaction's COMMIT (at once outside
    one): in the database, so no entry built before the change is used after it, whatever became
    of the shared cache meanwhile."""
    if not enabled() or user_id is None:
        return
    versions.bump([_generation_key(user_id)])


@receiver([post_save, post_delete], sender=User, dispatch_uid="principals_user")
def _user_changed(sender, instance, **kwargs):
    forget_user(instance.pk)


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="principals_membership")
def _membership_changed(sender, instance, **kwargs):
    forget_user(instance.user_id)


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="principals_tenant")
def _tenant_changed(sender, instance, created=False, **kwargs):
    if created or not enabled():
        return
    for user_id in Membership.objects.filter(tenant_id=instance.pk).values_list("user_id", flat=True):
        forget_user(user_id)


@receiver(access_token_revoked, dispatch_uid="principals_revoked")
def _token_revoked(sender, user, **kwargs):
    forget_user(user.pk)
