"""Customers: one row per customer of a tenant, whichever API created it.

Document mapping (each surface maps its vocabulary onto these fields):

| field                      | 000/001 retail          | 002 clients              | 003 crm v1  | 004 telecom               |
| -------------------------- | ----------------------- | ------------------------ | ----------- | ------------------------- |
| first/last/middle_name     | first_name, last_name,  | (split from `name`)      | (from name) | first_name, last_name,    |
|                            | middle_name; 001 `name` |                          |             | middle_name               |
| display_name               | 001 §6 `name` if given  | name                     | name        | -                         |
| full_name (property)       | full_name "Last First"  | name                     | name        | full_name                 |
| customer_type              | customer_type           | clientType               | -           | -                         |
| company_name               | company_name            | companyName              | company     | -                         |
| tax_id, registration_no,   | tax_id                  | taxId, registrationNumber| -           | -                         |
| legal_address, contact_*   |                         | legalAddress, contact*   |             |                           |
| phone (E.164), phone_2     | phone, phone_2          | phone, secondaryPhone    | phone       | phone                     |
| email                      | email                   | email                    | email       | email                     |
| address, city, region,     | address, city, region,  | address, city, country,  | -           | address                   |
| country, postal_code       | postal_code             | postalCode               |             |                           |
| group, discount_percent    | group (+ group discount)| discount                 | -           | -                         |
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
|                            | loyalty_points          | averageCheck             |             |                           |

Purchase statistics are written only by the sales services (checkout, refund), with F() updates.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from savdo.core.models import TenantOwned, TimeStamped
from savdo.core.money import ZERO, MoneyField, money


class CustomerType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company")


class CustomerStatus(models.TextChoices):
    """The union of the documents' status vocabularies."""

    POTENTIAL = "potential", _("Potential")
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    SUSPENDED = "suspended", _("Suspended")
    BLOCKED = "blocked", _("Blocked")


class CustomerSegment(models.TextChoices):
    """Document 002's commercial segment (set by people); the RFM segment is computed separately."""

    VIP = "VIP", "VIP"
    REGULAR = "regular", _("Regular")
    WHOLESALE = "wholesale", _("Wholesale")
    RETAIL = "retail", _("Retail")


class CustomerGroup(TenantOwned, TimeStamped):
    """A group of customers with a shared discount (document 000 "Группы покупателей")."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    discount_percent = models.DecimalField(_("discount, %"), max_digits=5, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)

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
    """A label on customers (document 002 tags: name and colour)."""

    name = models.CharField(_("name"), max_length=100)
    color = models.CharField(_("colour"), max_length=16, default="#9E9E9E")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tag_tenant_name_uniq")]

    def __str__(self) -> str:
        return self.name


class Customer(TenantOwned, TimeStamped):
    """A customer of a tenant: a person or a company (see the module docstring for the mapping)."""

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
    discount_percent = models.DecimalField(_("personal discount, %"), max_digits=5, decimal_places=2, default=0)
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

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "phone"], condition=~Q(phone=""), name="customer_tenant_phone_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "email"], condition=~Q(email=""), name="customer_tenant_email_uniq"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="customer_discount_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="customer_tenant_created_idx"),
            models.Index(fields=["tenant", "status"], name="customer_tenant_status_idx"),
            models.Index(fields=["tenant", "customer_type"], name="customer_tenant_type_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.phone

    @property
    def full_name(self) -> str:
        """Document 000's `full_name`: "Last First Middle"; a display name or company name otherwise."""
        parts = " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)
        return parts or self.display_name or self.company_name

    @property
    def average_check(self) -> Decimal:
        """Average amount of a purchase (002 `averageCheck`)."""
        if not self.total_purchases_count:
            return ZERO
        return money(self.total_purchases / self.total_purchases_count)
