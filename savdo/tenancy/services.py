"""Membership writes: who works in a tenant and in which role (the staff API's rules).

Rules (enforced here for every caller):
- only an owner or an administrator manages staff;
- an administrator can neither make anyone an owner nor change, deactivate or reactivate an
  owner: only another owner can;
- the tenant always keeps at least one active owner;
- a store creates new users itself (with a password), but an existing user joins only by accepting
  the store's invitation: the store learns nothing about a user it names (whether they exist, their
  profile) until they accept, and its answer is the same whether the name is anybody's or not.

Every write locks the tenant's row first, so two owners demoting each other at the same moment
are applied one after the other and the second is refused. Every write is in the store's change log
(who, when, what changed), in the same transaction, written here with its own action names
(`@logs_itself`: the API kernel adds no row of its own for them).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status as http
from rest_framework.exceptions import APIException, NotFound, PermissionDenied

from savdo.accounts.services import user_create
from savdo.audit.services import change_record, logs_itself
from savdo.tenancy.models import Invitation, InvitationStatus, Membership, Role, Tenant
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


def _already_member_message(membership: Membership) -> str:
    if membership.is_active:
        return _("This user is already a member of this store.")
    return _("This user is a deactivated member of this store: reactivate them instead.")


@logs_itself
@transaction.atomic
def membership_create(
    *,
    actor: Membership,
    username: str,
    password: str,
    role: str = Role.CASHIER,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Membership:
    """Create a new user and make them a member of the actor's tenant with `role`.

    The username and email must be free, the password passes Django's validators, the phone is
    E.164 (`accounts.services.user_create`). An existing user joins by invitation instead
    (`invitation_create`). Preconditions: the actor is an owner or an admin; only an owner adds an
    owner.
    """
    _require_staff_admin(actor)
    _check_role(actor=actor, role=role)
    tenant = actor.tenant
    _lock_tenant(tenant)
    user = user_create(
        username=(username or "").strip(),
        password=password,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
    )
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    change_record(
        instance=membership,
        action="create",
        changes={"user": [None, user.pk], "role": [None, role]},
        actor_id=actor.user_id,
    )
    return _fresh(membership)


@logs_itself
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
    change_record(
        instance=membership, action="change_role", changes={"role": [membership.role, role]}, actor_id=actor.user_id
    )
    membership.role = role
    membership.save(update_fields=["role"])
    return _fresh(membership)


@logs_itself
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
    change_record(
        instance=membership, action="deactivate", changes={"is_active": [True, False]}, actor_id=actor.user_id
    )
    return _fresh(membership)


@logs_itself
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
        change_record(
            instance=membership, action="reactivate", changes={"is_active": [False, True]}, actor_id=actor.user_id
        )
    return _fresh(membership)


# --- invitations -------------------------------------------------------------------------------------


class InvitationNotPending(APIException):
    """An invitation already accepted, declined or cancelled (400, `{"status": "error", "message"}`)."""

    status_code = http.HTTP_400_BAD_REQUEST
    default_code = "invitation_not_pending"
    default_detail = gettext_lazy("This invitation has already been answered or cancelled.")


def invited_user(login: str):
    """The account `login` names: the user with that username, else (for an email) the user with
    that email, case-insensitive; None when nobody has it."""
    User = get_user_model()
    user = User.objects.filter(username__iexact=login).first()
    if user is None and "@" in login:
        user = User.objects.filter(email__iexact=login).first()
    return user


def _lock_invitation(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().get(pk=invitation.pk)


def _move(invitation: Invitation, status: str, actor_id: int) -> None:
    if not invitation.may_become(status):
        raise InvitationNotPending()
    change_record(
        instance=invitation, action=status, changes={"status": [invitation.status, status]}, actor_id=actor_id
    )
    invitation.status = status
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])


@logs_itself
@transaction.atomic
def invitation_create(*, actor: Membership, login: str, role: str = Role.CASHIER) -> Invitation:
    """Invite the user `login` names (a username or an email) to the actor's tenant with `role`.

    The invitation is made whether or not such a user exists, and the store's answer is the same
    either way: it sees only what it typed. Refused (400 on `login`): a blank login, one already
    invited and pending (the database's partial unique constraint decides between concurrent
    invitations), one naming a member of this store (the store lists its members anyway).
    Preconditions: the actor is an owner or an admin; only an owner invites an owner.
    """
    _require_staff_admin(actor)
    _check_role(actor=actor, role=role)
    login = (login or "").strip()
    if not login:
        raise ValidationError({"login": [_("This field may not be blank.")]})
    tenant = actor.tenant
    _lock_tenant(tenant)
    user = invited_user(login)
    if user is not None:
        existing = Membership.objects.filter(tenant=tenant, user=user).first()
        if existing is not None:
            raise ValidationError({"login": [_already_member_message(existing)]})
    pending = _("This user has already been invited to this store.")
    if Invitation.objects.filter(tenant=tenant, login__iexact=login, status=InvitationStatus.PENDING).exists():
        raise ValidationError({"login": [pending]})
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                tenant=tenant, login=login, user=user, role=role, invited_by=actor.user
            )
    except IntegrityError as exc:  # invited by a concurrent request a moment ago
        raise ValidationError({"login": [pending]}) from exc
    change_record(
        instance=invitation,
        action="create",
        changes={"login": [None, login], "role": [None, role]},
        actor_id=actor.user_id,
    )
    return invitation


@logs_itself
@transaction.atomic
def invitation_cancel(*, actor: Membership, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation of the actor's tenant.

    Preconditions: the actor is an owner or an admin; an invitation to become an owner is an
    owner's to withdraw. Another tenant's invitation is 404; one no longer pending is refused (400).
    """
    _require_staff_admin(actor)
    if invitation.tenant_id != actor.tenant_id:
        raise NotFound()
    if invitation.role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can change or remove another owner."))
    invitation = _lock_invitation(invitation)
    _move(invitation, InvitationStatus.CANCELLED, actor.user_id)
    return invitation


