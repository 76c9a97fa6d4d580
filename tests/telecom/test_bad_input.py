"""Bad input anywhere on the telecom surface is a 4xx, never a 500: every writable field of every
create route and command with values of every wrong kind, bodies that are not objects, every list
and statistics filter with nonsense, and PATCH with wrong kinds."""

import itertools
from decimal import Decimal

from savdo.telecom import services
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.telecom.factories import SimFactory, SubscriberFactory, TariffFactory, active_contract, make_contract

BAD = [None, True, [], {}, [1], {"a": 1}, "", " ", "abc", -1, 0, 10**30, "1e400", "NaN", "\x00", "2020-13-45", 1.5]


def test_no_input_is_a_server_error(tenant):
    owner = Member(tenant, Role.OWNER)
    c = active_contract(tenant, balance="100")
    draft = make_contract(tenant)
    sim = SimFactory(tenant=tenant)
    cust = SubscriberFactory(tenant=tenant)
    t = TariffFactory(tenant=tenant)
    p = services.payment_create(tenant=tenant, contract=c, amount=Decimal("5"))
    posts = {
        "/api/customers/": [
            "first_name",
            "last_name",
            "phone",
            "document_type",
            "document_number",
            "passport_issue_date",
            "email",
            "middle_name",
        ],
        "/api/sims/": ["iccid", "imsi", "msisdn", "notes"],
        "/api/tariffs/": ["name", "tariff_type", "monthly_fee", "minutes", "priority", "is_active", "credit_limit"],
        "/api/contracts/": ["customer", "tariff", "start_date", "end_date", "credit_limit"],
        "/api/payments/": ["contract", "amount", "transaction_type", "payment_method", "transaction_id"],
        f"/api/contracts/{draft.pk}/activate/": ["sim_id"],
        f"/api/sims/{sim.pk}/activate/": ["contract_id"],
        f"/api/contracts/{c.pk}/add_balance/": ["amount", "payment_method", "description"],
        f"/api/contracts/{c.pk}/deduct_balance/": ["amount"],
        f"/api/payments/{p.pk}/refund/": ["reason"],
    }
    bad = []
    for path, fields in posts.items():
        for f, v in itertools.product(fields, BAD):
            r = owner.client.post(path, {f: v}, format="json")
            if r.status_code >= 500:
                bad.append((path, f, v, r.status_code))
        for body in ([1, 2], "x", 5):
            r = owner.client.post(path, body, format="json")
            if r.status_code >= 500:
                bad.append((path, body, r.status_code))
    for path in ["/api/customers/", "/api/sims/", "/api/tariffs/", "/api/contracts/", "/api/payments/"]:
        for q in [
            "page=abc",
            "page_size=abc",
            "page_size=100000",
            "ordering=bogus",
            "search=%00",
            "search=" + "x" * 5000,
            "status=%00",
            "customer=99999999999999999999999",
            "contract=-1",
            "tariff=abc",
            "is_active=2",
            "document_type=x",
        ]:
            r = owner.client.get(f"{path}?{q}")
            if r.status_code >= 500:
                bad.append((path, q, r.status_code))
            r = owner.client.get(f"{path}statistics/?{q}")
            if r.status_code >= 500:
                bad.append((path + "statistics", q, r.status_code))
    for path in [
        f"/api/customers/{cust.pk}/",
        f"/api/tariffs/{t.pk}/",
        f"/api/contracts/{c.pk}/",
        f"/api/payments/{p.pk}/",
        f"/api/sims/{sim.pk}/",
    ]:
        for v in BAD:
            for f in [
                "name",
                "amount",
                "customer",
                "tariff",
                "iccid",
                "phone",
                "document_number",
                "end_date",
                "contract",
                "credit_limit",
            ]:
                r = owner.client.patch(path, {f: v}, format="json")
                if r.status_code >= 500:
                    bad.append(("PATCH", path, f, v, r.status_code))
    assert not bad, bad
