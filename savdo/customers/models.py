"""Customers: one row per customer of a tenant, whichever API created it.

Document mapping (each surface maps its vocabulary onto these fields):

| field                      | 000/001 retail          | 002 clients              | 003 crm v1  | 004 telecom               |
| -------------------------- | ----------------------- | ------------------------ | ----------- | ------------------------- |
| first/last/middle_name     | first_name, last_name,  | (split from `name`)      | (from name) | first_name, last_name,    |
|                            | middle_name; 001 `name` |                          |             | middle_name               |
| display_name               | 001 §6 `name` if given  | name                     | name        | -                         |
| full_name (property)       | full_name, 001 `name`   | name                     | name        | full_name                 |
| customer_type              | customer_type           | clientType               | -           | -                         |
| company_name               | company_name            | companyName              | company     | -                         |
| tax_id, registration_no,   | tax_id                  | taxId, registrationNumber| -           | -                         |
| legal_address, contact_*   |                         | legalAddress, contact*   |             |                           |
| phone (E.164), phone_2     | phone, phone_2          | phone, secondaryPhone    | phone       | phone                     |
| email (stored lower-case)  | email                   | email                    | email       | email                     |
| address, city, region,     | address, city, region,  | address, city, country,  | -           | address                   |
| country, postal_code       | postal_code             | postalCode               |             |                           |
| group, discount_percent    | group, discount_percent | discount                 | -           | -                         |
| status                     | is_active / is_blocked  | status                   | status      | status (+activate/suspend |
|                            | (views of status)       |                          |             | /block)                   |
| segment                    | -                       | segment                  | -           | -                         |
| rfm_segment                | analytics (RFM)         | -                        | -           | -                         |
| source, tags, assigned_to  | -                       | source, tags,            | -           | -                         |
|                            |                         | assignedUserId           |             |                           |
| deal_value                 | -                       | -                        | value       | -                         |
| whatsapp_jid, telegram_*   | -                       | whatsappJid,             | -           | -                         |
|                            |                         | telegramUserId           |             |                           |
| email/sms_subscribed       | -                       | emailSubscribed, sms...  | -           | -                         |
| document_*, passport_*     | -                       | -                        | -           | document_type, ...        |
| purchase statistics        | total_purchases,        | totalRevenue,            | -           | -                         |
|                            | total_purchases_count,  | purchaseCount,           |             |                           |
|                            | last_purchase_at,       | lastPurchaseDate,        |             |                           |
|                            | loyalty_points,         | averageCheck             |             |                           |
|                            | average_check (property)|                          |             |                           |

Names, so that every surface reads the same person:
- `display_name` holds a name written as one string (001 `name`, 002/003 `name`). When an individual's
  write gives only that, the services split it into first (first word), middle (inner words) and last
  (last word) name, so document 000 reads a `first_name` too.
- `full_name` is what every surface shows as "the name": `display_name` if set; for a company its
  `company_name`; otherwise "Last First Middle" (document 000's `"Петров Иван"`).
- Updating first/last/middle name without a display name clears `display_name`, so the shown
  name follows the structured fields from then on.

Status: one field over the union of vocabularies (`CustomerStatus`); document 000's `is_active` and
`is_blocked` are views of it (`status_is_active`, `status_is_blocked`, `status_with_flags`).

Purchase statistics are written only by the sales services (checkout, refund), with F() updates; no
API client writes them. `search_text` is a lower-cased digest of the searchable fields, kept by
`save()`, `bulk_create()` and `update()` (see `CustomerQuerySet`), indexed with a trigram GIN index on
PostgreSQL (migration 0002).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from savdo.core.models import TenantOwned, TenantQuerySet, TimeStamped
from savdo.core.money import ZERO, MoneyField, money

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
COLOR_VALIDATOR = RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Enter a colour as #RRGGBB."), code="invalid_color")


class CustomerType(models.TextChoices):
    INDIVIDUAL = "individual", pgettext_lazy("customer type", "Individual")
    COMPANY = "company", pgettext_lazy("customer type", "Company")


class CustomerStatus(models.TextChoices):
    """The union of the documents' status vocabularies."""

    POTENTIAL = "potential", pgettext_lazy("customer status", "Potential")
    WAITING = "waiting", pgettext_lazy("customer status", "Waiting")
    ACTIVE = "active", pgettext_lazy("customer status", "Active")
    INACTIVE = "inactive", pgettext_lazy("customer status", "Inactive")
    SUSPENDED = "suspended", pgettext_lazy("customer status", "Suspended")
    BLOCKED = "blocked", pgettext_lazy("customer status", "Blocked")


