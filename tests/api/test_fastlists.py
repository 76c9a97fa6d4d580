"""FastListSerializer renders exactly what DRF's ListSerializer renders, for every serializer using it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from savdo.analytics.selectors import daily_report_of
from savdo.api import fastlists
from savdo.api.retail.analytics.serializers import AnalyticsDailyReportSerializer, AnalyticsTrendPointSerializer
from savdo.api.retail.customers.serializers import RetailCustomerSerializer
from savdo.api.retail.pos.serializers import PosPaymentSerializer, PosRefundSerializer, PosSaleItemSerializer
from savdo.customers.models import Customer, CustomerStatus, CustomerType
from savdo.sales import services
from savdo.sales.models import DailySales
from savdo.sales.selectors import sale_list
from tests.catalog.factories import ProductFactory
from tests.customers.factories import CustomerFactory, CustomerGroupFactory
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, sell

SALE_PARTS = [PosSaleItemSerializer, PosPaymentSerializer, PosRefundSerializer]
USERS = [RetailCustomerSerializer, AnalyticsDailyReportSerializer, AnalyticsTrendPointSerializer, *SALE_PARTS]


def _drf(serializer_class, rows, context):
    return serializers.ListSerializer(child=serializer_class(context=context), context=context).to_representation(rows)


def _fast(serializer_class, rows, context):
    return serializer_class(rows, many=True, context=context).data


@pytest.mark.parametrize("serializer_class", USERS)
def test_every_user_is_planned(serializer_class):
    assert serializer_class.Meta.list_serializer_class is fastlists.FastListSerializer
    assert fastlists._plan(serializer_class()) is not None


ROLLUP_FIELDS = [f.name for f in DailySales._meta.concrete_fields if f.name not in ("id", "tenant", "date")]
amounts = st.decimals(-(10**12), 10**12, places=2) | st.decimals(0, 10**6, places=3)


@settings(max_examples=60, deadline=None)
@given(
    values=st.fixed_dictionaries({name: amounts for name in ROLLUP_FIELDS}),
    counts=st.integers(0, 10**6),
    day=st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
    empty=st.booleans(),
)
def test_daily_reports_render_as_drf_renders_them(values, counts, day, empty):
    """Reports (with their nested `payments` dict) of rollup rows with any amounts, and of empty days."""
    for name in ("sales_count", "unique_customers", "refunds_count"):
        values[name] = counts
    row = None if empty else DailySales(pk=counts + 1, date=day, **values)
    reports = [daily_report_of(row, day), daily_report_of(None, day)]
    for serializer_class in (AnalyticsDailyReportSerializer, AnalyticsTrendPointSerializer):
        assert _fast(serializer_class, reports, {}) == _drf(serializer_class, reports, {})


text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=text,
    last=text,
    company=text,
    display=text,
    kind=st.sampled_from(CustomerType.values),
    status=st.sampled_from(CustomerStatus.values),
    birthday=st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2030, 1, 1)),
    money=st.decimals(0, 10**9, places=2),
    count=st.integers(0, 10**6),
    bought=st.none() | st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)),
    grouped=st.booleans(),
)
def test_customers_render_as_drf_renders_them(
    tenant, first, last, company, display, kind, status, birthday, money, count, bought, grouped
):
    group = CustomerGroupFactory(tenant=tenant) if grouped else None
    customer = CustomerFactory(
        tenant=tenant,
        first_name=first,
        last_name=last,
        company_name=company,
        display_name=display,
        customer_type=kind,
        status=status,
        birthday=birthday,
        group=group,
        discount_percent=Decimal("12.5"),
    )
    Customer.objects.filter(pk=customer.pk).update(
        total_purchases=money, loyalty_points=money / 7, total_purchases_count=count, last_purchase_at=bought
    )
    rows = list(Customer.objects.filter(pk=customer.pk))
    context = {"tenant": tenant}
    with timezone.override("Asia/Tashkent"):
        assert _fast(RetailCustomerSerializer, rows, context) == _drf(RetailCustomerSerializer, rows, context)


def test_serializer_with_custom_representation_falls_back_to_drf(tenant):
    class Custom(RetailCustomerSerializer):
        def to_representation(self, instance):
            return {"id": instance.pk, "custom": True}

        class Meta(RetailCustomerSerializer.Meta):
            list_serializer_class = fastlists.FastListSerializer

    customer = CustomerFactory(tenant=tenant)
    assert Custom([customer], many=True, context={}).data == [{"id": customer.pk, "custom": True}]


def test_unplannable_fields_fall_back_to_drf(tenant):
    class WithMethod(serializers.ModelSerializer):
        shout = serializers.SerializerMethodField()

        class Meta:
            model = Customer
            fields = ["id", "shout"]
            list_serializer_class = fastlists.FastListSerializer

        def get_shout(self, obj):
            return obj.first_name.upper()

    customer = CustomerFactory(tenant=tenant, first_name="aziz")
    assert fastlists._plan(WithMethod()) is None
    assert WithMethod([customer], many=True).data == [{"id": customer.pk, "shout": "AZIZ"}]


def test_a_sales_lines_payments_and_refunds_render_as_drf_renders_them(tenant, manager):
    milk = ProductFactory(tenant=tenant, sale_price=Decimal("10800.00"))
    bread = ProductFactory(tenant=tenant, sale_price=Decimal("3333.33"))
    receive(milk, 5)
    receive(bread, 5, batch_number="B-1")
    open_shift(manager.membership)
    customer = make_customer(tenant, discount_percent=Decimal("7.5"))
    sale = sell(manager.membership, [(milk, 2), (bread, 1)], customer=customer)
    line = sale.items.get(product=milk)
    services.sale_refund(actor=manager.membership, sale=sale, lines=[services.RefundLine(line.pk, Decimal("1"))])
    sale = sale_list(tenant=tenant).get(pk=sale.pk)
    parts = zip(SALE_PARTS, (sale.items.all(), sale.payments.all(), sale.refunds.all()), strict=True)
    with timezone.override("Asia/Tashkent"):
        for serializer_class, rows in parts:
            assert rows
            assert _fast(serializer_class, rows, {}) == _drf(serializer_class, rows, {})


def _outcome(render, value):
    try:
        return render(value)
    except Exception as exc:  # the same refusal (DRF's) is part of the same output
        return type(exc)


@given(
    value=st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2),
        st.decimals(allow_nan=False, allow_infinity=False, places=3),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.integers(min_value=-(10**15), max_value=10**15),
        st.sampled_from(
            [
                *(Decimal(text) for text in ("-0.00", "0", "123456789012.34", "1E+3")),
                Decimal("1" + "0" * 26 + ".00"),  # 29 digits: more than the context's precision
                "7000",
                1.5,
            ]
        ),
    )
)
@settings(max_examples=400, deadline=None)
def test_a_decimal_renders_as_drf_renders_it(value):
    for field in (
        serializers.DecimalField(max_digits=14, decimal_places=2),
        serializers.DecimalField(max_digits=14, decimal_places=3),
        serializers.DecimalField(max_digits=5, decimal_places=2),
        serializers.DecimalField(max_digits=None, decimal_places=2),
    ):
        assert _outcome(fastlists._representation(field), value) == _outcome(field.to_representation, value)


def test_decimal_fields_that_render_otherwise_keep_drf_rendering():
    for field in (
        serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False),
        serializers.DecimalField(max_digits=14, decimal_places=2, localize=True),
        serializers.DecimalField(max_digits=14, decimal_places=2, normalize_output=True),
    ):
        assert fastlists._representation(field) == field.to_representation


def test_the_sale_renders_as_its_serializer_does(tenant, cashier):
    from savdo.api.retail.pos.serializers import PosSaleSerializer, render_sale

    product = ProductFactory(tenant=tenant, sale_price=Decimal("15333.33"))
    receive(product, 10)
    open_shift(cashier.membership)
    sale = sell(cashier.membership, [(product, 2)], customer=make_customer(tenant))
    sale = sale_list(tenant=tenant).get(pk=sale.pk)
    assert render_sale(sale) == PosSaleSerializer(sale).data
