"""Catalog writes: categories and products.

Related objects passed in (a category, a parent) must already belong to the tenant: the API surface
looks them up scoped to the request's tenant. Uniqueness (SKU, barcode, category name) is judged by
the database constraints; a violation becomes a field error, whichever request won the race.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from savdo.catalog.exceptions import RuleViolation
from savdo.catalog.models import Category, Product
from savdo.tenancy.models import Tenant

PRODUCT_FIELDS = frozenset(
    {
        "name",
        "sku",
        "barcode",
        "description",
        "category",
        "cost_price",
        "sale_price",
        "wholesale_price",
        "tax_rate",
        "unit",
        "is_active",
        "reorder_level",
    }
)
CATEGORY_FIELDS = frozenset({"name", "description", "parent", "is_active"})


def _product_uniqueness_errors(*, tenant: Tenant, sku: str, barcode: str, exclude_pk: int | None) -> dict:
    errors: dict[str, list[str]] = {}
    others = Product.objects.for_tenant(tenant).exclude(pk=exclude_pk)
    if sku and others.filter(sku=sku).exists():
        errors["sku"] = [_("A product with this SKU already exists.")]
    if barcode and others.filter(barcode=barcode).exists():
        errors["barcode"] = [_("A product with this barcode already exists.")]
    return errors


def _save_product(product: Product) -> Product:
    errors = _product_uniqueness_errors(
        tenant=product.tenant, sku=product.sku, barcode=product.barcode, exclude_pk=product.pk
    )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # a concurrent request took the SKU or barcode
        errors = _product_uniqueness_errors(
            tenant=product.tenant, sku=product.sku, barcode=product.barcode, exclude_pk=product.pk
        )
        raise ValidationError(errors or {"sku": [_("A product with this SKU already exists.")]}) from exc
    return product


@transaction.atomic
def product_create(*, tenant: Tenant, **fields: Any) -> Product:
    """Create a product. `category`, if given, belongs to `tenant`. Stock starts at zero (no balance row
    until the first movement)."""
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    product = Product(tenant=tenant, **fields)
    product.sku = product.sku.strip()
    product.barcode = (product.barcode or "").strip()
    return _save_product(product)


@transaction.atomic
def product_update(*, product: Product, **fields: Any) -> Product:
    """Change a product's fields. Sales already rung up keep the prices they were sold at (lines keep
    their own copy), so a price change affects only lines scanned afterwards."""
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(product, name, value)
    product.sku = product.sku.strip()
    product.barcode = (product.barcode or "").strip()
    return _save_product(product)


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a product that was never stocked or sold; otherwise refuse (deactivate it instead)."""
    try:
        with transaction.atomic():
            product.delete()
    except ProtectedError as exc:
        raise RuleViolation(
            _('Product "%(name)s" has stock movements or sales and cannot be deleted; deactivate it instead.')
            % {"name": product.name}
        ) from exc


def _check_parent(category: Category | None, parent: Category | None) -> None:
    """A category cannot be its own ancestor."""
    node = parent
    seen = 0
    while node is not None and category is not None and category.pk is not None:
        if node.pk == category.pk:
            raise ValidationError({"parent": [_("A category cannot be placed inside itself.")]})
        node = node.parent
        seen += 1
        if seen > 100:  # a corrupt chain; refuse rather than loop
            raise ValidationError({"parent": [_("A category cannot be placed inside itself.")]})


def _save_category(category: Category) -> Category:
    duplicate = Category.objects.for_tenant(category.tenant).exclude(pk=category.pk).filter(name=category.name).exists()
    message = _("A category with this name already exists.")
    if duplicate:
        raise ValidationError({"name": [message]})
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [message]}) from exc
    return category


@transaction.atomic
def category_create(*, tenant: Tenant, **fields: Any) -> Category:
    """Create a category; `parent`, if given, belongs to `tenant`."""
    unknown = set(fields) - CATEGORY_FIELDS
    if unknown:
        raise TypeError(f"unknown category fields: {sorted(unknown)}")
    category = Category(tenant=tenant, **fields)
    category.name = category.name.strip()
    return _save_category(category)


@transaction.atomic
def category_update(*, category: Category, **fields: Any) -> Category:
    """Change a category; moving it under one of its own descendants is refused."""
    unknown = set(fields) - CATEGORY_FIELDS
    if unknown:
        raise TypeError(f"unknown category fields: {sorted(unknown)}")
    if "parent" in fields:
        _check_parent(category, fields["parent"])
    for name, value in fields.items():
        setattr(category, name, value)
    category.name = category.name.strip()
    return _save_category(category)


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete an empty category. One that still holds products or subcategories is refused, never
    emptied silently: move or delete what it holds first."""
    products = category.products.count()
    if products:
        raise RuleViolation(
            _('Category "%(name)s" has %(count)d products; move them to another category first.')
            % {"name": category.name, "count": products}
        )
    if category.children.exists():
        raise RuleViolation(
            _('Category "%(name)s" has subcategories; move or delete them first.') % {"name": category.name}
        )
    category.delete()
