"""Document 002's rules over the one `Customer` model: clients with tags by name, statistics
adjusted by hand, deletion, bulk import, and the reads of the clients surface (filters, sorting,
statistics, tags with their usage, export in chunks).

Everything here writes through the same rules as `savdo.customers.services` (phones in E.164,
e-mails lower-cased, phone and e-mail unique per store, a company named) and leaves change-log rows
(`savdo.audit`) for the rows the API kernel does not see itself: tags created on the fly, imported
clients, manual statistics adjustments.

Vocabulary: document 002 knows four statuses. Statuses of the other surfaces read as the nearest
of them (`waiting` is `potential`, `suspended` is `inactive`) in answers, filters and statistics,
so a client is counted where it is shown.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Prefetch, QuerySet, Sum
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.audit.models import ChangeAction
from savdo.audit.services import change_record, change_record_many, snapshot
from savdo.core.money import CENT, ZERO, money
from savdo.customers import services
from savdo.customers.constants import CLIENT_TOP_COUNT, IMPORT_MAX_ROWS
from savdo.customers.models import (
    Customer,
    CustomerSegment,
    CustomerStatus,
    CustomerType,
    Tag,
    customer_sort_name,
    search_fold,
)
from savdo.customers.selectors import customer_search
from savdo.tenancy.models import Membership, Tenant

# Document 002's literal messages (its import example shows them; front ends match on them).
MSG_CLIENT_EMAIL_TAKEN = "Client with this email already exists"
MSG_CLIENT_PHONE_TAKEN = "Client with this phone already exists"

MSG_HAS_SALES = _("This client has sales and cannot be deleted. Set its status to inactive instead.")
MSG_IN_USE = _("This client is referred to by other records and cannot be deleted.")
MSG_AVERAGE_CHECK = _("averageCheck must equal totalRevenue / purchaseCount (%(expected)s).")
MSG_NOT_NEGATIVE = _("Must not be negative.")
MSG_TAG_NAME_REQUIRED = _("A tag needs a name.")

# Document 002's statuses and what each one shows of the union vocabulary.
CLIENT_STATUSES = ("active", "inactive", "blocked", "potential")
STATUS_MEMBERS = {
    "active": (CustomerStatus.ACTIVE,),
    "inactive": (CustomerStatus.INACTIVE, CustomerStatus.SUSPENDED),
    "blocked": (CustomerStatus.BLOCKED,),
    "potential": (CustomerStatus.POTENTIAL, CustomerStatus.WAITING),
}
CLIENT_SEGMENTS = tuple(CustomerSegment.values)  # VIP, regular, wholesale, retail
# segmentDistribution's order (document 002's example).
SEGMENT_ORDER = (CustomerSegment.REGULAR, CustomerSegment.VIP, CustomerSegment.WHOLESALE, CustomerSegment.RETAIL)

# The statistics a manager may set by hand (document 002 `updateClientRevenue`), model names.
STATISTICS_FIELDS = ("total_purchases", "total_purchases_count", "last_purchase_at")
# `sortBy` values and the columns they sort on (ties by id, in the same direction).
SORT_FIELDS = {
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "name": "sort_name",
    "totalRevenue": "total_purchases",
    "purchaseCount": "total_purchases_count",
    "lastPurchaseDate": "last_purchase_at",
    "id": "id",
    "email": "email",
    "status": "status",
    "segment": "segment",
    "clientType": "customer_type",
    "companyName": "company_name",
}
NULLABLE_SORT_COLUMNS = frozenset({"last_purchase_at"})
# `sortBy` values an index serves (tenant + the column, then id); a page in any other order is read
# ids first (a narrow sort of the store's rows), then those rows.
INDEXED_SORTS = frozenset({"createdAt", "name", "id"})
EXPORT_CHUNK = 2000


class ClientNotDeletable(Exception):
    """Deleting a client that other rows (its sales) still refer to."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def shown_status(status: str) -> str:
    """A customer's status in document 002's vocabulary."""
    for shown, members in STATUS_MEMBERS.items():
        if status in members:
            return shown
    return status


# --- tags --------------------------------------------------------------------------------------


