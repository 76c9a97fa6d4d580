"""Factories of the CRM domain. Rows are written directly (fast); tests of the rules go through the
services."""

import factory
from django.utils import timezone

from savdo.crm.choices import CLOSED_STATUSES, ActivityType, DealStatus
from savdo.crm.models import Activity, Deal
from tests.customers.factories import CustomerFactory
from tests.factories import TenantFactory


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    tenant = factory.SubFactory(TenantFactory)
    customer = factory.SubFactory(CustomerFactory, tenant=factory.SelfAttribute("..tenant"))
    title = factory.Sequence(lambda n: f"Deal {n}")
    description = "Office furniture"
    value = 1500
    status = DealStatus.NEW
    closed_at = factory.LazyAttribute(lambda o: timezone.now() if o.status in CLOSED_STATUSES else None)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    tenant = factory.SubFactory(TenantFactory)
    customer = factory.SubFactory(CustomerFactory, tenant=factory.SelfAttribute("..tenant"))
    type = ActivityType.CALL
    description = factory.Sequence(lambda n: f"Called about offer {n}")
