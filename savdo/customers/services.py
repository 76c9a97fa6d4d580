"""Customer writes: create, update, change status; customer groups and tags.

Every write here normalises what it stores (phones to E.164 against the tenant's phone region,
e-mails lower-cased, names stripped), checks the per-tenant uniqueness of phone and e-mail with a
field message (a database constraint backs each check, and a lost race reads the same), keeps
related rows inside the tenant, and is atomic: a refused write leaves nothing behind.

Errors are `django.core.exceptions.ValidationError` keyed by model field name, which every surface
renders in its own shape (and renames to its own vocabulary where it must).
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.core.phones import normalize_phone
from savdo.customers.models import Customer, CustomerGroup, CustomerStatus, CustomerType, Tag, status_with_flags
from savdo.tenancy.models import Membership, Tenant

MSG_PHONE_TAKEN = _("A customer with this phone number already exists.")
MSG_EMAIL_TAKEN = _("A customer with this email already exists.")
MSG_GROUP_NOT_FOUND = _("Customer group not found.")
MSG_GROUP_NAME_TAKEN = _("A customer group with this name already exists.")
MSG_TAG_NAME_TAKEN = _("A tag with this name already exists.")
MSG_TAG_NOT_FOUND = _("Tag not found.")
MSG_MANAGER_NOT_FOUND = _("This user does not work in this store.")

# Purchase statistics are written by the sales services only; `search_text` by the model.
STATISTICS_FIELDS = frozenset({"total_purchases", "total_purchases_count", "last_purchase_at", "loyalty_points"})
CUSTOMER_WRITABLE_FIELDS = frozenset(
    {
        "customer_type",
        "first_name",
        "last_name",
        "middle_name",
        "display_name",
        "company_name",
        "tax_id",
        "registration_number",
        "legal_address",
        "contact_person",
        "contact_position",
        "contact_phone",
        "contact_email",
        "website",
        "phone",
        "phone_2",
        "email",
        "address",
        "city",
        "region",
        "country",
        "postal_code",
        "group",
        "discount_percent",
        "status",
        "segment",
        "rfm_segment",
        "source",
        "assigned_to",
        "deal_value",
        "notes",
        "birthday",
        "whatsapp_jid",
        "telegram_user_id",
        "email_subscribed",
        "sms_subscribed",
        "document_type",
        "document_number",
        "passport_issued_by",
        "passport_issue_date",
    }
)
PERSON_NAME_FIELDS = ("first_name", "last_name", "middle_name")
PHONE_FIELDS = ("phone", "phone_2", "contact_phone")
EMAIL_FIELDS = ("email", "contact_email")
NOT_TEXT_FIELDS = frozenset(
    {
        "group",
        "assigned_to",
        "discount_percent",
        "birthday",
        "passport_issue_date",
        "email_subscribed",
        "sms_subscribed",
    }
)
GROUP_WRITABLE_FIELDS = frozenset({"name", "description", "discount_percent", "is_active"})
TAG_WRITABLE_FIELDS = frozenset({"name", "color"})


class CustomerGroupInUse(Exception):
    """Deleting a group that still has members, without asking to detach them."""

    def __init__(self, members: int):
        self.members = members
        super().__init__(f"The group has {members} member(s).")


def split_display_name(name: str) -> tuple[str, str, str]:
    """("first", "middle", "last") from a one-string name: first word, inner words, last word."""
    words = name.split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return words[0], "", ""
    return words[0], " ".join(words[1:-1]), words[-1]


def _check_writable(fields: dict[str, Any]) -> None:
    unknown = set(fields) - CUSTOMER_WRITABLE_FIELDS
    if unknown:
        # A programming error (a surface passing statistics or unknown names), not a client's.
        raise TypeError(f"Not writable customer fields: {sorted(unknown)}")


def _normalise(tenant: Tenant, fields: dict[str, Any], errors: dict[str, list]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in NOT_TEXT_FIELDS and name != "status":
            value = "" if value is None else str(value).strip()
        if name in PHONE_FIELDS and value:
            try:
                value = normalize_phone(value, tenant.phone_region)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
                continue
        elif name in EMAIL_FIELDS:
            value = value.lower()
        elif name == "group" and value is not None:
            if not isinstance(value, CustomerGroup) or value.tenant_id != tenant.pk:
                errors.setdefault("group", []).append(MSG_GROUP_NOT_FOUND)
                continue
        elif name == "assigned_to" and value is not None:
            works_here = Membership.objects.filter(user=value, tenant=tenant, is_active=True).exists()
            if not works_here:
                errors.setdefault("assigned_to", []).append(MSG_MANAGER_NOT_FOUND)
                continue
        clean[name] = value
    return clean


def _apply_names(customer: Customer, fields: dict[str, Any], *, creating: bool) -> None:
    """The name rules of the model docstring: split a one-string name, or follow structured names."""
    structured_given = any(fields.get(n) for n in PERSON_NAME_FIELDS) or (
        not creating and any(n in fields for n in PERSON_NAME_FIELDS)
    )
    if "display_name" in fields:
        if customer.customer_type == CustomerType.INDIVIDUAL and customer.display_name and not structured_given:
            customer.first_name, customer.middle_name, customer.last_name = split_display_name(customer.display_name)
    elif not creating and structured_given:
        customer.display_name = ""


def _unique_errors(customer: Customer) -> dict[str, list]:
    errors: dict[str, list] = {}
    others = Customer.objects.for_tenant(customer.tenant_id).exclude(pk=customer.pk)
    if customer.phone and others.filter(phone=customer.phone).exists():
        errors["phone"] = [MSG_PHONE_TAKEN]
    if customer.email and others.filter(email=customer.email).exists():
        errors["email"] = [MSG_EMAIL_TAKEN]
    return errors


def _integrity_error_field(exc: IntegrityError) -> str | None:
    text = str(exc)
    if "customer_tenant_phone_uniq" in text or "customers_customer.phone" in text:
        return "phone"
    if "customer_tenant_email_uniq" in text or "customers_customer.email" in text:
        return "email"
    return None


def _validate_and_save(customer: Customer, errors: dict[str, list], *, update_fields=None) -> None:
    try:
        customer.full_clean(
            exclude=["tenant", "group", "assigned_to"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    for name, messages in _unique_errors(customer).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            customer.save(update_fields=update_fields)
    except IntegrityError as exc:  # a concurrent write took the phone or e-mail
        field = _integrity_error_field(exc)
        if field is None:
            raise
        message = MSG_PHONE_TAKEN if field == "phone" else MSG_EMAIL_TAKEN
        raise ValidationError({field: [message]}) from exc


def _check_tags(tenant: Tenant, tags: Iterable[Tag]) -> list[Tag]:
    tags = list(tags)
    if any(tag.tenant_id != tenant.pk for tag in tags):
        raise ValidationError({"tags": [MSG_TAG_NOT_FOUND]})
    return tags


@transaction.atomic
def customer_create(*, tenant: Tenant, tags: Iterable[Tag] | None = None, **fields: Any) -> Customer:
    """Create a customer of `tenant`.

    `fields` are model field names from CUSTOMER_WRITABLE_FIELDS (statistics are not: they start
    at zero and only sales change them). `group` is a CustomerGroup, `assigned_to` a User working in
    the tenant, `tags` Tags of the tenant. Phones are validated against the tenant's phone region.
    A one-string `display_name` without first/middle/last names is split into them (individuals).
    Raises ValidationError {field: [messages]}; nothing is written then.
    """
    _check_writable(fields)
    errors: dict[str, list] = {}
    clean = _normalise(tenant, fields, errors)
    customer = Customer(tenant=tenant)
    for name, value in clean.items():
        setattr(customer, name, value)
    _apply_names(customer, clean, creating=True)
    tag_list = _check_tags(tenant, tags) if tags is not None else None
    _validate_and_save(customer, errors)
    if tag_list:
        customer.tags.set(tag_list)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, tags: Iterable[Tag] | None = None, **fields: Any) -> Customer:
    """Change the given fields of `customer` (the others keep their values).

    Same rules as `customer_create`; writing first/last/middle name without `display_name`
    clears the display name so the shown name follows the structured fields. The row is locked for
    the update so concurrent edits apply one after the other. Raises ValidationError; nothing is
    written then.
    """
    _check_writable(fields)
    tenant = customer.tenant
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    errors: dict[str, list] = {}
    clean = _normalise(tenant, fields, errors)
    for name, value in clean.items():
        setattr(locked, name, value)
    _apply_names(locked, clean, creating=False)
    tag_list = _check_tags(tenant, tags) if tags is not None else None
    _validate_and_save(locked, errors)
    if tag_list is not None:
        locked.tags.set(tag_list)
    return locked


def _with_flags(fields: dict[str, Any], current: str, is_active: bool | None, is_blocked: bool | None) -> dict:
    status = status_with_flags(current, is_active=is_active, is_blocked=is_blocked)
    if status != current:
        fields["status"] = status
    return fields


def customer_create_with_flags(
    *, tenant: Tenant, is_active: bool | None = None, is_blocked: bool | None = None, **fields: Any
) -> Customer:
    """`customer_create` taking document 000's `is_active`/`is_blocked` flags for the status."""
    default = Customer._meta.get_field("status").default
    return customer_create(tenant=tenant, **_with_flags(fields, default, is_active, is_blocked))


