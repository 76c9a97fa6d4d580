"""`savdo.api.plain`: whatever a plain reader accepts, the serializer accepts with the same result."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from savdo.api.plain import plain_input, reader_for
from savdo.api.retail.pos.serializers import (
    MAX_ID,
    PosCheckoutSerializer,
    PosRefundInputSerializer,
    PosScanItemSerializer,
)
from tests.catalog.factories import ProductFactory

PROPERTY = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

numbers = st.one_of(
    st.integers(min_value=-5, max_value=10**15),
    st.sampled_from([0, 1, 3, MAX_ID, MAX_ID + 1, True, False, None, 1.5, 2.0, -1.0, 1e20]),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10, max_value=10**13).map(str),
    st.sampled_from(["1", "1.0", "1.000", "1.0001", "01", "1.", ".5", " 2", "2 ", "+3", "-1", "1e3", "0.000", "0.001"]),
    st.sampled_from(["999999999999.99", "1000000000000", "99999999999.999", "100000000000", "0.01", "0.009"]),
    st.text(max_size=6),
)
texts = st.one_of(
    st.text(max_size=110),
    st.sampled_from(
        ["", " ", "4242", "424", "42424", " 4242", "4242\n", "٤٢٤٢", "BENCH", "a\x00b", "\ud800", "x" * 100]
    ),
    numbers,
)
methods = st.one_of(st.sampled_from(["cash", "card", "mobile", "transfer", "CASH", "", "crypto"]), numbers)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2)
plain_amounts = st.one_of(amounts.map(str), st.integers(min_value=1, max_value=10**9))


def _payment():
    """Mostly valid payments, each with at most one odd value: the plain reader must either step
    aside or agree with the serializer."""
    good = {
        "payment_method": st.sampled_from(["cash", "card", "mobile", "transfer"]),
        "amount": plain_amounts,
        "received_amount": plain_amounts,
        "card_last4": st.sampled_from(["4242", "", "0000"]),
        "transaction_id": st.sampled_from(["BENCH", "", "TX-1/2"]),
    }
    odd = {"payment_method": methods, "amount": numbers, "received_amount": numbers}
    odd |= {"card_last4": texts, "transaction_id": texts, "note": texts}  # note: undeclared, ignored by both
    return st.sampled_from(sorted(odd)).flatmap(
        lambda name: (
            st.fixed_dictionaries(
                {"payment_method": good["payment_method"], "amount": good["amount"]},
                optional={**{k: v for k, v in good.items() if k not in ("payment_method", "amount")}, name: odd[name]},
            )
            if name not in ("payment_method", "amount")
            else st.fixed_dictionaries({name: odd[name]}, optional={k: v for k, v in good.items() if k != name})
        )
    )


checkout_bodies = st.one_of(
    st.fixed_dictionaries({"payments": st.lists(_payment(), max_size=3)}),
    st.fixed_dictionaries({"payments": st.lists(_payment(), min_size=19, max_size=22)}),
    st.fixed_dictionaries({}, optional={"payments": st.one_of(st.none(), st.text(max_size=3), _payment())}),
    st.lists(st.integers(), max_size=2),
)


def _same(serializer_class, body, context):
    plain = plain_input(serializer_class, body, context)
    if plain is None:
        return
    serializer = serializer_class(data=body, context=context)
    assert serializer.is_valid(), (body, serializer.errors)
    assert _comparable(plain) == _comparable(serializer.validated_data), body


def _comparable(value):
    """Values with their types (1 == 1.0 == True in Python; Decimal("1") == Decimal("1.000"))."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if hasattr(value, "_meta"):
        return (type(value).__name__, value.pk, getattr(value, "stock_quantity", None))
    return (type(value).__name__, value)


@PROPERTY
@given(body=checkout_bodies)
@example(
    body={
        "payments": [
            {"payment_method": "cash", "amount": "68999.00", "received_amount": "68999.00"},
            {"payment_method": "card", "amount": "1.00", "card_last4": "4242", "transaction_id": "BENCH"},
        ]
    }
)
@example(body={"payments": [{"payment_method": "card", "amount": "5", "transaction_id": "a\x00b"}]})
@example(body={"payments": [{"payment_method": "card", "amount": "5", "transaction_id": "\ud800"}]})
@example(body={"payments": [{"payment_method": "card", "amount": 5, "card_last4": "4242\n"}]})
def test_checkout_bodies(tenant, body):
    _same(PosCheckoutSerializer, body, {"tenant": tenant})


@pytest.fixture
def scan_product(tenant):
    return ProductFactory(tenant=tenant)


@PROPERTY
@given(data=st.data())
def test_scan_bodies(tenant, other_tenant, scan_product, data):
    theirs = ProductFactory(tenant=other_tenant) if data.draw(st.booleans()) else None
    ids = st.one_of(
        numbers, st.sampled_from([scan_product.pk, scan_product.pk + 10_000] + ([theirs.pk] if theirs else []))
    )
    keys = {"session": ids, "product": ids, "quantity": numbers, "barcode": texts, "batch": ids, "customer": ids}
    body = data.draw(st.fixed_dictionaries({}, optional=keys))
    _same(PosScanItemSerializer, body, {"tenant": tenant})


def test_a_plain_scan_is_read_without_the_serializer(tenant, scan_product, django_assert_num_queries):
    body = {"session": 7, "product": scan_product.pk, "quantity": 2}
    with django_assert_num_queries(1):  # the product, with its stock
        data = plain_input(PosScanItemSerializer, body, {"tenant": tenant})
    assert data["session"] == 7 and data["product"].pk == scan_product.pk and str(data["quantity"]) == "2.000"
    assert data["product"].stock_quantity == Decimal("0.000")
    assert plain_input(PosScanItemSerializer, {**body, "customer": 1}, {"tenant": tenant}) is None
    assert plain_input(PosScanItemSerializer, {"session": 7, "quantity": 2}, {"tenant": tenant}) is None


def test_serializers_without_plain_fields_always_run():
    assert plain_input(PosRefundInputSerializer, {}, {}) is None
    assert reader_for(PosRefundInputSerializer)({"reason": "x"}, {}) is None