# Statuses in which document 000 reads `is_active: true` (a prospect may buy: it is not switched off).
ACTIVE_STATUSES = frozenset({CustomerStatus.ACTIVE, CustomerStatus.POTENTIAL, CustomerStatus.WAITING})


def status_is_active(status: str) -> bool:
    return status in ACTIVE_STATUSES


def status_is_blocked(status: str) -> bool:
    return status == CustomerStatus.BLOCKED


def status_with_flags(current: str, *, is_active: bool | None = None, is_blocked: bool | None = None) -> str:
    """The status after writing document 000's `is_active`/`is_blocked` views onto `current`.

    Writing a flag with the value it already reads changes nothing (a potential customer saved back
    with `is_active: true` stays potential). `is_blocked: true` wins over `is_active`;
    `is_active: true` re-activates an inactive, suspended or blocked customer; `is_active: false`
    makes an active one inactive; `is_blocked: false` unblocks to active (inactive with
    `is_active: false`).
    """
    if is_blocked is True:
        return CustomerStatus.BLOCKED
    if is_blocked is False and current == CustomerStatus.BLOCKED:
        return CustomerStatus.INACTIVE if is_active is False else CustomerStatus.ACTIVE
    if is_active is True and not status_is_active(current):
        return CustomerStatus.ACTIVE
    if is_active is False and status_is_active(current):
        return CustomerStatus.INACTIVE
    return current


class CustomerSegment(models.TextChoices):
    """Document 002's commercial segment (set by people); the RFM segment is computed separately."""

    VIP = "VIP", "VIP"
    REGULAR = "regular", pgettext_lazy("customer segment", "Regular")
    WHOLESALE = "wholesale", pgettext_lazy("customer segment", "Wholesale")
    RETAIL = "retail", pgettext_lazy("customer segment", "Retail")


class CustomerGroup(TenantOwned, TimeStamped):
    """A group of customers with a shared discount (document 000 "Группы покупателей").

    000 fields: name, description, discount_percent (0-100), is_active. Its discount applies to its
    members only while the group is active.
    """

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    discount_percent = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=0, validators=PERCENT_VALIDATORS
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Customer lists filter on groups (VIPs by group discount): one scope of cached list totals.
    count_scope = "customers"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="customer_group_tenant_name_uniq"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="customer_group_discount_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(TenantOwned, TimeStamped):
    """A label on customers (document 002 tags: name and colour `#RRGGBB`), unique by name per tenant."""

    name = models.CharField(_("name"), max_length=100)
    color = models.CharField(_("colour"), max_length=16, default="#9E9E9E", validators=[COLOR_VALIDATOR])

    # Customer answers show their tags: renaming, recolouring or deleting a tag renews them.
    data_scope = "customers"

    # Client lists filter on tags (document 002 `?tags=`): a tag's rename or deletion (which drops
    # its links without a many-to-many signal) renews the customers' cached totals and answers.
    count_scope = "customers"

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tag_tenant_name_uniq")]

    def __str__(self) -> str:
        return self.name


# The fields `search_text` is built from; writing any of them rebuilds it.
SEARCH_SOURCE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "middle_name",
        "display_name",
        "company_name",
        "email",
        "phone",
        "phone_2",
    }
)


def search_fold(text: str) -> str:
    """How both the stored digest and a search term are folded: Unicode case-fold, ё = е."""
    return text.casefold().replace("ё", "е")