def _fold(name: str) -> str:
    return search_fold(name.strip())


def _tag_create_many(*, tenant: Tenant, names: Sequence[str]) -> list[Tag]:
    """New tags with these names (none of them taken), logged; a name a concurrent request just
    took is read back instead of failing."""
    if not names:
        return []
    Tag.objects.bulk_create([Tag(tenant=tenant, name=name) for name in names], ignore_conflicts=True)
    created = list(Tag.objects.for_tenant(tenant).filter(name__in=names))
    change_record_many(
        model=Tag,
        tenant_id=tenant.pk,
        action=ChangeAction.CREATE,
        rows=[(tag.pk, tag.name, {"name": [None, tag.name], "color": [None, tag.color]}) for tag in created],
    )
    return created


def client_tags_resolve(*, tenant: Tenant, refs: Iterable[str | int]) -> list[Tag]:
    """The tenant's tags for document 002's `tags` (names or ids, in the order given).

    A name links the tenant's tag of that name, compared case-insensitively ("постоянный" links
    "Постоянный"); a new name creates the tag (default colour). An id must be one of the tenant's
    tags, else ValidationError {"tags": ["Tag not found."]}. One query for the tenant's tags, one
    insert for the new ones.
    """
    refs = list(refs)
    if not refs:
        return []
    existing = list(Tag.objects.for_tenant(tenant).only("id", "name", "color"))
    by_id = {tag.pk: tag for tag in existing}
    by_name: dict[str, Tag] = {}
    for tag in existing:
        by_name.setdefault(tag.name, tag)
        by_name.setdefault(_fold(tag.name), tag)
    wanted: list[Tag | str] = []
    new_names: dict[str, str] = {}
    for ref in refs:
        if isinstance(ref, int):
            if ref not in by_id:
                raise ValidationError({"tags": [services.MSG_TAG_NOT_FOUND]})
            wanted.append(by_id[ref])
            continue
        name = ref.strip()
        if not name:
            continue
        tag = by_name.get(name) or by_name.get(_fold(name))
        if tag is not None:
            wanted.append(tag)
        else:
            new_names.setdefault(_fold(name), name)
            wanted.append(_fold(name))
    created = {_fold(tag.name): tag for tag in _tag_create_many(tenant=tenant, names=list(new_names.values()))}
    result = [created[item] if isinstance(item, str) else item for item in wanted]
    return list({tag.pk: tag for tag in result}.values())


def client_tag_create(*, tenant: Tenant, name: str, color: str | None = None) -> Tag:
    """Create a tag of the clients surface: a name unique in the store (also case-insensitively:
    "vip" is taken when "VIP" exists), a `#RRGGBB` colour kept as sent."""
    _check_tag_name_free(tenant_id=tenant.pk, name=name or "", exclude_pk=None)
    return services.tag_create(tenant=tenant, name=name, color=color)


def client_tag_update(*, tag: Tag, **fields: Any) -> Tag:
    """Rename or recolour a tag (only the given fields). Same rules as `client_tag_create`."""
    if "name" in fields:
        _check_tag_name_free(tenant_id=tag.tenant_id, name=fields["name"] or "", exclude_pk=tag.pk)
    return services.tag_update(tag=tag, **fields)


def _check_tag_name_free(*, tenant_id: int, name: str, exclude_pk: int | None) -> None:
    folded = _fold(name)
    if not folded:
        raise ValidationError({"name": [MSG_TAG_NAME_REQUIRED]})
    names = Tag.objects.filter(tenant_id=tenant_id).exclude(pk=exclude_pk).values_list("name", flat=True)
    if any(_fold(other) == folded for other in names):
        raise ValidationError({"name": [services.MSG_TAG_NAME_TAKEN]})


@transaction.atomic
def client_tag_delete(*, tag: Tag) -> None:
    """Delete a tag: its links to clients go with it, the clients stay."""
    tag.delete()


def tag_search(queryset: QuerySet[Tag], term: str) -> QuerySet[Tag]:
    """Tags whose name contains `term`, case-insensitively in any alphabet (SQLite folds only ASCII:
    names are compared here; a store has tens or hundreds of tags, not millions)."""
    folded = _fold(term[:100])
    names = queryset.values_list("pk", "name")
    return queryset.filter(pk__in=[pk for pk, name in names if folded in search_fold(name)])