def customer_update_with_flags(
    *, customer: Customer, is_active: bool | None = None, is_blocked: bool | None = None, **fields: Any
) -> Customer:
    """`customer_update` taking document 000's `is_active`/`is_blocked` flags for the status."""
    return customer_update(customer=customer, **_with_flags(fields, customer.status, is_active, is_blocked))


@transaction.atomic
def customer_change_status(*, customer: Customer, status: str) -> Customer:
    """Move `customer` to `status` (any status of CustomerStatus; customers have no forbidden moves).

    Raises ValidationError {"status": [...]} for a value outside the vocabulary.
    """
    if status not in CustomerStatus.values:
        raise ValidationError({"status": [_("Unknown customer status.")]})
    if customer.status != status:
        customer.status = status
        customer.save(update_fields=["status", "updated_at"])
    return customer


# --- groups ------------------------------------------------------------------------------------


def _save_group(group: CustomerGroup) -> CustomerGroup:
    errors: dict[str, list] = {}
    try:
        group.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    taken = CustomerGroup.objects.for_tenant(group.tenant_id).filter(name=group.name).exclude(pk=group.pk).exists()
    if group.name and taken:
        errors.setdefault("name", []).append(MSG_GROUP_NAME_TAKEN)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [MSG_GROUP_NAME_TAKEN]}) from exc
    return group


