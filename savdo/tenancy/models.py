"""Tenants (a business: a shop, a service company, an operator) and who works in them."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