def tag_list_with_usage(*, tenant: Tenant) -> QuerySet[Tag]:
    """The tenant's tags by name, each with `usage_count` (how many clients carry it)."""
    return Tag.objects.for_tenant(tenant).annotate(usage_count=Count("customers")).order_by("name", "id")


# --- one client ----------------------------------------------------------------------------------


def _rename_taken(exc: ValidationError) -> ValidationError:
    """The services' uniqueness messages in document 002's words."""
    if not hasattr(exc, "error_dict"):
        return exc
    errors = exc.message_dict
    if "phone" in errors and str(services.MSG_PHONE_TAKEN) in errors["phone"]:
        errors["phone"] = [MSG_CLIENT_PHONE_TAKEN]
    if "email" in errors and str(services.MSG_EMAIL_TAKEN) in errors["email"]:
        errors["email"] = [MSG_CLIENT_EMAIL_TAKEN]
    return ValidationError(errors)


def _manager(tenant: Tenant, user_id: int | None):
    """The user with this id if they are an active member of `tenant` (one query)."""
    if user_id is None:
        return None
    membership = (
        Membership.objects.select_related("user").filter(tenant=tenant, user_id=user_id, is_active=True).first()
    )
    if membership is None:
        raise ValidationError({"assigned_to": [services.MSG_MANAGER_NOT_FOUND]})
    return membership.user


def _company_named(fields: dict[str, Any], current: Customer | None = None) -> dict[str, Any]:
    """A company without `companyName` is named by its `name` (document 002 requires only `name`)."""
    kind = fields.get("customer_type", current.customer_type if current else CustomerType.INDIVIDUAL)
    if kind != CustomerType.COMPANY:
        return fields
    company_name = fields.get("company_name", current.company_name if current else "")
    if not (company_name or "").strip():
        name = fields.get("display_name") or (current.full_name if current else "")
        fields = {**fields, "company_name": name}
    return fields


@transaction.atomic
def client_create(
    *, tenant: Tenant, tags: Sequence[str | int] | None = None, assigned_user_id: int | None = None, **fields: Any
) -> Customer:
    """Create a client of document 002: `fields` are Customer field names (see
    `services.CUSTOMER_WRITABLE_FIELDS`), `tags` names or ids (`client_tags_resolve`),
    `assigned_user_id` an active member of the store. A company without a company name is named by
    its name. Raises ValidationError {model field: [messages]}; nothing is written then."""
    if assigned_user_id is not None:
        fields["assigned_to"] = _manager(tenant, assigned_user_id)
    tag_list = client_tags_resolve(tenant=tenant, refs=tags) if tags is not None else None
    try:
        return services.customer_create(tenant=tenant, tags=tag_list, **_company_named(fields))
    except ValidationError as exc:
        raise _rename_taken(exc) from exc


_UNSET: Any = object()


@transaction.atomic
def client_update(
    *,
    customer: Customer,
    tags: Sequence[str | int] | None = None,
    assigned_user_id: int | None = _UNSET,
    **fields: Any,
) -> Customer:
    """Change the given fields of a client (the others keep their values); `tags` replaces its tags
    when given; `assigned_user_id=None` unassigns. Same rules as `client_create`."""
    tenant = customer.tenant
    if assigned_user_id is not _UNSET:
        fields["assigned_to"] = _manager(tenant, assigned_user_id)
    tag_list = client_tags_resolve(tenant=tenant, refs=tags) if tags is not None else None
    try:
        return services.customer_update(customer=customer, tags=tag_list, **_company_named(fields, customer))
    except ValidationError as exc:
        raise _rename_taken(exc) from exc


@transaction.atomic
def statistics_differ(customer: Customer, statistics: dict) -> bool:
    """Whether `statistics` (as `customer_statistics_adjust` takes them) would change the stored
    figures. A date read from an answer and sent back compares within its rendered second; the
    average check is derived from the others and never stored."""
    total = statistics.get("total_purchases")
    if total is not None and money(total) != customer.total_purchases:
        return True
    count = statistics.get("total_purchases_count")
    if count is not None and count != customer.total_purchases_count:
        return True
    if "last_purchase_at" in statistics:
        sent, stored = statistics["last_purchase_at"], customer.last_purchase_at
        if (sent is None) != (stored is None) or (sent is not None and abs(sent - stored) >= timedelta(seconds=1)):
            return True
    return False


