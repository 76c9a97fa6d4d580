"""Document 001 §2 (products, categories, plus stock receive/adjust/movements and batches), §3 (shifts,
the till, sales) and document 000 §6-§7 (a customer's purchase history and stats).

Roles: every store staff member (owner, admin, manager, cashier) reads and sells; cashiers open,
close and report their own shifts and ring up sales in them. Creating or changing products and
categories (prices!), receiving and adjusting stock, and refunds need a manager or above.

`checkout` and `refund` honour an `Idempotency-Key` header (see `savdo.sales.idempotency`): a retry
with the same key gets the first answer (with `Idempotent-Replayed: true`), the same key with another
body 422, a duplicate while the first still runs 409.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from savdo.api.filters import FlagFilter
from savdo.api.pagination import positive_int_param
from savdo.api.plain import plain_input
from savdo.api.retail.conventions import RetailModelViewSet, RetailViewMixin, RetailViewSet, success
from savdo.api.retail.pos import serializers
from savdo.api.retail.pos.renderers import ExactDecimalJSONRenderer
from savdo.catalog import selectors as catalog_selectors
from savdo.catalog import services as catalog_services
from savdo.catalog.models import Category, Product
from savdo.core.dates import QueryDateFilter
from savdo.core.money import ZERO_QTY
from savdo.customers.models import Customer
from savdo.inventory import selectors as inventory_selectors
from savdo.inventory import services as inventory_services
from savdo.inventory.choices import MovementKind
from savdo.inventory.models import Batch, StockBalance, StockMovement
from savdo.sales import selectors as sales_selectors
from savdo.sales import services as sales_services
from savdo.sales.choices import SaleStatus, ShiftStatus
from savdo.sales.idempotency import StoredResponse, request_fingerprint, run_idempotent
from savdo.sales.models import CashSession, Sale
from savdo.tenancy.roles import MANAGERS, STORE_STAFF

ID_PATTERN = "[0-9]{1,18}"
MAX_ID = serializers.MAX_ID
CUSTOMER_NOT_FOUND = gettext_lazy("Customer not found.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Retries with the same key return the first answer and change nothing (kept 24 hours).",
)


IDEMPOTENCY_RESPONSES = {
    409: OpenApiResponse(description="A request with this Idempotency-Key is still running"),
    422: OpenApiResponse(description="This Idempotency-Key was used for a different request"),
}


def _actor(request):
    """The request's membership, holding the user the authentication already loaded (services record
    it as cashier, closer or on stock movements: no second read of it)."""
    membership = request.membership
    if membership.user_id == request.user.pk:
        membership.user = request.user
    return membership


# --- catalog -------------------------------------------------------------------------------------------


class CategoryFilter(filters.FilterSet):
    parent = filters.NumberFilter(field_name="parent_id", min_value=1, max_value=MAX_ID)
    is_active = FlagFilter()  # anything but true/false/1/0 is a 400

    class Meta:
        model = Category
        fields = ["parent", "is_active"]


class CategoryViewSet(RetailModelViewSet):
    """001 §2.4 categories: list and create, plus retrieve, update and delete (an empty one only)."""

    model = Category
    selector = catalog_selectors.category_list
    create_service = catalog_services.category_create
    update_service = catalog_services.category_update
    destroy_service = catalog_services.category_delete
    serializer_class = serializers.PosCategorySerializer
    lookup_value_regex = ID_PATTERN
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    filterset_class = CategoryFilter
    default_roles = STORE_STAFF
    action_roles = {"create": MANAGERS, "update": MANAGERS, "partial_update": MANAGERS, "destroy": MANAGERS}


class ProductFilter(filters.FilterSet):
    category = filters.NumberFilter(field_name="category_id", min_value=1, max_value=MAX_ID)
    is_active = FlagFilter()  # anything but true/false/1/0 is a 400

    class Meta:
        model = Product
        fields = ["category", "is_active"]


class ProductViewSet(RetailModelViewSet):
    """001 §2.1-§2.3: `?search=` (name, SKU, barcode), `?category=`, `?is_active=`,
    `?ordering=` (-created_at, name, sale_price); `low-stock/`. Stock on hand is read-only here:
    it moves with `/api/products/stock/receive/` and `/adjust/` and with sales."""

    model = Product
    selector = inventory_selectors.product_list_with_stock
    create_service = catalog_services.product_create
    update_service = catalog_services.product_update
    destroy_service = catalog_services.product_delete
    serializer_class = serializers.PosProductSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "barcode"]
    ordering_fields = ["created_at", "name", "sale_price"]
    ordering = ["-created_at", "-id"]
    default_roles = STORE_STAFF
    action_roles = {"create": MANAGERS, "update": MANAGERS, "partial_update": MANAGERS, "destroy": MANAGERS}
    # What a scanner asks over and over: answered from the cache until the catalog or stock changes.
    read_cache = dict.fromkeys(["list", "retrieve", "low_stock"], ("catalog", "stock"))

    # The kernel's create/update run the services; the answer shows the product as the list does,
    # with its stock on hand, so it is read again through the selector.
    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(responses={200: serializers.PosProductSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="low-stock")
    def low_stock(self, request):
        """Active products whose stock on hand is at or below their reorder level."""
        products = inventory_selectors.low_stock(products=self.filter_queryset(self.get_queryset()).order_by())
        page = self.paginate_queryset(products)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RetailViewSet):
    """Batches of products with their stock on hand (`?product=`, `?search=` batch number)."""

    model = Batch
    selector = inventory_selectors.batch_list
    serializer_class = serializers.PosBatchSerializer
    lookup_value_regex = ID_PATTERN
    filterset_fields = ["product"]
    search_fields = ["batch_number"]
    ordering_fields = ["expiry_date", "created_at"]
    default_roles = STORE_STAFF


class MovementFilter(filters.FilterSet):
    product = filters.NumberFilter(field_name="product_id", min_value=1, max_value=MAX_ID)
    batch = filters.NumberFilter(field_name="batch_id", min_value=1, max_value=MAX_ID)
    user = filters.NumberFilter(field_name="user_id", min_value=1, max_value=MAX_ID)
    kind = filters.ChoiceFilter(choices=MovementKind.choices)
    reference = filters.CharFilter()
    date_from = QueryDateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = QueryDateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = StockMovement
        fields = ["product", "batch", "user", "kind", "reference", "date_from", "date_to"]


class StockMovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RetailViewSet):
    """The stock ledger: `?product=`, `?batch=`, `?kind=` (receipt, sale, refund, adjustment), `?user=`,
    `?reference=` (a receipt number), `?date_from=`/`?date_to=` (local dates)."""

    model = StockMovement
    selector = inventory_selectors.movement_list
    serializer_class = serializers.PosStockMovementSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = MovementFilter
    ordering_fields = ["created_at"]
    default_roles = STORE_STAFF


class StockViewSet(RetailViewSet):
    """Bring goods in (`receive/`) and correct stock after a count (`adjust/`). Managers and above."""

    serializer_class = serializers.PosStockReceiveSerializer
    default_roles = MANAGERS
    pagination_class = None
    filter_backends: list = []

    def _result(self, product, movement, batch) -> dict:
        """The movement written (if any) and the stock on hand after it (of the product and batch)."""
        batch_id = batch.pk if batch is not None else (movement.batch_id if movement is not None else None)
        stock = StockBalance.objects.filter(product=product).values_list("quantity", flat=True).first()
        batch_quantity = (
            Batch.objects.filter(pk=batch_id).values_list("quantity", flat=True).first() if batch_id else None
        )
        return serializers.PosStockResultSerializer(
            {
                "movement": movement,
                "product": product.pk,
                "stock_quantity": stock if stock is not None else ZERO_QTY,
                "batch_quantity": batch_quantity,
            }
        ).data

    @extend_schema(
        request=serializers.PosStockReceiveSerializer, responses={201: serializers.PosStockEnvelopeSerializer}
    )
    @action(detail=False, methods=["post"])
    def receive(self, request):
        payload = serializers.PosStockReceiveSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        movement = inventory_services.stock_receive(tenant=request.tenant, user=request.user, **payload.validated_data)
        data = self._result(payload.validated_data["product"], movement, None)
        return success(data, message=_("Stock received"), status=201)

    @extend_schema(
        request=serializers.PosStockAdjustSerializer, responses={200: serializers.PosStockEnvelopeSerializer}
    )
    @action(detail=False, methods=["post"])
    def adjust(self, request):
        payload = serializers.PosStockAdjustSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        movement = inventory_services.stock_adjust(tenant=request.tenant, user=request.user, **payload.validated_data)
        message = _("Stock adjusted") if movement is not None else _("Stock matches the count; nothing changed")
        data = self._result(payload.validated_data["product"], movement, payload.validated_data.get("batch"))
        return success(data, message=message)


# --- shifts -------------------------------------------------------------------------------------------


class SessionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ShiftStatus.choices)
    cashier = filters.NumberFilter(field_name="cashier_id", min_value=1, max_value=MAX_ID)

    class Meta:
        model = CashSession
        fields = ["status", "cashier"]


@extend_schema_view(
    list=extend_schema(description="Shifts: a cashier sees their own, managers every shift."),
)
class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RetailViewSet):
    """001 §3.1: open, current, close, report."""

    model = CashSession
    selector = sales_selectors.session_list  # a cashier sees only their own shifts
    serializer_class = serializers.PosSessionSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = SessionFilter
    ordering_fields = ["opened_at"]
    default_roles = STORE_STAFF

    @extend_schema(
        request=serializers.PosSessionOpenSerializer, responses={201: serializers.PosSessionEnvelopeSerializer}
    )
    @action(detail=False, methods=["post"])
    def open(self, request):
        payload = serializers.PosSessionOpenSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = sales_services.shift_open(actor=_actor(request), **payload.validated_data)
        return success(serializers.PosSessionSerializer(session).data, message=_("Shift opened"), status=201)

    @extend_schema(
        responses={200: serializers.PosSessionEnvelopeSerializer, 404: OpenApiResponse(description="No open shift")}
    )
    @action(detail=False, methods=["get"])
    def current(self, request):
        session = sales_services.open_shift_of(actor=_actor(request))
        if session is None:
            raise NotFound(_("You have no open shift."))
        return success(serializers.PosSessionSerializer(session).data)

    @extend_schema(
        request=serializers.PosSessionCloseSerializer, responses={200: serializers.PosSessionEnvelopeSerializer}
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        session = self.get_object()
        payload = serializers.PosSessionCloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = sales_services.shift_close(actor=_actor(request), session=session, **payload.validated_data)
        return success(serializers.PosSessionSerializer(session).data, message=_("Shift closed"))

    @extend_schema(responses={200: serializers.PosReportEnvelopeSerializer})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        report = sales_selectors.shift_report(session=self.get_object())
        return success(serializers.PosShiftReportSerializer(report).data)


# --- sales -------------------------------------------------------------------------------------------------


class SaleFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=SaleStatus.choices)
    session = filters.NumberFilter(field_name="session_id", min_value=1, max_value=MAX_ID)
    customer = filters.NumberFilter(field_name="customer_id", min_value=1, max_value=MAX_ID)
    search = filters.CharFilter(method="filter_search", label="Receipt number, customer name or phone")
    date_from = QueryDateFilter(method="filter_dates", label="Created on or after this local date")
    date_to = QueryDateFilter(method="filter_dates", label="Created on or before this local date")

    class Meta:
        model = Sale
        fields = ["status", "session", "customer", "search", "date_from", "date_to"]

    def filter_search(self, queryset, name, value):
        return sales_selectors.sale_search(queryset, value)

    def filter_dates(self, queryset, name, value):
        bounds = {name: value}
        return sales_selectors.sales_in_local_days(
            queryset, tenant=self.request.tenant, date_from=bounds.get("date_from"), date_to=bounds.get("date_to")
        )


class SaleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RetailViewSet):
    """001 §3.2-§3.3: the till (scan-item, current, add-item, remove-item, set-customer, checkout,
    cancel, refund) and the sales lists (`?status=`, `?session=`, `?search=`, `?date_from=`,
    `?date_to=`; `today/`)."""

    model = Sale
    selector = sales_selectors.sale_list
    serializer_class = serializers.PosSaleSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = SaleFilter
    ordering_fields = ["created_at", "total_amount", "completed_at"]
    default_roles = STORE_STAFF
    action_roles = {"refund": MANAGERS}
    # the lists (and `retrieve`) read through `sale_list` and its filters; commands load the sale
    # by id alone (`get_object`) and lock it themselves
    list_actions = ("list", "retrieve", "today")

    def filter_queryset(self, queryset):
        """The list filters (`?status=`, `?search=`, ordering...) shape the lists and `retrieve`; a
        command on one sale looks it up by id alone."""
        if self.action not in self.list_actions:
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        """`retrieve` as DRF's; a command's sale is the tenant's sale with the id in the path, by a
        fixed read (the command then locks it), with DRF's 404 when there is none."""
        if self.action in self.list_actions:
            return super().get_object()
        sale = sales_selectors.sale_of_tenant(tenant_id=self.request.tenant.pk, sale_id=int(self.kwargs["pk"]))
        if sale is None:
            raise Http404(f"No {Sale._meta.object_name} matches the given query.")
        self.check_object_permissions(self.request, sale)
        return sale

    def _sale(self, sale, *, message: str | None = None, status: int = 200) -> Response:
        """The sale a command returned, as `retrieve` shows it: from what the command holds when it
        attached the sale's lines, payments and refunds, else read again."""
        if not sales_services.sale_carries_related(sale):
            sale = sales_selectors.sale_list(tenant=self.request.tenant).get(pk=sale.pk)
        return success(serializers.render_sale(sale), message=message, status=status)

    def _input(self, serializer_class, *, plain: bool = True, **context):
        """The body's validated data: read plainly where it is plain (`savdo.api.plain`), else (or
        without `plain`) by the serializer. `context` adds to the serializer's."""
        context = {**self.get_serializer_context(), **context}
        data = plain_input(serializer_class, self.request.data, context) if plain else None
        if data is not None:
            return data
        payload = serializer_class(data=self.request.data, context=context)
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    def _idempotent(self, operation, payload: dict) -> Response:
        """Run `operation` under the request's Idempotency-Key. Two requests are "the same" when the
        method, path (either slash form), user and validated body match: `7000`, `"7000"` and
        `"7000.00"` are one amount."""
        request = self.request
        fingerprint = request_fingerprint(request.method, request.path.rstrip("/"), request.user.pk, payload)
        result, replayed = run_idempotent(
            tenant=request.tenant,
            key=request.headers.get("Idempotency-Key"),
            fingerprint=fingerprint,
            operation=operation,
        )
        response = Response(result.body, status=result.status)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(responses={200: serializers.PosSaleSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def today(self, request):
        """Sales created today (the tenant's local date); the list filters apply too."""
        sales = sales_selectors.sales_today(self.filter_queryset(self.get_queryset()), tenant=request.tenant)
        page = self.paginate_queryset(sales)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("session", OpenApiTypes.INT, description="Shift id (default: your open shift)")],
        responses={
            200: serializers.PosSaleEnvelopeSerializer,
            404: OpenApiResponse(description="No open shift, or no pending sale in it"),
        },
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def current(self, request):
        """The pending sale (draft) of a shift."""
        query = serializers.PosCurrentSaleQuerySerializer(
            data=request.query_params, context=self.get_serializer_context()
        )
        query.is_valid(raise_exception=True)
        session = query.validated_data.get("session") or sales_services.open_shift_of(actor=_actor(request))
        if session is None:
            raise NotFound(_("You have no open shift."))
        sale = sales_selectors.pending_sale(session=session)
        if sale is None:
            raise NotFound(_("There is no pending sale in this shift."))
        return success(serializers.PosSaleSerializer(sale).data)

    @extend_schema(request=serializers.PosScanItemSerializer, responses={200: serializers.PosSaleEnvelopeSerializer})
    @action(detail=False, methods=["post"], url_path="scan-item")
    def scan_item(self, request):
        """Add a product (by id or barcode) to the shift's pending sale, creating it if needed."""
        # a plain body's product is read with the sale's lock, in the same round trip
        data = self._input(serializers.PosScanItemSerializer, product_by_id=True)
        try:
            sale = sales_services.sale_scan_item(actor=_actor(request), **data)
        except Product.DoesNotExist:
            # the serializer words the refusal (or, had the product just been added, reads it)
            data = self._input(serializers.PosScanItemSerializer, plain=False)
            sale = sales_services.sale_scan_item(actor=_actor(request), **data)
        return self._sale(sale, message=_("Item added"))

    @extend_schema(request=serializers.PosItemInputSerializer, responses={200: serializers.PosSaleEnvelopeSerializer})
    @action(detail=True, methods=["post"], url_path="add-item")
    def add_item(self, request, pk=None):
        sale = self.get_object()
        data = self._input(serializers.PosItemInputSerializer)
        sale = sales_services.sale_add_item(actor=_actor(request), sale=sale, **data)
        return self._sale(sale, message=_("Item added"))

    @extend_schema(request=serializers.PosRemoveItemSerializer, responses={200: serializers.PosSaleEnvelopeSerializer})
    @action(detail=True, methods=["delete"], url_path="remove-item")
    def remove_item(self, request, pk=None):
        sale = self.get_object()
        data = self._input(serializers.PosRemoveItemSerializer)
        sale = sales_services.sale_remove_item(actor=_actor(request), sale=sale, **data)
        return self._sale(sale, message=_("Item removed"))

    @extend_schema(request=serializers.PosSetCustomerSerializer, responses={200: serializers.PosSaleEnvelopeSerializer})
    @action(detail=True, methods=["post"], url_path="set-customer")
    def set_customer(self, request, pk=None):
        """Attach a customer (by id or phone) to the pending sale, change it, or detach it (`null`)."""
        sale = self.get_object()
        data = self._input(serializers.PosSetCustomerSerializer)
        sale = sales_services.sale_set_customer(actor=_actor(request), sale=sale, **data)
        message = _("Customer attached") if sale.customer_id else _("Customer removed from the sale")
        return self._sale(sale, message=message)

    @extend_schema(
        request=serializers.PosCheckoutSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: serializers.PosSaleEnvelopeSerializer, **IDEMPOTENCY_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def checkout(self, request, pk=None):
        """Complete the sale: one or several payments covering the total exactly (change only from cash)."""
        sale = self.get_object()
        data = self._input(serializers.PosCheckoutSerializer)
        payments = [sales_services.PaymentInput(**payment) for payment in data["payments"]]

        def operation() -> StoredResponse:
            done = sales_services.sale_checkout(actor=_actor(request), sale=sale, payments=payments)
            response = self._sale(done, message=_("Sale completed"))
            return StoredResponse(response.status_code, response.data)

        return self._idempotent(operation, data)

    @extend_schema(request=None, responses={200: serializers.PosSaleEnvelopeSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        sale = sales_services.sale_cancel(actor=_actor(request), sale=self.get_object())
        return self._sale(sale, message=_("Sale cancelled"))

    @extend_schema(
        request=serializers.PosRefundInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: serializers.PosSaleEnvelopeSerializer, **IDEMPOTENCY_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Refund everything left (empty body) or `items: [{item_id, quantity}]`. Managers and above."""
        sale = self.get_object()
        data = self._input(serializers.PosRefundInputSerializer)
        lines = [sales_services.RefundLine(**line) for line in data.get("items") or []]

        def operation() -> StoredResponse:
            sales_services.sale_refund(actor=_actor(request), sale=sale, lines=lines, reason=data["reason"])
            response = self._sale(sale, message=_("Refund completed"))
            return StoredResponse(response.status_code, response.data)

        return self._idempotent(operation, data)


# --- document 000: a customer's purchases --------------------------------------------------------------


class CustomerPurchasesMixin(RetailViewMixin):
    renderer_classes = [ExactDecimalJSONRenderer]
    default_roles = STORE_STAFF
    pagination_class = None

    def customer(self, pk) -> Customer:
        customer = Customer.objects.for_tenant(self.request.tenant).filter(pk=pk).first()
        if customer is None:
            raise NotFound(CUSTOMER_NOT_FOUND)
        return customer


class CustomerPurchaseHistoryView(CustomerPurchasesMixin, GenericAPIView):
    """000 §6: `{count, results: [{id, sale_number, created_at, total_amount, items: [{product_name,
    quantity, price, total}]}]}` (money as numbers), newest first; `?date_from=`/`?date_to=` (local
    dates), `?page=`/`?page_size=` (default 20)."""

    serializer_class = serializers.PosPurchaseHistorySerializer
    read_cache = {"get": ("sales", "customers")}

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={200: serializers.PosPurchaseHistorySerializer},
    )
    def get(self, request, pk):
        customer = self.customer(pk)
        query = serializers.PosHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = positive_int_param(request, "page", 1, maximum=10**6)
        size = positive_int_param(request, "page_size", 20)
        sales = sales_selectors.customer_purchase_history(customer=customer, **query.validated_data)
        count = sales.count()
        rows = list(sales[(page - 1) * size : page * size])
        return Response(serializers.PosPurchaseHistorySerializer({"count": count, "results": rows}).data)


class CustomerStatsView(CustomerPurchasesMixin, GenericAPIView):
    """000 §7: `{customer: {id, full_name, phone}, purchases: {total_amount, total_count,
    last_purchase, loyalty_points}}`."""

    serializer_class = serializers.PosCustomerStatsSerializer
    read_cache = {"get": ("sales", "customers")}

    @extend_schema(responses={200: serializers.PosCustomerStatsSerializer})
    def get(self, request, pk):
        customer = self.customer(pk)
        body = {"customer": customer, "purchases": sales_selectors.customer_purchase_stats(customer=customer)}
        return Response(serializers.PosCustomerStatsSerializer(body).data)
