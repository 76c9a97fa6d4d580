"""CRM deals and activities (document 003), on the customers every surface shares.

Document 003 mapping:

| 003 field                  | model                                                          |
| -------------------------- | -------------------------------------------------------------- |
| deal id, title, description| Deal.id, title, description                                    |
| deal value (number)        | Deal.value (Decimal, two places, not negative; 0 when not given)|
| deal status                | Deal.status (`DealStatus`; moves along `DEAL_TRANSITIONS`)     |
| deal customerId, customer  | Deal.customer (a `customers.Customer` of the same store)       |
| deal user_id (SQL schema)  | Deal.created_by                                                |
| deal createdAt, updatedAt  | Deal.created_at, updated_at                                    |
| activity id, type          | Activity.id, type (`ActivityType`)                             |
| activity description       | Activity.description (required, as `TEXT NOT NULL`)            |
| activity customerId        | Activity.customer                                              |
| activity user_id           | Activity.created_by                                            |
| activity createdAt         | Activity.created_at                                            |

Beyond the document: `Deal.closed_at` (when the deal was completed or cancelled; the sales
analytics count a completed deal on that day), `DealStatusChange` (every status move: who, when,
from, to) and `Activity.deal` (the deal an automatic `deal` activity is about).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.core.models import TenantOwned, TenantQuerySet
from savdo.core.money import MoneyField
from savdo.crm.choices import CLOSED_STATUSES, OPEN_STATUSES, ActivityType, DealStatus
from savdo.customers.models import Customer


class Deal(TenantOwned):
    """A sale being worked on with a customer of the store (003 "kelishuv").

    Writes go through `savdo.crm.services`: the status moves only along
    `savdo.crm.choices.DEAL_TRANSITIONS`, each move is recorded as a `DealStatusChange`, and
    `closed_at` is set exactly while the deal is completed or cancelled (a database constraint
    holds it).
    """

    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    value = MoneyField(_("value"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=DealStatus.choices, default=DealStatus.NEW)
    # PROTECT: a customer with deals is not deleted (the completed ones are the store's sales history).
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Not auto_now_add: the demo and imports write deals with their real history.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TenantQuerySet.as_manager()
    # Cached list totals and the read caches (savdo/core/counts.py, savdo/api/readcache.py).
    count_scope = "deals"
    data_scope = "crm"

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="deal_value_not_negative"),
            models.CheckConstraint(condition=Q(status__in=DealStatus.values), name="deal_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=sorted(CLOSED_STATUSES), closed_at__isnull=False)
                | Q(status__in=sorted(OPEN_STATUSES), closed_at__isnull=True),
                name="deal_closed_at_iff_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="deal_tenant_created_idx"),
            models.Index(fields=["tenant", "status", "-created_at", "-id"], name="deal_tenant_status_idx"),
            # The sales analytics: completed deals by the moment they closed, with what the figures
            # add up (an index-only scan on PostgreSQL; other databases ignore INCLUDE).
            models.Index(
                fields=["tenant", "status", "closed_at"], include=["value", "customer"], name="deal_tenant_closed_idx"
            ),
            models.Index(fields=["customer", "-created_at", "-id"], name="deal_customer_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DealStatusChange(TenantOwned):
    """One status move of a deal: who moved it, when, from which status to which. The first row of a
    deal has an empty `from_status` (the status it was created in). Written by the services only."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=16, choices=DealStatus.choices, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=16, choices=DealStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("deal status change")
        verbose_name_plural = _("deal status changes")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_status or '-'} -> {self.to_status}"


class Activity(TenantOwned):
    """Something done with a customer (003 "faoliyat"): a call, an e-mail, a meeting, or a deal
    event (`deal`: added by the services when a deal is created, closed or reopened)."""

    type = models.CharField(_("type"), max_length=16, choices=ActivityType.choices)
    description = models.TextField(_("description"))
    # An activity is a note about the customer: it goes with them.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="crm_activities", db_index=False
    )
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()
    data_scope = "crm"

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(condition=Q(type__in=ActivityType.values), name="activity_type_valid"),
            models.CheckConstraint(condition=~Q(description=""), name="activity_description_not_blank"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="activity_tenant_created_idx"),
            models.Index(fields=["tenant", "type", "-created_at", "-id"], name="activity_tenant_type_idx"),
            models.Index(fields=["customer", "-created_at", "-id"], name="activity_customer_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.description[:50]}"
