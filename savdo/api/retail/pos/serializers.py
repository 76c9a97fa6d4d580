"""Document 001 §2-§3 (products, categories, stock, shifts, sales) and 000 §6-§7 (purchase history,
stats) shapes. Request shape and formats only; the rules live in the catalog, inventory and sales
services.

Rendering: on /api/products/ and /api/sales/ money is a string with two places ("150000.00") and a
quantity a string with three ("2.000"), as 001 shows; 000's purchase history and stats show JSON
numbers (`150000.00`), rendered exactly (see `renderers.ExactDecimalJSONRenderer`).
Related ids are looked up in the request's tenant: another tenant's id reads as "not found".
"""

import functools
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from savdo.api import fastlists, plain
from savdo.api.fastlists import FastListSerializer
from savdo.catalog.choices import Unit
from savdo.catalog.models import Category, Product
from savdo.catalog.selectors import product_by_barcode
from savdo.core.dates import QueryDateField
from savdo.core.money import MONEY_MAX_DIGITS, MONEY_PLACES, QUANTITY_MAX_DIGITS, QUANTITY_PLACES
from savdo.core.phones import normalize_phone
from savdo.customers.models import Customer
from savdo.inventory.choices import MovementKind
from savdo.inventory.models import Batch, StockMovement
from savdo.inventory.selectors import product_with_stock, with_stock
from savdo.sales.choices import PaymentMethod, SaleStatus, ShiftStatus
from savdo.sales.models import CashSession, Payment, Refund, Sale, SaleItem

MAX_ID = 2**63 - 1
MAX_QUANTITY = Decimal("99999999999.999")
MAX_MONEY = Decimal("999999999999.99")


def money_field(**kwargs) -> serializers.DecimalField:
    kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
    kwargs.setdefault("decimal_places", MONEY_PLACES)
    return serializers.DecimalField(**kwargs)


def quantity_field(**kwargs) -> serializers.DecimalField:
    kwargs.setdefault("max_digits", QUANTITY_MAX_DIGITS)
    kwargs.setdefault("decimal_places", QUANTITY_PLACES)
    return serializers.DecimalField(**kwargs)


def positive_quantity(**kwargs) -> serializers.DecimalField:
    return quantity_field(min_value=Decimal("0.001"), max_value=MAX_QUANTITY, **kwargs)


class TenantPK(serializers.PrimaryKeyRelatedField):
    """An id of a row of the request's tenant; anything else is "not found" (400 on that field)."""

    default_error_messages = {
        "does_not_exist": _("Not found."),
        "incorrect_type": _("Not found."),
    }

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        tenant = self.context.get("tenant")
        if tenant is None:
            return self.model.objects.none()
        queryset = self.model.objects.for_tenant(tenant)
        if self.model is Customer:
            queryset = queryset.select_related("group")
        return queryset


class TenantId(TenantPK):
    """An id for a row of the request's tenant that the command itself reads (and locks): shaped
    and refused like `TenantPK`, but not looked up here. The command answers "not found" on the
    field if the tenant has no such row."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return self.pk_field.to_internal_value(data)

    def plain_reader(self):
        """`savdo.api.plain`: an id in range, as it is."""
        return plain.reader_of(self.pk_field)


class ProductPK(TenantPK):
    """A product of the request's tenant, read with its stock on hand (`stock_quantity`, same query)
    for the till's early stock check."""

    def __init__(self, **kwargs):
        super().__init__(Product, **kwargs)

    def get_queryset(self):
        return with_stock(super().get_queryset())

    def to_internal_value(self, data):
        """As DRF's, through the fixed read every scan makes (`product_with_stock`)."""
        pk = self.pk_field.to_internal_value(data)
        product = self._product(pk, self.context)
        if product is None:
            self.fail("does_not_exist", pk_value=pk)
        return product

    @staticmethod
    def _product(pk: int, context: dict) -> Product | None:
        tenant = context.get("tenant")
        return product_with_stock(tenant_id=tenant.pk, product_id=pk) if tenant is not None else None

    def plain_reader(self):
        """`savdo.api.plain`: an id in range of one of the tenant's products, read as here; with
        `product_by_id` in the context, the id itself (the caller reads the product, and runs the
        serializer when there is none)."""
        read_id = plain.reader_of(self.pk_field)

        def read(value, context):
            pk = read_id(value, context)
            if pk is plain.NOT_PLAIN or context.get("product_by_id"):
                return pk
            product = self._product(pk, context)
            return plain.NOT_PLAIN if product is None else product

        return read