def _search_text(customer: "Customer") -> str:
    parts = [
        customer.last_name,
        customer.first_name,
        customer.middle_name,
        customer.display_name,
        customer.company_name,
        customer.email,
        # Phones without the `+`, so "998901234567", "+998 90 123" and "90123" all find them.
        customer.phone.lstrip("+"),
        customer.phone_2.lstrip("+"),
    ]
    return search_fold("\n".join(p for p in parts if p))


def customer_sort_name():
    """The name a customer is sorted by (document 002 `sortBy=name`): what `Customer.full_name` shows
    (display name, else the company name, else "Last First Middle"), as one SQL expression; the index
    `customer_tenant_sortname_idx` is built on it, so a page sorted by name reads 20 index entries."""
    return Coalesce(
        NullIf(F("display_name"), Value("")),
        NullIf(F("company_name"), Value("")),
        Concat(F("last_name"), Value(" "), F("first_name"), Value(" "), F("middle_name")),
    )


class CustomerQuerySet(TenantQuerySet):
    """Keeps `search_text` right for writes that bypass `Customer.save()`."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.search_text = _search_text(obj)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        if not SEARCH_SOURCE_FIELDS.intersection(kwargs):
            return super().update(**kwargs)
        # One transaction: the read caches' versions renew when it commits, after `search_text`
        # is right too (savdo/core/versions.py).
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            rows = super().update(**kwargs)
            changed = list(self.model._base_manager.filter(pk__in=pks).only("pk", *SEARCH_SOURCE_FIELDS))
            for obj in changed:
                obj.search_text = _search_text(obj)
            if changed:
                # Plain QuerySet.bulk_update goes through update() with only `search_text`: no recursion.
                self.model._base_manager.bulk_update(changed, ["search_text"])
        return rows


class Customer(TenantOwned, TimeStamped):
    """A customer of a tenant: a person or a company (see the module docstring for the mapping).

    Writes go through `savdo.customers.services` (phones in E.164, e-mail lower-cased, per-tenant
    uniqueness with clear messages); purchase statistics only through the sales services.
    """

    customer_type = models.CharField(
        _("type"), max_length=16, choices=CustomerType.choices, default=CustomerType.INDIVIDUAL
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=150, blank=True, default="")
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True, default="")
    display_name = models.CharField(_("display name"), max_length=255, blank=True, default="")

    company_name = models.CharField(_("company name"), max_length=255, blank=True, default="")
    tax_id = models.CharField(_("tax id"), max_length=50, blank=True, default="")
    registration_number = models.CharField(_("registration number"), max_length=100, blank=True, default="")
    legal_address = models.CharField(_("legal address"), max_length=500, blank=True, default="")
    contact_person = models.CharField(_("contact person"), max_length=255, blank=True, default="")
    contact_position = models.CharField(_("contact position"), max_length=150, blank=True, default="")
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True, default="")
    contact_email = models.EmailField(_("contact email"), blank=True, default="")
    website = models.CharField(_("website"), max_length=255, blank=True, default="")

    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")  # E.164
    phone_2 = models.CharField(_("second phone"), max_length=20, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")

    address = models.CharField(_("address"), max_length=500, blank=True, default="")
    city = models.CharField(_("city"), max_length=150, blank=True, default="")
    region = models.CharField(_("region"), max_length=150, blank=True, default="")
    country = models.CharField(_("country"), max_length=150, blank=True, default="")
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True, default="")

    group = models.ForeignKey(
        CustomerGroup, verbose_name=_("group"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    discount_percent = models.DecimalField(
        _("personal discount, %"), max_digits=5, decimal_places=2, default=0, validators=PERCENT_VALIDATORS
    )
    status = models.CharField(_("status"), max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    segment = models.CharField(_("segment"), max_length=16, choices=CustomerSegment.choices, blank=True, default="")
    rfm_segment = models.CharField(_("RFM segment"), max_length=32, blank=True, default="")
    source = models.CharField(_("source"), max_length=50, blank=True, default="")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deal_value = models.CharField(_("value"), max_length=50, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True)

    whatsapp_jid = models.CharField(_("WhatsApp JID"), max_length=100, blank=True, default="")
    telegram_user_id = models.CharField(_("Telegram user id"), max_length=50, blank=True, default="")
    email_subscribed = models.BooleanField(_("email subscribed"), default=False)
    sms_subscribed = models.BooleanField(_("SMS subscribed"), default=False)

    document_type = models.CharField(_("document type"), max_length=30, blank=True, default="")
    document_number = models.CharField(_("document number"), max_length=50, blank=True, default="")
    passport_issued_by = models.CharField(_("issued by"), max_length=255, blank=True, default="")
    passport_issue_date = models.DateField(_("issue date"), null=True, blank=True)

    # Purchase statistics: written only by the sales services.
    total_purchases = MoneyField(_("total purchases"), default=0)
    total_purchases_count = models.PositiveIntegerField(_("purchases"), default=0)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    loyalty_points = MoneyField(_("loyalty points"), default=0)

    # Lower-cased digest of names, company, e-mail and phone digits (see the module docstring).
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    objects = CustomerQuerySet.as_manager()
    # Cached list totals (savdo/core/counts.py); no list filters on the purchase statistics, which
    # every sale updates.
    count_scope = "customers"
    count_neutral_fields = frozenset(
        {"total_purchases", "total_purchases_count", "loyalty_points", "last_purchase_at", "updated_at"}
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            # The unique indexes double as the B-tree indexes for exact phone/e-mail lookups.
            models.UniqueConstraint(
                fields=["tenant", "phone"], condition=~Q(phone=""), name="customer_tenant_phone_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "email"], condition=~Q(email=""), name="customer_tenant_email_uniq"
            ),
            # An identity document (004 passport) belongs to one subscriber of a store.
            models.UniqueConstraint(
                fields=["tenant", "document_type", "document_number"],
                condition=~Q(document_number=""),
                name="customer_tenant_document_uniq",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="customer_discount_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="customer_tenant_created_idx"),
            models.Index(fields=["tenant", "status"], name="customer_tenant_status_idx"),
            models.Index(fields=["tenant", "customer_type"], name="customer_tenant_type_idx"),
            models.Index(fields=["tenant", "discount_percent"], name="customer_tenant_discount_idx"),
            models.Index(F("tenant"), customer_sort_name(), F("id"), name="customer_tenant_sortname_idx"),
            # A message from a messenger finds its customer by the messenger's id (savdo/messaging).
            models.Index(
                fields=["tenant", "whatsapp_jid"], condition=~Q(whatsapp_jid=""), name="customer_tenant_wa_idx"
            ),
            models.Index(
                fields=["tenant", "telegram_user_id"], condition=~Q(telegram_user_id=""), name="customer_tenant_tg_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.phone

    def save(self, *args, **kwargs):
        self.search_text = _search_text(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCH_SOURCE_FIELDS.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def clean(self):
        if self.customer_type == CustomerType.COMPANY and not self.company_name.strip():
            raise ValidationError({"company_name": _("A company customer needs a company name.")})

    @property
    def person_name(self) -> str:
        """ "Last First Middle" from the structured name fields."""
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def full_name(self) -> str:
        """The name every surface shows (000 `full_name`, 001/002/003 `name`); see the module docstring."""
        if self.display_name:
            return self.display_name
        if self.customer_type == CustomerType.COMPANY and self.company_name:
            return self.company_name
        return self.person_name or self.company_name

    @property
    def is_active(self) -> bool:
        return status_is_active(self.status)

    @property
    def is_blocked(self) -> bool:
        return status_is_blocked(self.status)

    @property
    def average_check(self) -> Decimal:
        """Average amount of a purchase (002 `averageCheck`)."""
        if not self.total_purchases_count:
            return ZERO
        return money(self.total_purchases / self.total_purchases_count)

    @property
    def effective_discount_percent(self) -> Decimal:
        """The larger of the personal discount and the discount of the customer's group, if active."""
        group_discount = self.group.discount_percent if self.group_id and self.group.is_active else Decimal("0")
        return max(Decimal(self.discount_percent), Decimal(group_discount))
