from django.contrib import admin

from savdo.analytics.models import StockSnapshot


@admin.register(StockSnapshot)
class StockSnapshotAdmin(admin.ModelAdmin):
    """Snapshots are history written by `savdo snapshot-stock`: read-only here."""

    list_display = ("date", "tenant", "product", "quantity_on_hand", "available_quantity", "is_low_stock")
    list_filter = ("is_low_stock", "date")
    search_fields = ("product__name", "product__sku")
    list_select_related = ("tenant", "product")
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