@transaction.atomic
def customer_group_create(*, tenant: Tenant, **fields: Any) -> CustomerGroup:
    """Create a customer group (name unique in the tenant, discount 0-100 %). Raises ValidationError."""
    unknown = set(fields) - GROUP_WRITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not writable group fields: {sorted(unknown)}")
    group = CustomerGroup(tenant=tenant)
    for name, value in fields.items():
        setattr(group, name, value.strip() if isinstance(value, str) else value)
    return _save_group(group)


@transaction.atomic
def customer_group_update(*, group: CustomerGroup, **fields: Any) -> CustomerGroup:
    """Change the given fields of `group`. Members' discounts follow it at once. Raises ValidationError."""
    unknown = set(fields) - GROUP_WRITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not writable group fields: {sorted(unknown)}")
    locked = CustomerGroup.objects.select_for_update().get(pk=group.pk)
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    return _save_group(locked)


@transaction.atomic
def customer_group_delete(*, group: CustomerGroup, detach_members: bool = False) -> int:
    """Delete `group`; returns how many members were detached.

    A group with members is refused (CustomerGroupInUse) unless `detach_members` is true: then its
    members are left without a group (and without its discount) first.
    """
    locked = CustomerGroup.objects.select_for_update().get(pk=group.pk)
    members = Customer.objects.filter(tenant_id=locked.tenant_id, group=locked)
    count = members.count()
    if count and not detach_members:
        raise CustomerGroupInUse(count)
    if count:
        members.update(group=None, updated_at=timezone.now())
    locked.delete()
    return count


# --- tags --------------------------------------------------------------------------------------


def _save_tag(tag: Tag) -> Tag:
    errors: dict[str, list] = {}
    try:
        tag.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if tag.name and Tag.objects.for_tenant(tag.tenant_id).filter(name=tag.name).exclude(pk=tag.pk).exists():
        errors.setdefault("name", []).append(MSG_TAG_NAME_TAKEN)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [MSG_TAG_NAME_TAKEN]}) from exc
    return tag


@transaction.atomic
def tag_create(*, tenant: Tenant, name: str, color: str | None = None) -> Tag:
    """Create a tag (name unique in the tenant, colour `#RRGGBB`). Raises ValidationError."""
    tag = Tag(tenant=tenant, name=(name or "").strip())
    if color is not None:
        tag.color = color.strip()
    return _save_tag(tag)


@transaction.atomic
def tag_update(*, tag: Tag, **fields: Any) -> Tag:
    """Rename or recolour a tag. Raises ValidationError."""
    unknown = set(fields) - TAG_WRITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not writable tag fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(tag, name, (value or "").strip())
    return _save_tag(tag)


@transaction.atomic
def tags_get_or_create(*, tenant: Tenant, names: Iterable[str]) -> list[Tag]:
    """The tenant's tags with these names, creating the missing ones (document 002's import/create)."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    existing = {t.name: t for t in Tag.objects.for_tenant(tenant).filter(name__in=wanted)}
    result = []
    for name in wanted:
        tag = existing.get(name) or tag_create(tenant=tenant, name=name)
        result.append(tag)
    return result
