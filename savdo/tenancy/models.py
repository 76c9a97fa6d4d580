"""Tenants (a business: a shop, a service company, an operator) and who works in them."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from savdo.core.money import MoneyField


def new_tenant_key() -> str:
    return secrets.token_hex(16)


class Tenant(models.Model):
    """One business using Savdo. Document 000's `X-Tenant-Key` header carries `key`.

    Business settings that rules depend on live here: the phone region used to validate phone
    numbers, the time zone that decides what "today" is, whether stock may go negative and the
    loyalty points rate.
    """

    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("key"), max_length=64, unique=True, default=new_tenant_key, editable=False)
    phone_region = models.CharField(_("phone region"), max_length=2, default="UZ")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tashkent")
    currency = models.CharField(_("currency"), max_length=3, default="UZS")
    language = models.CharField(_("language"), max_length=8, default="ru")
    allow_negative_stock = models.BooleanField(_("allow negative stock"), default=False)
    loyalty_percent = MoneyField(_("loyalty points, % of amount"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    CASHIER = "cashier", _("Cashier")
    AGENT = "agent", _("Support agent")


class Membership(models.Model):
    """A user's place in a tenant, with the role that decides what they may do there.

    Deactivating a membership cuts the user off this tenant at once (their tokens are refused for
    it) while their sales, shifts and tasks stay.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CASHIER)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_uniq")]
        indexes = [models.Index(fields=["tenant", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class InvitationStatus(models.TextChoices):
    # With a context: other catalogs translate these words for sales, tickets... in other genders.
    PENDING = "pending", pgettext_lazy("invitation status", "Pending")
    ACCEPTED = "accepted", pgettext_lazy("invitation status", "Accepted")
    DECLINED = "declined", pgettext_lazy("invitation status", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("invitation status", "Cancelled")


class Invitation(models.Model):
    """A store's invitation to an existing user to join it with a role (`/api/users/staff/`,
    `/api/users/invitations/`): the way a user of another store becomes staff, with their consent.

    The store gives a username or an email (`login`, as typed). `user` is the account it named when
    the invitation was made, or none: the store never learns which, nor anything about that user,
    until they accept (then they are a member, like any other). Only that user sees the invitation,
    and accepts it (a membership with `role` is made) or declines it; the store may cancel it while
    it is pending. Transitions: `TRANSITIONS` (pending -> accepted | declined | cancelled).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    login = models.CharField(_("username or email"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CASHIER)
    status = models.CharField(
        pgettext_lazy("invitation", "status"),
        max_length=16,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    TRANSITIONS = {
        InvitationStatus.PENDING: frozenset(
            {InvitationStatus.ACCEPTED, InvitationStatus.DECLINED, InvitationStatus.CANCELLED}
        ),
    }

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # one pending invitation per store and login (as typed, case-insensitive)
            models.UniqueConstraint(
                "tenant",
                Lower("login"),
                condition=models.Q(status="pending"),
                name="invitation_pending_login_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="invitation_user_status_idx"),
            models.Index(fields=["tenant", "status", "-created_at"], name="invitation_tenant_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.login} -> {self.tenant} ({self.role}, {self.status})"

    def may_become(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())
