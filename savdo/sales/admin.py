from django.contrib import admin

from savdo.sales.models import CashSession, DailyProductSales, DailySales, Payment, Refund, Sale, SaleItem


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money rows change only through the sales services; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SaleItemInline(admin.TabularInline):
    model = SaleItem
    extra = 0
    fields = ("product_name", "quantity", "unit_price", "discount_amount", "tax_amount", "total_amount", "unit_cost")
    readonly_fields = fields
    can_delete = False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("payment_method", "amount", "received_amount", "change_amount", "card_last4", "refunded_amount")
    readonly_fields = fields
    can_delete = False


@admin.register(CashSession)
class CashSessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "tenant", "cashier", "status", "opened_at", "closed_at", "expected_cash", "actual_cash")
    list_filter = ("status",)


@admin.register(Sale)
class SaleAdmin(ReadOnlyAdmin):
    list_display = ("receipt_number", "tenant", "status", "total_amount", "refunded_amount", "created_at")
    list_filter = ("status",)
    search_fields = ("receipt_number",)
    inlines = [SaleItemInline, PaymentInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "sale", "amount", "user", "created_at")


@admin.register(DailySales)
class DailySalesAdmin(ReadOnlyAdmin):
    list_display = ("tenant", "date", "sales_count", "sales_amount", "refunds_amount")


@admin.register(DailyProductSales)
class DailyProductSalesAdmin(ReadOnlyAdmin):
    list_display = ("tenant", "date", "product", "quantity", "revenue", "profit")
