"""The till's answers again, each command committing for real (PostgreSQL, no enclosing test
transaction): there a scan's and a checkout's writes go with the COMMIT (`savdo.core.batching`),
and the ids in the answers (the new line's, the payments') come from the COMMIT's answer."""

import pytest
from django.db import connection

from tests.sales.test_till_answers import (  # noqa: F401 (the fixture and tests, collected here again)
    test_a_cashier_scanning_without_a_session_and_a_checkout_without_a_key,
    test_a_scan_into_an_open_sale_and_a_checkout_take_few_queries,
    test_every_till_command_answers_what_a_fresh_read_shows,
    till,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="writes are queued on PostgreSQL only"),
]


def test_a_scan_and_a_checkout_queue_their_writes(till, monkeypatch, settings):  # noqa: F811 (the fixture)
    from savdo.core import batching, fixed

    if not (settings.SAVDO_BATCHED_COMMIT and settings.SAVDO_FIXED_QUERIES):
        pytest.skip("writes are queued by the fixed writes in a batched commit: a switch has them off")

    queued = []
    real = fixed.after_commit_results

    def spy(callback, using="default"):
        queued.append(batching.queuing(using))
        real(callback, using)

    monkeypatch.setattr(fixed, "after_commit_results", spy)
    cashier, session, milk, _rice, _customer = till
    client = cashier.client
    sale = client.post("/api/sales/sales/scan-item/", {"session": session, "product": milk.pk}, format="json")
    assert queued == [False, True, True]  # the new sale (its id is needed), then its line and totals
    queued.clear()
    body = {"payments": [{"payment_method": "cash", "amount": sale.json()["data"]["total_amount"]}]}
    done = client.post(f"/api/sales/sales/{sale.json()['data']['id']}/checkout/", body, format="json")
    assert done.status_code == 200 and done.json()["data"]["payments"][0]["id"]
    assert queued and all(queued)
