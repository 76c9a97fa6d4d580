from django.contrib import admin

from savdo.catalog.models import Category, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "parent", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "barcode", "tenant", "sale_price", "is_active")
    list_filter = ("is_active", "unit")
    search_fields = ("name", "sku", "barcode")
    raw_id_fields = ("category",)
