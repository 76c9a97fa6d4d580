"""Customer reads with rules: lists, search, lookup by phone, VIPs, groups with member counts.

Every selector starts from the tenant and declares its joins, so a list costs the same number of
queries whatever its length.
"""

from django.db.models import Count, Q, QuerySet

from savdo.core.phones import phone_search_digits
from savdo.customers.constants import VIP_DISCOUNT_PERCENT
from savdo.customers.models import ACTIVE_STATUSES, Customer, CustomerGroup, CustomerStatus, search_fold
from savdo.tenancy.models import Tenant

# The longest search term used (longer input is cut: no field is longer than this).
MAX_SEARCH_TERM = 255
MAX_SEARCH_WORDS = 8


def customer_list(*, tenant: Tenant) -> QuerySet[Customer]:
    """The tenant's customers, newest first (lists show the group's id only: no join)."""
    return Customer.objects.for_tenant(tenant).order_by("-created_at", "-id")


def search_words(term: str) -> list[str]:
    """The words a search term matches on, folded like `Customer.search_text`.

    A term that reads as a phone ("+998901234567", " 998 90 123", "90-123-45") is one word of its
    digits: a URL-decoded `+` arrives as a space, and people type phones with spaces and dashes.
    """
    term = (term or "").replace("\x00", "")[:MAX_SEARCH_TERM]
    digits = phone_search_digits(term)
    if digits:
        return [digits]
    return [search_fold(word.lstrip("+")) for word in term.split()[:MAX_SEARCH_WORDS] if word.lstrip("+")]


def customer_search(queryset: QuerySet[Customer], term: str) -> QuerySet[Customer]:
    """Customers whose name, company, e-mail or phone contain every word of `term` (case-insensitive).

    One `LIKE '%word%'` per word on `search_text`; on PostgreSQL the trigram GIN index
    `customer_search_trgm` serves it (see tests/customers/test_search_indexes.py).
    """
    for word in search_words(term):
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def customers_with_flags(
    queryset: QuerySet[Customer], *, is_active: bool | None = None, is_blocked: bool | None = None
) -> QuerySet[Customer]:
    """Filter by document 000's `is_active`/`is_blocked` views of the status."""
    if is_active is True:
        queryset = queryset.filter(status__in=ACTIVE_STATUSES)
    elif is_active is False:
        queryset = queryset.exclude(status__in=ACTIVE_STATUSES)
    if is_blocked is True:
        queryset = queryset.filter(status=CustomerStatus.BLOCKED)
    elif is_blocked is False:
        queryset = queryset.exclude(status=CustomerStatus.BLOCKED)
    return queryset


def customer_by_phone(*, tenant: Tenant, phone: str) -> Customer | None:
    """The tenant's customer with this E.164 phone (an exact B-tree lookup), or None."""
    if not phone:
        return None
    return Customer.objects.for_tenant(tenant).select_related("group").filter(phone=phone).first()


def customer_vip_list(*, tenant: Tenant) -> QuerySet[Customer]:
    """Customers whose own discount, or whose active group's discount, is at least 10 % (000 §8)."""
    vip = Q(discount_percent__gte=VIP_DISCOUNT_PERCENT) | Q(
        group__is_active=True, group__discount_percent__gte=VIP_DISCOUNT_PERCENT
    )
    return customer_list(tenant=tenant).filter(vip)


def customer_group_list(*, tenant: Tenant) -> QuerySet[CustomerGroup]:
    """The tenant's customer groups with `members_count`, by name."""
    return (
        CustomerGroup.objects.for_tenant(tenant)
        .annotate(members_count=Count("members", distinct=True))
        .order_by("name", "id")
    )


def customer_group_members(*, group: CustomerGroup) -> QuerySet[Customer]:
    """The group's customers, newest first."""
    return customer_list(tenant=group.tenant_id).filter(group=group)
