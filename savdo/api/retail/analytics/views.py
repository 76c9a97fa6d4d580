"""Document 001 §4 (`/api/analytics/`): daily reports, product performance, RFM and stock.

Every endpoint is read-only and needs a manager or above (cashiers get 403). The numbers come from
`savdo.analytics.selectors` (see its docstring: rollups for reports, net of refunds, live stock);
views only validate the query, call one selector and render.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from savdo.analytics import constants, selectors
from savdo.api.retail.analytics import serializers
from savdo.api.retail.conventions import RetailPagination, RetailViewSet
from savdo.sales.models import DailySales
from savdo.tenancy.roles import MANAGERS

ID_PATTERN = "[0-9]{1,18}"
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number (1 by default)."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page."),
]


def _query(serializer_class, request) -> dict:
    """The validated query parameters (400 `{"field": ["message"]}` when they are not valid)."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _period(request, query: dict, default_days: int) -> selectors.Period:
    return selectors.period_or_default(
        request.tenant, query.get("start_date"), query.get("end_date"), default_days=default_days
    )


def _page_number(request) -> int:
    """`?page=` (1 by default); anything but a positive whole number is 404, as DRF's paginators do."""
    raw = request.query_params.get("page") or "1"
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise NotFound(_("Invalid page."))
    return int(raw)


def _page_links(request, number: int, more: bool) -> tuple[str | None, str | None]:
    """`next` and `previous` as DRF's page-number pagination writes them (page 1 without `page=`)."""
    url = request.build_absolute_uri()
    next_link = replace_query_param(url, "page", number + 1) if more else None
    if number == 1:
        return next_link, None
    if number == 2:
        return next_link, remove_query_param(url, "page")
    return next_link, replace_query_param(url, "page", number - 1)


def _check_length(period: selectors.Period) -> None:
    """With one bound defaulted (the end is today), the period can still be too long or reversed."""
    if period.days > constants.MAX_REPORT_DAYS:
        raise ValidationError({"start_date": [serializers.PERIOD_TOO_LONG % {"days": constants.MAX_REPORT_DAYS}]})
    if period.days < 1:
        raise ValidationError({"start_date": [_("The start date is after the end date.")]})


class AnalyticsViewSet(RetailViewSet):
    default_roles = MANAGERS
    filter_backends: list = []
    # The store's reports are the same for every manager: one cached answer serves them all
    # (tests/api/test_readcache_scopes.py holds every member of a role to the same answer).
    read_cache_shared_by_role = True


# --- 4.1 daily sales ---------------------------------------------------------------------------------


class DailySalesViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AnalyticsViewSet):
    """001 §4.1. The list holds the days with sales or refunds, newest first (`?start_date=`,
    `?end_date=`, paginated); `today/`, `period/` and `trends/` cover every day asked for, days
    without sales as zeros."""

    model = DailySales
    selector = selectors.daily_sales_list
    serializer_class = serializers.AnalyticsDailyReportSerializer
    lookup_value_regex = ID_PATTERN
    read_cache = dict.fromkeys(["list", "retrieve", "today", "period", "trends"], ("sales",))

    @extend_schema(parameters=[serializers.AnalyticsPeriodQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = _query(serializers.AnalyticsPeriodQuerySerializer, request)
        rows = selectors.daily_sales_list(
            tenant=request.tenant, start=query.get("start_date"), end=query.get("end_date")
        )
        page = self.paginate_queryset(rows)
        reports = [selectors.daily_report_of(row, row.date) for row in page]
        return self.get_paginated_response(self.get_serializer(reports, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        return Response(self.get_serializer(selectors.daily_report_of(row, row.date)).data)

    @action(detail=False, methods=["get"])
    def today(self, request):
        """Today's report in the tenant's time zone (zeros, `id: null`, before the first sale)."""
        report = selectors.daily_report(tenant=request.tenant, day=selectors.tenant_today(request.tenant))
        return Response(self.get_serializer(report).data)

    @extend_schema(
        parameters=[serializers.AnalyticsPeriodQuerySerializer],
        responses={200: serializers.AnalyticsPeriodReportSerializer},
    )
    @action(detail=False, methods=["get"])
    def period(self, request):
        """`?start_date=&end_date=` (default: the last 30 days up to today): totals and every day."""
        query = _query(serializers.AnalyticsPeriodQuerySerializer, request)
        period = _period(request, query, constants.DEFAULT_PERIOD_DAYS)
        _check_length(period)
        report = selectors.period_report(tenant=request.tenant, period=period)
        return Response(serializers.AnalyticsPeriodReportSerializer(report).data)

    @extend_schema(
        parameters=[serializers.AnalyticsDaysQuerySerializer], responses={200: serializers.AnalyticsTrendsSerializer}
    )
    @action(detail=False, methods=["get"])
    def trends(self, request):
        """`?days=N` (default 30): one point per day up to today, days without sales as zeros."""
        query = _query(serializers.AnalyticsDaysQuerySerializer, request)
        period = selectors.last_days(request.tenant, query.get("days") or constants.DEFAULT_TRENDS_DAYS)
        points = selectors.daily_reports(tenant=request.tenant, period=period)
        return Response(serializers.AnalyticsTrendsSerializer({"period": period, "trends": points}).data)


# --- 4.2 product performance -------------------------------------------------------------------------


class ProductPerformanceViewSet(AnalyticsViewSet):
    """001 §4.2: `top-products/` and `slow-movers/`."""

    serializer_class = serializers.AnalyticsTopProductsSerializer
    read_cache = {"top_products": ("sales", "catalog"), "slow_movers": ("sales", "catalog", "stock")}

    @extend_schema(
        parameters=[serializers.AnalyticsTopProductsQuerySerializer],
        responses={200: serializers.AnalyticsTopProductsSerializer},
    )
    @action(detail=False, methods=["get"], url_path="top-products")
    def top_products(self, request):
        """`?start_date=&end_date=` (default: the last 30 days up to today), `?limit=` (10),
        `?order_by=revenue|quantity|profit`. Net of refunds; profit at the cost of the moment of sale."""
        query = _query(serializers.AnalyticsTopProductsQuerySerializer, request)
        period = _period(request, query, constants.DEFAULT_TOP_PRODUCTS_DAYS)
        _check_length(period)
        products = selectors.top_products(
            tenant=request.tenant, period=period, order_by=query["order_by"], limit=query["limit"]
        )
        return Response(serializers.AnalyticsTopProductsSerializer({"period": period, "top_products": products}).data)

    @extend_schema(
        parameters=[serializers.AnalyticsSlowMoversQuerySerializer],
        responses={200: serializers.AnalyticsSlowMoversSerializer},
    )
    @action(detail=False, methods=["get"], url_path="slow-movers")
    def slow_movers(self, request):
        """`?days=N` (default 30), `?limit=` (10): products in stock that sold least in those days."""
        query = _query(serializers.AnalyticsSlowMoversQuerySerializer, request)
        period = selectors.last_days(request.tenant, query.get("days") or constants.DEFAULT_SLOW_MOVERS_DAYS)
        products = selectors.slow_movers(tenant=request.tenant, period=period, limit=query["limit"])
        body = {"period": period, "count": len(products), "products": products}
        return Response(serializers.AnalyticsSlowMoversSerializer(body).data)


# --- 4.3 customers (RFM) -------------------------------------------------------------------------------


class CustomerAnalyticsViewSet(AnalyticsViewSet):
    """001 §4.3: RFM over `?start_date=&end_date=` (default: the last 365 days up to today), computed
    live from the sales (a purchase made a second ago counts)."""

    serializer_class = serializers.AnalyticsSegmentsSerializer
    read_cache = {"segments": ("sales",), "at_risk": ("sales", "customers")}

    def _period(self, request) -> selectors.Period:
        query = _query(serializers.AnalyticsPeriodQuerySerializer, request)
        period = _period(request, query, constants.DEFAULT_RFM_DAYS)
        _check_length(period)
        return period

    @extend_schema(
        parameters=[serializers.AnalyticsPeriodQuerySerializer],
        responses={200: serializers.AnalyticsSegmentsSerializer},
    )
    @action(detail=False, methods=["get"])
    def segments(self, request):
        """The ten segments of 001 in its order, with customers, spend and average purchase."""
        period = self._period(request)
        segments = selectors.rfm_segments(tenant=request.tenant, period=period)
        body = {"period": period, "total_customers": sum(s.count for s in segments), "segments": segments}
        return Response(serializers.AnalyticsSegmentsSerializer(body).data)

    @extend_schema(
        parameters=[serializers.AnalyticsPeriodQuerySerializer, *PAGE_PARAMETERS],
        responses={200: serializers.AnalyticsAtRiskSerializer},
    )
    @action(detail=False, methods=["get"], url_path="at-risk")
    def at_risk(self, request):
        """Customers in At Risk, Can't Lose Them, Hibernating and Lost, biggest spenders first, with
        their scores, spend and last purchase (`?page=&page_size=`, a page past the end is 404)."""
        period = self._period(request)
        size = self.paginator.get_page_size(request)
        number = _page_number(request)
        page = selectors.rfm_at_risk(tenant=request.tenant, period=period, offset=(number - 1) * size, limit=size)
        if not page.customers and number > 1:
            raise NotFound(_("Invalid page."))
        more = (number - 1) * size + len(page.customers) < page.total
        next_link, previous_link = _page_links(request, number, more)
        body = {
            "period": period,
            "count": page.total,
            "next": next_link,
            "previous": previous_link,
            "results": page.customers,
        }
        return Response(serializers.AnalyticsAtRiskSerializer(body).data)


# --- 4.4 stock -----------------------------------------------------------------------------------------


class StockPagination(RetailPagination):
    """A stock list answers the whole catalogue in one page unless `?page_size=` asks for less."""

    page_size = settings.MAX_PAGE_SIZE


class InventorySnapshotViewSet(AnalyticsViewSet):
    """001 §4.4. `latest/`, `low-stock-alerts/` and `out-of-stock/` answer the stock now (the
    ledger's balances, minus what pending sales reserve); `GET inventory-snapshots/` answers a stored
    snapshot (`savdo snapshot-stock`) of `?date=` (default: the latest one)."""

    serializer_class = serializers.AnalyticsStockListSerializer
    pagination_class = StockPagination
    # Live stock is on hand minus what pending sales hold: the sales scope too.
    read_cache = dict.fromkeys(
        ["snapshot", "latest", "low_stock_alerts", "out_of_stock"], ("stock", "catalog", "sales")
    )

    def _render(self, day, lines_of_page, rows) -> Response:
        page = self.paginate_queryset(rows)
        body = {
            "date": day,
            "count": self.paginator.page.paginator.count,
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "products": lines_of_page(list(page)),
        }
        return Response(serializers.AnalyticsStockListSerializer(body).data)

    def _live(self, request, products) -> Response:
        tenant = request.tenant
        return self._render(
            selectors.tenant_today(tenant),
            lambda page: selectors.stock_rows(tenant=tenant, products=page),
            products,
        )

    @extend_schema(
        parameters=[serializers.AnalyticsSnapshotQuerySerializer, *PAGE_PARAMETERS],
        responses={200: serializers.AnalyticsStockListSerializer},
    )
    def snapshot(self, request):  # routed by hand in urls.py: one snapshot, not a router "list"
        """The stored snapshot of `?date=` (default: the latest one; 404 when none was taken that day)."""
        query = _query(serializers.AnalyticsSnapshotQuerySerializer, request)
        day = selectors.stock_snapshot_date(tenant=request.tenant, day=query.get("date"))
        if day is None:
            if query.get("date"):
                raise NotFound(_("No stock snapshot was taken on %(date)s.") % {"date": query["date"].isoformat()})
            raise NotFound(_("No stock snapshot has been taken yet."))
        return self._render(day, lambda page: page, selectors.stock_snapshot_list(tenant=request.tenant, day=day))

    @extend_schema(parameters=PAGE_PARAMETERS)
    @action(detail=False, methods=["get"])
    def latest(self, request):
        """Every reported product's stock now, by name."""
        return self._live(request, selectors.stock_levels(tenant=request.tenant))

    @extend_schema(parameters=PAGE_PARAMETERS)
    @action(detail=False, methods=["get"], url_path="low-stock-alerts")
    def low_stock_alerts(self, request):
        """Active products at or below their reorder level, the emptiest first."""
        return self._live(request, selectors.stock_low(tenant=request.tenant))

    @extend_schema(parameters=PAGE_PARAMETERS)
    @action(detail=False, methods=["get"], url_path="out-of-stock")
    def out_of_stock(self, request):
        """Active products with nothing on hand."""
        return self._live(request, selectors.stock_out(tenant=request.tenant))
