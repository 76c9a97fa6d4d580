from django.contrib import admin

from savdo.inventory.models import Batch, StockBalance, StockMovement


@admin.register(StockBalance)
class StockBalanceAdmin(admin.ModelAdmin):
    list_display = ("product", "tenant", "quantity", "updated_at")
    raw_id_fields = ("product",)

    def has_change_permission(self, request, obj=None):  # balances move only with the ledger
        return False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("batch_number", "product", "tenant", "expiry_date", "cost_price", "quantity")
    search_fields = ("batch_number",)
    raw_id_fields = ("product",)
    readonly_fields = ("quantity",)


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ("created_at", "product", "kind", "quantity", "balance_after", "reference", "user")
    list_filter = ("kind",)
    raw_id_fields = ("product", "batch", "user")

    def has_change_permission(self, request, obj=None):  # the ledger is append-only
        return False

    def has_delete_permission(self, request, obj=None):
        return False
