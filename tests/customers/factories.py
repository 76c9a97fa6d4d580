"""Factories of the customers domain (other packages' tests import these)."""

import factory

from savdo.customers.models import Customer, CustomerGroup, Tag
from tests.factories import TenantFactory


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    discount_percent = 0


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Tag {n}")
    color = "#4CAF50"


class CustomerFactory(factory.django.DjangoModelFactory):
    """An individual with a valid, unique Uzbek mobile number (+99897XXXXXXX, apart from the documents'
    +99890... examples) and e-mail."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    first_name = factory.Sequence(lambda n: f"Ali{n}")
    last_name = factory.Sequence(lambda n: f"Valiyev{n}")
    phone = factory.Sequence(lambda n: f"+99897{n % 10_000_000:07d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