@functools.cache
def _named_choice_class(choices, component: str) -> type[serializers.ChoiceField]:
    schema = {"type": "string", "enum": list(choices.values)}
    return extend_schema_field(schema, component_name=component)(
        type(f"{component}Field", (serializers.ChoiceField,), {})
    )


def named_choice(choices, component: str, **kwargs) -> serializers.ChoiceField:
    """A choice field whose enum is its own named OpenAPI component (`component`).

    Several documents use the same field names (`status`, `payment_method`, `unit`) with different
    vocabularies; named components keep their enums from colliding across surfaces.
    """
    return _named_choice_class(choices, component)(choices=choices.choices, **kwargs)


class SecondsDateTimeField(serializers.DateTimeField):
    """ISO 8601 to the second in the tenant's time zone, as document 000 shows it."""

    def to_representation(self, value):
        if value is None:
            return None
        return timezone.localtime(value).replace(microsecond=0).isoformat()


class MoneyNumberField(serializers.DecimalField):
    """Money as a JSON number with two places (document 000)."""

    def __init__(self, **kwargs):
        kwargs.update(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_PLACES, coerce_to_string=False)
        super().__init__(**kwargs)


class QuantityNumberField(serializers.DecimalField):
    """A quantity as a JSON number without trailing zeros (`5`, `1.25`), as document 000 shows it."""

    def __init__(self, **kwargs):
        kwargs.update(max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_PLACES, coerce_to_string=False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        value = super().to_representation(value)
        normalized = value.normalize()
        return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral_value() else normalized


# --- catalog -----------------------------------------------------------------------------------------


class PosCategorySerializer(serializers.ModelSerializer):
    parent = TenantPK(Category, required=False, allow_null=True)
    products_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Category
        fields = ["id", "name", "description", "parent", "is_active", "products_count", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["products_count"] = getattr(instance, "products_count", 0)
        return data


class PosProductSerializer(serializers.ModelSerializer):
    """001 §2.2 plus category, active flag, reorder level and (read-only) stock on hand."""

    category = TenantPK(Category, required=False, allow_null=True)
    category_name = serializers.CharField(source="category.name", read_only=True, allow_null=True)
    cost_price = money_field(min_value=Decimal("0"), max_value=MAX_MONEY, required=False)
    sale_price = money_field(min_value=Decimal("0"), max_value=MAX_MONEY)
    wholesale_price = money_field(min_value=Decimal("0"), max_value=MAX_MONEY, required=False)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False)
    reorder_level = quantity_field(min_value=Decimal("0"), max_value=MAX_QUANTITY, required=False)
    unit = named_choice(Unit, "PosUnit", required=False)
    stock_quantity = quantity_field(read_only=True)
    is_low_stock = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "sku",
            "barcode",
            "description",
            "category",
            "category_name",
            "cost_price",
            "sale_price",
            "wholesale_price",
            "tax_rate",
            "unit",
            "is_active",
            "reorder_level",
            "stock_quantity",
            "is_low_stock",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []
        extra_kwargs = {"barcode": {"required": False, "allow_blank": True}}

    def get_is_low_stock(self, product) -> bool:
        stock = getattr(product, "stock_quantity", None)
        return stock is not None and product.is_active and stock <= product.reorder_level

    def validate_sku(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("This field may not be blank."))
        return value


# --- stock ----------------------------------------------------------------------------------------------


class PosBatchSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    quantity = quantity_field(read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "product",
            "product_name",
            "batch_number",
            "expiry_date",
            "cost_price",
            "quantity",
            "created_at",
        ]
        read_only_fields = fields


class PosStockMovementSerializer(serializers.ModelSerializer):
    kind = named_choice(MovementKind, "PosMovementKind", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    batch_number = serializers.CharField(source="batch.batch_number", read_only=True, allow_null=True)
    user_name = serializers.CharField(source="user.name", read_only=True, allow_null=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "product",
            "product_name",
            "batch",
            "batch_number",
            "kind",
            "quantity",
            "balance_after",
            "unit_cost",
            "reference",
            "reason",
            "user",
            "user_name",
            "created_at",
        ]
        read_only_fields = fields


class PosStockReceiveSerializer(serializers.Serializer):
    """Goods in: into an existing batch (`batch`), a batch found or created by `batch_number`, or none."""

    product = TenantPK(Product)
    quantity = positive_quantity()
    batch = TenantPK(Batch, required=False, allow_null=True)
    batch_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    expiry_date = serializers.DateField(required=False, allow_null=True)
    cost_price = money_field(min_value=Decimal("0"), max_value=MAX_MONEY, required=False, allow_null=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs.get("batch") and attrs.get("batch_number"):
            raise serializers.ValidationError({"batch_number": [_("Give either a batch or a batch number.")]})
        return attrs


class PosStockAdjustSerializer(serializers.Serializer):
    """A count: `counted_quantity` is what is on the shelf (of the batch, if `batch` is given)."""

    product = TenantPK(Product)
    batch = TenantPK(Batch, required=False, allow_null=True)
    counted_quantity = quantity_field(min_value=Decimal("0"), max_value=MAX_QUANTITY)
    reason = serializers.CharField(max_length=500)


class PosStockResultSerializer(serializers.Serializer):
    movement = PosStockMovementSerializer(allow_null=True)
    product = serializers.IntegerField()
    stock_quantity = quantity_field()
    batch_quantity = quantity_field(allow_null=True)


# --- shifts -----------------------------------------------------------------------------------------------


class PosSessionSerializer(serializers.ModelSerializer):
    cashier_name = serializers.CharField(source="cashier.name", read_only=True)
    status = named_choice(ShiftStatus, "PosShiftStatus", read_only=True)

    class Meta:
        model = CashSession
        fields = [
            "id",
            "cashier",
            "cashier_name",
            "status",
            "opening_balance",
            "opened_at",
            "closed_at",
            "closed_by",
            "expected_cash",
            "actual_cash",
            "cash_difference",
            "note",
        ]
        read_only_fields = fields


class PosSessionOpenSerializer(serializers.Serializer):
    opening_balance = money_field(min_value=Decimal("0"), max_value=MAX_MONEY, required=False, default=Decimal("0"))


class PosSessionCloseSerializer(serializers.Serializer):
    actual_cash = money_field(min_value=Decimal("0"), max_value=MAX_MONEY)
    cancel_pending = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PosMethodAmountsSerializer(serializers.Serializer):
    cash = money_field()
    card = money_field()
    mobile = money_field()
    transfer = money_field()


class PosShiftReportSerializer(serializers.Serializer):
    session = PosSessionSerializer()
    sales_count = serializers.IntegerField()
    sales_total = money_field()
    subtotal = money_field()
    discount_total = money_field()
    tax_total = money_field()
    items_sold = quantity_field()
    average_sale = money_field()
    cancelled_count = serializers.IntegerField()
    pending_count = serializers.IntegerField()
    refunds_count = serializers.IntegerField()
    refunds_total = money_field()
    refunds_tax = money_field()
    refunded_items = quantity_field()
    net_total = money_field()
    payments = PosMethodAmountsSerializer()
    refunds_by_method = PosMethodAmountsSerializer()
    opening_balance = money_field()
    cash_received = money_field()
    change_given = money_field()
    cash_refunded = money_field()
    expected_cash = money_field()
    actual_cash = money_field(allow_null=True)
    cash_difference = money_field(allow_null=True)


# --- sales ------------------------------------------------------------------------------------------------


class PosSaleItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = SaleItem
        fields = [
            "id",
            "product",
            "product_name",
            "product_sku",
            "batch",
            "unit",
            "quantity",
            "unit_price",
            "subtotal",
            "discount_percent",
            "discount_amount",
            "tax_rate",
            "tax_amount",
            "total_amount",
            "refunded_quantity",
            "refunded_amount",
        ]
        read_only_fields = fields
        list_serializer_class = FastListSerializer  # a sale's lines, payments, refunds


class PosPaymentSerializer(serializers.ModelSerializer):
    payment_method = named_choice(PaymentMethod, "PosPaymentMethod", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "payment_method",
            "amount",
            "received_amount",
            "change_amount",
            "card_last4",
            "transaction_id",
            "refunded_amount",
            "created_at",
        ]
        read_only_fields = fields
        list_serializer_class = FastListSerializer  # a sale's lines, payments, refunds


class PosRefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = [
            "id",
            "amount",
            "discount_amount",
            "tax_amount",
            "items_quantity",
            "loyalty_points",
            "is_full",
            "reason",
            "user",
            "session",
            "created_at",
        ]
        read_only_fields = fields
        list_serializer_class = FastListSerializer  # a sale's lines, payments, refunds


class PosSaleSerializer(serializers.ModelSerializer):
    """A sale as 001 §3 shows it (`id, receipt_number, status, total_amount, items`) with the rest of
    its amounts, its payments and refunds."""

    cashier_name = serializers.CharField(source="cashier.name", read_only=True)
    status = named_choice(SaleStatus, "PosSaleStatus", read_only=True)
    customer_name = serializers.CharField(source="customer.full_name", read_only=True, allow_null=True)
    customer_phone = serializers.CharField(source="customer.phone", read_only=True, allow_null=True)
    items = PosSaleItemSerializer(many=True, read_only=True)
    payments = PosPaymentSerializer(many=True, read_only=True)
    refunds = PosRefundSerializer(many=True, read_only=True)

    class Meta:
        model = Sale
        fields = [
            "id",
            "receipt_number",
            "status",
            "session",
            "cashier",
            "cashier_name",
            "customer",
            "customer_name",
            "customer_phone",
            "discount_percent",
            "subtotal",
            "discount_amount",
            "tax_amount",
            "total_amount",
            "paid_amount",
            "change_amount",
            "refunded_amount",
            "loyalty_points",
            "items_quantity",
            "items",
            "payments",
            "refunds",
            "created_at",
            "completed_at",
            "cancelled_at",
        ]
        read_only_fields = fields


@functools.cache
def _sale_renderer() -> PosSaleSerializer:
    return PosSaleSerializer()


@functools.cache
def _sale_plan() -> list:
    return fastlists.instance_plan(_sale_renderer())


def render_sale(sale: Sale) -> dict:
    """`PosSaleSerializer(sale).data`, from one serializer whose fields are built once per process,
    walked by a plan made once (`fastlists.instance_plan`: plain attribute reads where a field's
    output is its value).

    DRF builds a ModelSerializer's fields (and its nested serializers') for every instance; a till
    answer renders one sale, so that was most of its rendering time. Sharing is safe because the
    output depends on the sale alone (no request, no context; datetimes use the active time zone at
    call time) and `to_representation` keeps no state on the serializer. With `SAVDO_FAST_LISTS=0`,
    DRF's way: a serializer built for this sale.
    """
    if not settings.SAVDO_FAST_LISTS:
        return PosSaleSerializer(sale).data
    return fastlists.render(_sale_plan(), sale)


class PosItemInputSerializer(serializers.Serializer):
    """A product by id (`product`) or by what the scanner read (`barcode`; a SKU works too)."""

    product = ProductPK(required=False, allow_null=True)
    barcode = serializers.CharField(max_length=64, required=False, allow_blank=True)
    quantity = positive_quantity(required=False, default=Decimal("1"))
    batch = TenantPK(Batch, required=False, allow_null=True)

    def validate(self, attrs):
        barcode = (attrs.pop("barcode", "") or "").strip()
        if attrs.get("product") is None:
            if not barcode:
                raise serializers.ValidationError({"product": [_("Give a product id or a barcode.")]})
            product = product_by_barcode(tenant=self.context["tenant"], barcode=barcode)
            if product is None:
                raise serializers.ValidationError({"barcode": [_("No product has this barcode.")]})
            attrs["product"] = product
        return attrs


class PosScanItemSerializer(PosItemInputSerializer):
    session = TenantId(CashSession, required=False, allow_null=True)  # the till locks its pending sale with it
    customer = TenantPK(Customer, required=False, allow_null=True)

    # what a scanner at a till sends (`savdo.api.plain`); anything else goes through the fields
    plain_fields = ("session", "product", "quantity")
    plain_required = ("product",)


class PosCurrentSaleQuerySerializer(serializers.Serializer):
    session = TenantPK(CashSession, required=False)


class PosRemoveItemSerializer(serializers.Serializer):
    item_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = positive_quantity(required=False, allow_null=True)


class PosSetCustomerSerializer(serializers.Serializer):
    """`customer` (an id, or null to detach) or `phone` (`+998XXXXXXXXX`)."""

    customer = TenantPK(Customer, required=False, allow_null=True)
    phone = serializers.CharField(max_length=32, required=False)

    def validate(self, attrs):
        if "phone" in attrs:
            if attrs.get("customer") is not None:
                raise serializers.ValidationError({"phone": [_("Give either a customer id or a phone.")]})
            tenant = self.context["tenant"]
            try:
                phone = normalize_phone(attrs.pop("phone"), tenant.phone_region, strict_e164=True)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"phone": exc.messages}) from exc
            customer = Customer.objects.for_tenant(tenant).select_related("group").filter(phone=phone).first()
            if customer is None:
                raise serializers.ValidationError({"phone": [_("Customer not found.")]})
            attrs["customer"] = customer
        elif "customer" not in attrs:
            raise serializers.ValidationError({"customer": [_("Give a customer id (or null) or a phone.")]})
        return attrs


class PosPaymentInputSerializer(serializers.Serializer):
    payment_method = named_choice(PaymentMethod, "PosPaymentMethod")
    amount = money_field(min_value=Decimal("0.01"), max_value=MAX_MONEY)
    received_amount = money_field(min_value=Decimal("0"), max_value=MAX_MONEY, required=False, allow_null=True)
    card_last4 = serializers.RegexField(r"^\d{4}$", required=False, allow_blank=True, default="")
    transaction_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PosCheckoutSerializer(serializers.Serializer):
    payments = PosPaymentInputSerializer(many=True, allow_empty=True, max_length=20)

    plain_fields = ("payments",)  # `savdo.api.plain`: every checkout body in its plainest form


class PosRefundLineSerializer(serializers.Serializer):
    item_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = positive_quantity()


class PosRefundInputSerializer(serializers.Serializer):
    """Empty: refund everything left. `items`: the lines and quantities to refund."""

    items = PosRefundLineSerializer(many=True, required=False, allow_empty=False, max_length=1000)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PosSaleEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")
    message = serializers.CharField(required=False)
    data = PosSaleSerializer()


class PosSessionEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")
    message = serializers.CharField(required=False)
    data = PosSessionSerializer()


class PosReportEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = PosShiftReportSerializer()


class PosStockEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")
    message = serializers.CharField(required=False)
    data = PosStockResultSerializer()


# --- document 000: purchase history and stats -------------------------------------------------------


class PosHistoryQuerySerializer(serializers.Serializer):
    date_from = QueryDateField(required=False)
    date_to = QueryDateField(required=False)


class PosPurchaseLineSerializer(serializers.Serializer):
    """A kept line: quantity and total net of refunds; `price` the unit price it was sold at."""

    product_name = serializers.CharField()
    quantity = QuantityNumberField(source="kept_quantity")
    price = MoneyNumberField(source="unit_price")
    total = MoneyNumberField(source="kept_total")


class PosPurchaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sale_number = serializers.CharField(source="receipt_number")
    created_at = SecondsDateTimeField(source="completed_at")
    total_amount = MoneyNumberField(source="kept_total")
    items = PosPurchaseLineSerializer(many=True)


class PosPurchaseHistorySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = PosPurchaseSerializer(many=True)


class PosStatsCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    phone = serializers.CharField()


class PosStatsPurchasesSerializer(serializers.Serializer):
    total_amount = MoneyNumberField()
    total_count = serializers.IntegerField()
    last_purchase = SecondsDateTimeField(allow_null=True)
    loyalty_points = MoneyNumberField()


class PosCustomerStatsSerializer(serializers.Serializer):
    customer = PosStatsCustomerSerializer()
    purchases = PosStatsPurchasesSerializer()
