"""Membership writes: who works in a tenant and in which role (the staff API's rules).

Rules (enforced here for every caller):
- only an owner or an administrator manages staff;
- an administrator can neither make anyone an owner nor change, deactivate or reactivate an
  owner: only another owner can;
- the tenant always keeps at least one active owner.

Every write locks the tenant's row first, so two owners demoting each other at the same moment
are applied one after the other and the second is refused.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status as http
from rest_framework.exceptions import APIException, NotFound, PermissionDenied

from savdo.accounts.services import user_create
from savdo.tenancy.models import Membership, Role, Tenant
from savdo.tenancy.roles import ADMINS


class LastOwnerRefused(APIException):
    """Taking away the tenant's last active owner (400, `{"status": "error", "message"}`)."""

    status_code = http.HTTP_400_BAD_REQUEST
    default_code = "last_owner"
    default_detail = gettext_lazy("The store's last owner cannot be demoted or deactivated.")


def _lock_tenant(tenant: Tenant) -> None:
    Tenant.objects.select_for_update().only("id").get(pk=tenant.pk)


def _require_staff_admin(actor: Membership) -> None:
    if not actor.is_active or actor.role not in ADMINS:
        raise PermissionDenied(_("Only the owner or an administrator can manage staff."))


def _require_may_touch(*, actor: Membership, membership: Membership) -> None:
    if membership.tenant_id != actor.tenant_id:
        raise NotFound()
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can change or remove another owner."))


def _require_another_owner(membership: Membership) -> None:
    """Refuse to take away the tenant's last active owner."""
    if membership.role != Role.OWNER or not membership.is_active:
        return
    others = (
        Membership.objects.filter(tenant_id=membership.tenant_id, role=Role.OWNER, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise LastOwnerRefused()


def _check_role(*, actor: Membership, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": [_("Select a valid choice.")]})
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can make someone an owner."))


def _fresh(membership: Membership) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(pk=membership.pk)


@transaction.atomic
def membership_create(
    *,
    actor: Membership,
    username: str,
    role: str = Role.CASHIER,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Membership:
    """Add a member to the actor's tenant.

    With `password`: a new user is created (username and email must be free, the password passes
    Django's validators, the phone is E.164). Without: the existing user with that username
    (case-insensitive) joins; the other profile fields are then ignored. Someone who is already
    a member (active or deactivated) is refused: reactivate a deactivated member instead.
    Preconditions: the actor is an owner or an admin; only an owner adds an owner.
    """
    _require_staff_admin(actor)
    _check_role(actor=actor, role=role)
    tenant = actor.tenant
    _lock_tenant(tenant)
    User = get_user_model()
    username = (username or "").strip()
    if password is None:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise ValidationError(
                {"username": [_("No user with this username. Give a password to create a new user.")]}
            )
    else:
        user = user_create(
            username=username, password=password, first_name=first_name, last_name=last_name, email=email, phone=phone
        )
    existing = Membership.objects.filter(tenant=tenant, user=user).first()
    if existing is not None:
        message = (
            _("This user is already a member of this store.")
            if existing.is_active
            else _("This user is a deactivated member of this store: reactivate them instead.")
        )
        raise ValidationError({"username": [message]})
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    return _fresh(membership)


@transaction.atomic
def membership_change_role(*, membership: Membership, actor: Membership, role: str) -> Membership:
    """Give a member another role.

    Preconditions: the actor is an owner or an admin of the member's tenant; an owner's role and
    the owner role itself are an owner's to give; the last active owner keeps the role.
    """
    _require_staff_admin(actor)
    _require_may_touch(actor=actor, membership=membership)
    _check_role(actor=actor, role=role)
    _lock_tenant(actor.tenant)
    membership = Membership.objects.get(pk=membership.pk)
    _require_may_touch(actor=actor, membership=membership)  # the role may have changed meanwhile
    if membership.role == role:
        return _fresh(membership)
    if role != Role.OWNER:
        _require_another_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return _fresh(membership)


@transaction.atomic
def membership_deactivate(*, membership: Membership, actor: Membership) -> Membership:
    """Cut a member off the tenant: their tokens are refused for it from the next request on.

    Their sales, shifts, tasks and comments stay. Preconditions: the actor is an owner or an
    admin; an owner is deactivated only by an owner and never when they are the last one.
    Deactivating a deactivated member changes nothing.
    """
    _require_staff_admin(actor)
    _require_may_touch(actor=actor, membership=membership)
    _lock_tenant(actor.tenant)
    membership = Membership.objects.get(pk=membership.pk)
    _require_may_touch(actor=actor, membership=membership)
    if not membership.is_active:
        return _fresh(membership)
    _require_another_owner(membership)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    return _fresh(membership)


@transaction.atomic
def membership_reactivate(*, membership: Membership, actor: Membership) -> Membership:
    """Let a deactivated member back in with the role they had.

    Preconditions: the actor is an owner or an admin; an owner is reactivated only by an owner.
    """
    _require_staff_admin(actor)
    _require_may_touch(actor=actor, membership=membership)
    _lock_tenant(actor.tenant)
    membership = Membership.objects.get(pk=membership.pk)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    return _fresh(membership)
