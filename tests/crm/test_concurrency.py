"""Concurrent CRM writes apply one after the other (row locks): a deal's moves, and a customer
deleted while a deal is written for them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from savdo.crm import services
from savdo.crm.choices import DealStatus
from savdo.crm.models import Deal, DealStatusChange
from savdo.customers.models import Customer
from tests.customers.factories import CustomerFactory
from tests.factories import TenantFactory
from tests.threads import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_completing_and_cancelling_at_once_one_wins():
    tenant = TenantFactory()
    customer = CustomerFactory(tenant=tenant)
    for _ in range(5):
        deal = services.deal_create(tenant=tenant, title="x", customer=customer, status=DealStatus.IN_PROGRESS)
        results = race(
            lambda d=deal: services.deal_change_status(deal=d, status=DealStatus.COMPLETED),
            lambda d=deal: services.deal_change_status(deal=d, status=DealStatus.CANCELLED),
        )
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], ValidationError), results
        deal.refresh_from_db()
        moves = list(DealStatusChange.objects.filter(deal=deal).order_by("id").values_list("from_status", "to_status"))
        assert moves == [("", DealStatus.IN_PROGRESS), (DealStatus.IN_PROGRESS, deal.status)]
        assert deal.closed_at is not None


def test_a_customer_deleted_while_a_deal_is_written_for_them():
    tenant = TenantFactory()
    for _ in range(5):
        customer = CustomerFactory(tenant=tenant)
        results = race(
            lambda c=customer: services.customer_delete(customer=c),
            lambda c=customer: services.deal_create(tenant=tenant, title="x", customer=c),
        )
        deleted, created = results
        if isinstance(created, Deal):  # the deal won: the customer stays
            assert isinstance(deleted, services.CustomerInUse), results
            assert Customer.objects.filter(pk=customer.pk).exists()
        else:  # the delete won: the deal is refused, not a database error
            assert deleted is None and isinstance(created, ValidationError), results
            assert not Customer.objects.filter(pk=customer.pk).exists()
            assert not Deal.objects.filter(customer_id=customer.pk).exists()