def _require_invitee(*, user, invitation: Invitation) -> None:
    if invitation.user_id is None or invitation.user_id != user.pk:
        raise NotFound()


@logs_itself
@transaction.atomic
def invitation_accept(*, user, invitation: Invitation) -> Membership:
    """The invited user accepts: they become a member of the store with the invitation's role.

    Preconditions: `user` is the user the invitation named (anyone else: 404); it is pending (400).
    Locks the tenant's row, then the invitation, as the other staff writes do. Someone who became a
    member meanwhile is refused (400) and the invitation stays pending.
    """
    _require_invitee(user=user, invitation=invitation)
    _lock_tenant(invitation.tenant)
    invitation = _lock_invitation(invitation)
    if invitation.status != InvitationStatus.PENDING:
        raise InvitationNotPending()
    existing = Membership.objects.filter(tenant_id=invitation.tenant_id, user=user).first()
    if existing is not None:
        raise ValidationError({"non_field_errors": [_already_member_message(existing)]})
    _move(invitation, InvitationStatus.ACCEPTED, user.pk)
    membership = Membership.objects.create(tenant_id=invitation.tenant_id, user=user, role=invitation.role)
    change_record(
        instance=membership,
        action="create",
        changes={"user": [None, user.pk], "role": [None, invitation.role]},
        actor_id=user.pk,
    )
    return _fresh(membership)


@logs_itself
@transaction.atomic
def invitation_decline(*, user, invitation: Invitation) -> Invitation:
    """The invited user declines: the invitation is closed and nothing else changes.

    Preconditions: `user` is the user the invitation named (anyone else: 404); it is pending (400).
    """
    _require_invitee(user=user, invitation=invitation)
    invitation = _lock_invitation(invitation)
    _move(invitation, InvitationStatus.DECLINED, user.pk)
    return invitation
