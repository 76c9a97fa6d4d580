"""Document 001 §4 shapes: money as strings with two decimals, quantities with three, dates as the
tenant's local dates. Query parameters are validated here (formats and ranges); the numbers come
from `savdo.analytics.selectors`."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from savdo.analytics import constants
from savdo.api.fastlists import FastListSerializer
from savdo.core.dates import QueryDateField
from savdo.core.money import MONEY_MAX_DIGITS, QUANTITY_MAX_DIGITS

# Sums over many days can pass a single row's 14 digits.
SUM_DIGITS = MONEY_MAX_DIGITS + 6


def money_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=SUM_DIGITS, decimal_places=2, **kwargs)


def quantity_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=QUANTITY_MAX_DIGITS + 6, decimal_places=3, **kwargs)


# --- query parameters -------------------------------------------------------------------------------

PERIOD_TOO_LONG = _("The period may be at most %(days)d days.")


class AnalyticsPeriodQuerySerializer(serializers.Serializer):
    """`?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD` (both optional; the view supplies defaults)."""

    start_date = QueryDateField(required=False)
    end_date = QueryDateField(required=False)

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end:
            if end < start:
                raise serializers.ValidationError({"end_date": [_("The end date is before the start date.")]})
            if end - start >= timedelta(days=constants.MAX_REPORT_DAYS):
                raise serializers.ValidationError({"end_date": [PERIOD_TOO_LONG % {"days": constants.MAX_REPORT_DAYS}]})
        return attrs


class AnalyticsDaysQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=constants.MAX_REPORT_DAYS)


class AnalyticsTopProductsQuerySerializer(AnalyticsPeriodQuerySerializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=constants.MAX_TOP_LIMIT, default=constants.DEFAULT_TOP_LIMIT
    )
    order_by = serializers.ChoiceField(choices=["revenue", "quantity", "profit"], required=False, default="revenue")


class AnalyticsSlowMoversQuerySerializer(AnalyticsDaysQuerySerializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=constants.MAX_TOP_LIMIT, default=constants.DEFAULT_TOP_LIMIT
    )


class AnalyticsSnapshotQuerySerializer(serializers.Serializer):
    date = QueryDateField(required=False)


# --- daily sales ----------------------------------------------------------------------------------------


class AnalyticsPaymentsSerializer(serializers.Serializer):
    cash = money_field()
    card = money_field()
    mobile = money_field()
    transfer = money_field()


class AnalyticsDailyReportSerializer(serializers.Serializer):
    """001 "Отчёт за сегодня" (first nine fields) plus the gross/refund split, cost, profit and the net
    amount per payment method. Amounts are net of the day's refunds."""

    id = serializers.IntegerField(allow_null=True)
    date = serializers.DateField()
    total_sales = money_field()
    total_sales_count = serializers.IntegerField()
    avg_sale_amount = money_field()
    total_discount = money_field()
    total_tax = money_field()
    total_items_sold = quantity_field()
    unique_customers = serializers.IntegerField()
    gross_sales = money_field()
    total_refunds = money_field()
    refunds_count = serializers.IntegerField()
    total_cost = money_field()
    gross_profit = money_field()
    payments = AnalyticsPaymentsSerializer()

    class Meta:
        list_serializer_class = FastListSerializer  # a year's period renders 365 of these


class AnalyticsPeriodSerializer(serializers.Serializer):
    start_date = serializers.DateField(source="start")
    end_date = serializers.DateField(source="end")
    days = serializers.IntegerField()


class AnalyticsPeriodTotalsSerializer(serializers.Serializer):
    total_sales = money_field()
    total_count = serializers.IntegerField()
    avg_sale = money_field()
    gross_sales = money_field()
    total_refunds = money_field()
    refunds_count = serializers.IntegerField()
    total_discount = money_field()
    total_tax = money_field()
    total_items_sold = quantity_field()
    total_cost = money_field()
    gross_profit = money_field()


class AnalyticsPeriodReportSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    totals = AnalyticsPeriodTotalsSerializer()
    daily_reports = AnalyticsDailyReportSerializer(many=True)


class AnalyticsTrendPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    total_sales = money_field()
    total_sales_count = serializers.IntegerField()
    avg_sale_amount = money_field()
    total_items_sold = quantity_field()
    unique_customers = serializers.IntegerField()
    gross_sales = money_field()
    total_refunds = money_field()
    gross_profit = money_field()

    class Meta:
        list_serializer_class = FastListSerializer


class AnalyticsTrendsSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    trends = AnalyticsTrendPointSerializer(many=True)


# --- products -------------------------------------------------------------------------------------------


class AnalyticsTopProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    product_code = serializers.CharField()
    total_revenue = money_field()
    total_quantity = quantity_field()
    total_profit = money_field()
    sales_count = serializers.IntegerField()


class AnalyticsTopProductsSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    top_products = AnalyticsTopProductSerializer(many=True)


class AnalyticsSlowMoverSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    product_code = serializers.CharField()
    quantity_on_hand = quantity_field()
    total_quantity = quantity_field()
    total_revenue = money_field()
    sales_count = serializers.IntegerField()
    last_sold_on = serializers.DateField(allow_null=True)


class AnalyticsSlowMoversSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    count = serializers.IntegerField()
    products = AnalyticsSlowMoverSerializer(many=True)


# --- customers (RFM) ------------------------------------------------------------------------------------


class AnalyticsRFMPeriodSerializer(serializers.Serializer):
    period_start = serializers.DateField(source="start")
    period_end = serializers.DateField(source="end")
    days = serializers.IntegerField()


class AnalyticsSegmentSerializer(serializers.Serializer):
    segment = serializers.CharField()
    count = serializers.IntegerField()
    total_spent = money_field()
    avg_purchase = money_field()
    purchases_count = serializers.IntegerField(source="purchases")


class AnalyticsSegmentsSerializer(serializers.Serializer):
    period = AnalyticsRFMPeriodSerializer()
    total_customers = serializers.IntegerField()
    segments = AnalyticsSegmentSerializer(many=True)


class AnalyticsAtRiskCustomerSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    name = serializers.CharField(source="customer.full_name")
    phone = serializers.CharField(source="customer.phone")
    email = serializers.CharField(source="customer.email")
    segment = serializers.CharField()
    recency_score = serializers.IntegerField()
    frequency_score = serializers.IntegerField()
    monetary_score = serializers.IntegerField()
    rfm_score = serializers.CharField()
    purchases_count = serializers.IntegerField(source="frequency")
    total_spent = money_field(source="monetary")
    last_purchase = serializers.DateTimeField()
    last_purchase_date = serializers.DateField()
    days_since_last_purchase = serializers.IntegerField()


class AnalyticsAtRiskSerializer(serializers.Serializer):
    period = AnalyticsRFMPeriodSerializer()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AnalyticsAtRiskCustomerSerializer(many=True)


# --- stock --------------------------------------------------------------------------------------------


class AnalyticsStockProductSerializer(serializers.Serializer):
    """The product of a stock line (001 shows `"product": {...}`)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    barcode = serializers.CharField()
    unit = serializers.CharField()
    category = serializers.IntegerField(source="category_id", allow_null=True)
    category_name = serializers.CharField(source="category.name", default=None, allow_null=True)
    cost_price = money_field()
    sale_price = money_field()
    reorder_level = quantity_field()
    is_active = serializers.BooleanField()


class AnalyticsStockLineSerializer(serializers.Serializer):
    """001 §4.4 line; `id` is the product's id (a stock line is per product, live or stored)."""

    id = serializers.IntegerField(source="product_id")
    product = AnalyticsStockProductSerializer()
    quantity_on_hand = quantity_field()
    reserved_quantity = quantity_field()
    available_quantity = quantity_field()
    avg_daily_sales = quantity_field()
    days_of_stock = serializers.FloatField(allow_null=True)
    reorder_level = quantity_field()
    is_low_stock = serializers.BooleanField()


class AnalyticsStockListSerializer(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    products = AnalyticsStockLineSerializer(many=True)