def customer_statistics_adjust(
    *,
    customer: Customer,
    total_purchases: Decimal | None = None,
    total_purchases_count: int | None = None,
    last_purchase_at: datetime | None = _UNSET,
    average_check: Decimal | None = None,
) -> Customer:
    """Set a customer's purchase statistics by hand (document 002's `updateClientRevenue`).

    These are the same numbers checkout and refunds move with F() updates, so every surface keeps
    showing one figure and the next sale adds to the adjusted one. The average check is not stored:
    it is always total / count. A sent `average_check` must agree with the resulting total and
    count to the cent (rounded half up; a front end computing it in floating point sends more
    decimals), else ValidationError {"average_check": [...]}. Negative totals or counts are refused.

    The row is locked while it changes; one change-log row (`manual_statistics`) records who, when,
    and each changed field's old and new value. Nothing changed: nothing written, nothing logged.
    """
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    new = {
        "total_purchases": locked.total_purchases if total_purchases is None else money(total_purchases),
        "total_purchases_count": (
            locked.total_purchases_count if total_purchases_count is None else total_purchases_count
        ),
        "last_purchase_at": locked.last_purchase_at if last_purchase_at is _UNSET else last_purchase_at,
    }
    errors: dict[str, list] = {}
    if new["total_purchases"] < 0:
        errors["total_purchases"] = [MSG_NOT_NEGATIVE]
    if new["total_purchases_count"] < 0:
        errors["total_purchases_count"] = [MSG_NOT_NEGATIVE]
    if errors:
        raise ValidationError(errors)
    if average_check is not None:
        count = new["total_purchases_count"]
        expected = money(new["total_purchases"] / count) if count else ZERO
        if abs(money(average_check) - expected) > CENT:
            raise ValidationError({"average_check": [MSG_AVERAGE_CHECK % {"expected": expected}]})
    before = snapshot(locked, STATISTICS_FIELDS)
    for name, value in new.items():
        setattr(locked, name, value)
    after = snapshot(locked, STATISTICS_FIELDS)
    changes = {name: [before[name], after[name]] for name in STATISTICS_FIELDS if before[name] != after[name]}
    if not changes:
        return locked
    old_average, new_average = str(customer_average(before)), str(locked.average_check)
    if old_average != new_average:
        changes["average_check"] = [old_average, new_average]
    locked.updated_at = timezone.now()
    Customer.objects.filter(pk=locked.pk).update(**new, updated_at=locked.updated_at)
    change_record(instance=locked, action="manual_statistics", changes=changes)
    return locked


def customer_average(stats: dict[str, Any]) -> Decimal:
    count = stats["total_purchases_count"]
    return money(Decimal(stats["total_purchases"]) / count) if count else ZERO


@transaction.atomic
def client_delete(*, customer: Customer) -> None:
    """Delete a client that nothing else refers to; its tag links go with it.

    A client with sales is never erased (its receipts, refunds and reports keep it): refused with
    ClientNotDeletable, as is a client other records protect (contracts, deals, ...). Set its status
    to `inactive` instead.
    """
    if customer.sales.exists():
        raise ClientNotDeletable(MSG_HAS_SALES)
    try:
        with transaction.atomic():
            customer.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise ClientNotDeletable(MSG_IN_USE) from exc


# --- import --------------------------------------------------------------------------------------


CUSTOMER_FIELD_NAMES = tuple(f.name for f in Customer._meta.concrete_fields)
NAME_FIELDS = ("customer_type", "display_name", "first_name", "middle_name", "last_name", "company_name")


@dataclass
class ImportRow:
    """One row of an import after its shape was checked: Customer field names, tag refs, manager."""

    fields: dict[str, Any]
    tags: list[str | int] | None = None
    assigned_user_id: int | None = None


