"""Catalog test data: categories and products (stock is brought in with `tests.inventory.factories`)."""

from decimal import Decimal

import factory

from savdo.catalog.models import Category, Product


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    tenant = None  # always given
    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    tenant = None  # always given
    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    barcode = factory.Sequence(lambda n: f"478{n:010d}")
    cost_price = Decimal("8000.00")
    sale_price = Decimal("12000.00")
    wholesale_price = Decimal("10000.00")
    tax_rate = Decimal("12.00")
    unit = "pcs"
