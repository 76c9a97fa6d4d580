"""Factories of the telecom domain: tariffs, SIM cards, subscribers with passports, contracts."""

from decimal import Decimal

import factory

from savdo.customers.models import Customer
from savdo.telecom import services
from savdo.telecom.choices import TariffType
from savdo.telecom.models import Contract, SimCard, Tariff
from tests.factories import TenantFactory


def luhn_digit(body: str) -> str:
    """The Luhn check digit that completes `body`."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def iccid(n: int) -> str:
    """A valid 20-digit ICCID (89 996 ... + Luhn) numbered `n`."""
    body = f"8999601{n:012d}"
    return body + luhn_digit(body)


class SubscriberFactory(factory.django.DjangoModelFactory):
    """A Kyrgyz subscriber with a passport and a +996 number."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    first_name = factory.Sequence(lambda n: f"Азамат{n}")
    last_name = factory.Sequence(lambda n: f"Асанов{n}")
    phone = factory.Sequence(lambda n: f"+996555{n % 1_000_000:06d}")
    email = factory.Sequence(lambda n: f"subscriber{n}@example.kg")
    document_type = "passport"
    document_number = factory.Sequence(lambda n: f"ID{n:07d}")
    passport_issued_by = "МКК 211011"


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Тариф {n}")
    tariff_type = TariffType.PREPAID
    monthly_fee = Decimal("500.00")
    minutes = 300
    sms = 100
    data_mb = 10240
    priority = factory.Sequence(lambda n: n)


class SimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SimCard

    tenant = factory.SubFactory(TenantFactory)
    iccid = factory.Sequence(iccid)
    imsi = factory.Sequence(lambda n: f"43709{n:010d}")
    msisdn = factory.Sequence(lambda n: f"+996550{n % 1_000_000:06d}")


def make_contract(tenant, *, customer=None, tariff=None, **kwargs) -> Contract:
    """A draft contract through the service (a real number)."""
    customer = customer or SubscriberFactory(tenant=tenant)
    tariff = tariff or TariffFactory(tenant=tenant)
    return services.contract_create(tenant=tenant, customer=customer, tariff=tariff, **kwargs)


def active_contract(tenant, *, balance=None, **kwargs) -> Contract:
    """An active contract with a SIM card, topped up by `balance` if given."""
    contract = make_contract(tenant, **kwargs)
    contract = services.contract_activate(contract=contract, sim=SimFactory(tenant=tenant))
    if balance:
        services.contract_top_up(contract=contract, amount=Decimal(balance))
        contract.refresh_from_db()
    return contract