@dataclass
class ImportResult:
    created: list[Customer] = field(default_factory=list)
    # (row index, error message) of the rows that were refused.
    errors: list[tuple[int, str]] = field(default_factory=list)


def _first_error(exc: ValidationError, field_names: dict[str, str]) -> str:
    if not hasattr(exc, "error_dict"):
        return str(exc.messages[0])
    name, messages = next(iter(exc.message_dict.items()))
    message = str(messages[0])
    if message in (MSG_CLIENT_EMAIL_TAKEN, MSG_CLIENT_PHONE_TAKEN) or name == "__all__":
        return message
    return f"{field_names.get(name, name)}: {message}"


def _prepare(tenant: Tenant, row: ImportRow, managers: dict[int, Any]) -> Customer:
    """The unsaved customer of one row, validated as `client_create` would (uniqueness apart)."""
    fields = dict(row.fields)
    services._check_writable(fields)
    errors: dict[str, list] = {}
    if row.assigned_user_id is not None:
        if row.assigned_user_id not in managers:
            raise ValidationError({"assigned_to": [services.MSG_MANAGER_NOT_FOUND]})
        fields["assigned_to"] = managers[row.assigned_user_id]
    manager = fields.pop("assigned_to", None)
    clean = services._normalise(tenant, _company_named(fields), errors)
    customer = Customer(tenant=tenant, assigned_to=manager)
    for name, value in clean.items():
        setattr(customer, name, value)
    services._apply_names(customer, clean, creating=True)
    # Fields the row did not set hold their defaults, valid by definition: validating only the set
    # ones (and the names derived from them) makes a 10,000-row batch several times faster.
    checked = {*clean, *NAME_FIELDS}
    try:
        customer.full_clean(
            exclude=[name for name in CUSTOMER_FIELD_NAMES if name not in checked],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return customer


def _taken(tenant: Tenant, column: str, values: set[str]) -> set[str]:
    found: set[str] = set()
    values_list = sorted(values)
    for start in range(0, len(values_list), 500):
        chunk = values_list[start : start + 500]
        found.update(
            Customer.objects.for_tenant(tenant).filter(**{f"{column}__in": chunk}).values_list(column, flat=True)
        )
    return found


@transaction.atomic
def clients_import(
    *, tenant: Tenant, rows: Sequence[ImportRow | None], field_names: dict[str, str] | None = None
) -> ImportResult:
    """Create many clients at once (document 002 `POST /api/clients/import`).

    Each row is validated as `client_create` validates one (None: a row the surface already
    refused, skipped here). A refused row fails alone: a bad value, an unknown manager, or a phone
    or e-mail the store already has or an earlier row of the same batch took (document 002's
    "Client with this email already exists" and its phone counterpart). The good rows are written
    with a few bulk INSERTs (customers, tag links, change log), not one per row. At most
    IMPORT_MAX_ROWS rows (the surface refuses more before calling this). `field_names` renames
    model fields in the error messages (the surface's vocabulary).

    A concurrent write that takes a phone or e-mail between the check and the insert makes the
    batch's insert fail; the rows are then inserted one by one, each in its own savepoint, and the
    ones that lost the race fail with the uniqueness message.
    """
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValueError(f"At most {IMPORT_MAX_ROWS} rows per import")
    names = field_names or {}
    result = ImportResult()
    manager_ids = {row.assigned_user_id for row in rows if row is not None and row.assigned_user_id is not None}
    managers = {
        m.user_id: m.user
        for m in Membership.objects.select_related("user").filter(
            tenant=tenant, user_id__in=manager_ids, is_active=True
        )
    }
    prepared: list[tuple[int, Customer, ImportRow]] = []
    for index, row in enumerate(rows):
        if row is None:
            continue
        try:
            prepared.append((index, _prepare(tenant, row, managers), row))
        except ValidationError as exc:
            result.errors.append((index, _first_error(exc, names)))

    phones_taken = _taken(tenant, "phone", {c.phone for _index, c, _row in prepared if c.phone})
    emails_taken = _taken(tenant, "email", {c.email for _index, c, _row in prepared if c.email})
    good: list[tuple[int, Customer, ImportRow]] = []
    for index, customer, row in prepared:
        if customer.email and customer.email in emails_taken:
            result.errors.append((index, MSG_CLIENT_EMAIL_TAKEN))
        elif customer.phone and customer.phone in phones_taken:
            result.errors.append((index, MSG_CLIENT_PHONE_TAKEN))
        else:
            good.append((index, customer, row))
            if customer.email:
                emails_taken.add(customer.email)
            if customer.phone:
                phones_taken.add(customer.phone)

    tag_refs = [ref for _index, _customer, row in good for ref in (row.tags or [])]
    try:
        all_tags = client_tags_resolve(tenant=tenant, refs=tag_refs) if tag_refs else []
    except ValidationError:
        all_tags = None  # an unknown tag id: resolved row by row below
    if all_tags is None:
        kept = []
        for index, customer, row in good:
            try:
                client_tags_resolve(tenant=tenant, refs=[r for r in (row.tags or []) if isinstance(r, int)])
                kept.append((index, customer, row))
            except ValidationError as exc:
                result.errors.append((index, _first_error(exc, names)))
        good = kept
        tag_refs = [ref for _index, _customer, row in good for ref in (row.tags or [])]
        all_tags = client_tags_resolve(tenant=tenant, refs=tag_refs) if tag_refs else []

    customers = [customer for _index, customer, _row in good]
    try:
        with transaction.atomic():
            Customer.objects.bulk_create(customers, batch_size=1000)
    except IntegrityError:
        customers, good = _insert_one_by_one(good, result)
    _link_tags(tenant, good, all_tags)
    change_record_many(
        model=Customer,
        tenant_id=tenant.pk,
        action=ChangeAction.CREATE,
        rows=[(c.pk, str(c), {k: [None, v] for k, v in snapshot(c).items()}) for c in customers],
    )
    result.created = customers
    result.errors.sort()
    return result


def _insert_one_by_one(good, result: ImportResult):
    kept = []
    for index, customer, row in good:
        customer.pk = None
        customer._state.adding = True
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError as exc:
            taken = services._integrity_error_field(exc)
            result.errors.append((index, MSG_CLIENT_PHONE_TAKEN if taken == "phone" else MSG_CLIENT_EMAIL_TAKEN))
            continue
        kept.append((index, customer, row))
    return [customer for _index, customer, _row in kept], kept


def _link_tags(tenant: Tenant, good, all_tags: list[Tag]) -> None:
    by_id = {tag.pk: tag for tag in all_tags}
    by_name: dict[str, Tag] = {}
    for tag in all_tags:
        by_name.setdefault(_fold(tag.name), tag)
    through = Customer.tags.through
    links = []
    for _index, customer, row in good:
        seen = set()
        for ref in row.tags or []:
            tag = by_id.get(ref) if isinstance(ref, int) else by_name.get(_fold(ref))
            if tag is not None and tag.pk not in seen:
                seen.add(tag.pk)
                links.append(through(customer_id=customer.pk, tag_id=tag.pk))
    if links:
        through.objects.bulk_create(links, batch_size=2000)


# --- reads ---------------------------------------------------------------------------------------


def client_list(*, tenant: Tenant) -> QuerySet[Customer]:
    """The tenant's clients, newest first, with their manager and tags (two queries a page: rows
    with the manager joined, then the tags of those rows)."""
    return (
        Customer.objects.for_tenant(tenant)
        .select_related("assigned_to")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name", "color").order_by("id")))
        .order_by("-created_at", "-id")
    )


def client_filter(
    queryset: QuerySet[Customer],
    *,
    status: str | None = None,
    segment: str | None = None,
    client_type: str | None = None,
    assigned_user_id: int | None = None,
    tag_ids: Sequence[int] | None = None,
    search: str | None = None,
) -> QuerySet[Customer]:
    """Document 002's list filters (values already checked by the surface). `tag_ids`: clients
    carrying at least one of these tags."""
    if status:
        queryset = queryset.filter(status__in=STATUS_MEMBERS[status])
    if segment:
        queryset = queryset.filter(segment=segment)
    if client_type:
        queryset = queryset.filter(customer_type=client_type)
    if assigned_user_id is not None:
        queryset = queryset.filter(assigned_to_id=assigned_user_id)
    if tag_ids:
        links = Customer.tags.through.objects.filter(tag_id__in=list(tag_ids)).values("customer_id")
        queryset = queryset.filter(pk__in=links)
    if search:
        queryset = customer_search(queryset, search)
    return queryset


def sort_name_expression():
    """The name a client is sorted by (see `customer_sort_name`, which an index serves)."""
    return customer_sort_name()


def client_order(queryset: QuerySet[Customer], *, sort_by: str = "createdAt", descending: bool = True):
    """Sort by a `sortBy` value of SORT_FIELDS; ties by id in the same direction; clients without a
    last purchase last either way.

    Only the nullable column gets NULLS LAST: on the others it would stop PostgreSQL from reading
    the order off an index (`(tenant, -created_at, -id)` serves the default order)."""
    column = SORT_FIELDS[sort_by]
    if column == "sort_name":
        queryset = queryset.annotate(sort_name=sort_name_expression())
    if column in NULLABLE_SORT_COLUMNS:
        key = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    else:
        key = F(column).desc() if descending else F(column).asc()
    return queryset.order_by(key, "-id" if descending else "id")


def client_stats(*, tenant: Tenant, top: int = CLIENT_TOP_COUNT) -> dict[str, Any]:
    """Document 002's statistics, from two queries: one GROUP BY (status, type, segment) with counts
    and revenue, and the top clients by revenue."""
    base = Customer.objects.for_tenant(tenant)
    by_status = dict.fromkeys(STATUS_MEMBERS, 0)
    by_type = dict.fromkeys(CustomerType.values, 0)
    by_segment = dict.fromkeys(SEGMENT_ORDER, 0)
    total, revenue = 0, ZERO
    # One GROUP BY over the store's clients: at most a few dozen groups, folded here.
    groups = base.values_list("status", "customer_type", "segment").annotate(n=Count("id"), s=Sum("total_purchases"))
    for status, kind, segment, count, amount in groups.order_by():
        total += count
        revenue += amount or ZERO
        shown = shown_status(status)
        if shown in by_status:
            by_status[shown] += count
        if kind in by_type:
            by_type[kind] += count
        if segment in by_segment:
            by_segment[segment] += count
    revenue = money(revenue)
    top_clients = list(
        base.filter(total_purchases__gt=0)
        .order_by("-total_purchases", "id")
        .only(
            "id",
            "display_name",
            "first_name",
            "last_name",
            "middle_name",
            "company_name",
            "customer_type",
            "email",
            "total_purchases",
            "segment",
        )[:top]
    )
    return {
        "total": total,
        "by_status": by_status,
        "by_type": by_type,
        "revenue_total": revenue,
        "revenue_average": money(revenue / total) if total else ZERO,
        "top_clients": top_clients,
        "segments": list(by_segment.items()),
    }


def client_tags_of(customer_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """`{customer id: [{id, name, color}, ...]}` for these customers, from one query (tags by id).

    The export reads tags this way rather than through `prefetch_related`, which builds a related
    manager per row: a third of the cost of rendering a row."""
    found: dict[int, list[dict[str, Any]]] = {pk: [] for pk in customer_ids}
    links = (
        Customer.tags.through.objects.filter(customer_id__in=list(customer_ids))
        .order_by("tag_id")
        .values_list("customer_id", "tag_id", "tag__name", "tag__color")
    )
    for customer_id, tag_id, name, color in links:
        found[customer_id].append({"id": tag_id, "name": name, "color": color})
    return found


def client_export_chunks(queryset: QuerySet[Customer], chunk: int = EXPORT_CHUNK) -> Iterator[list[Customer]]:
    """The rows of `queryset` (already filtered) by id, `chunk` at a time (its joins kept, its
    prefetches dropped: read tags with `client_tags_of`): memory stays flat whatever the number of
    clients, and no cursor stays open between chunks (keyset on id)."""
    queryset = queryset.prefetch_related(None).order_by("id")
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last)[:chunk])
        if not rows:
            return
        yield rows
        last = rows[-1].pk
        if len(rows) < chunk:
            return
