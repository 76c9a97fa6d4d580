"""Operator tooling for customers, groups and tags (superusers; reads across tenants by design)."""

from django.contrib import admin

from savdo.customers.models import Customer, CustomerGroup, Tag


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "discount_percent", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant",)
    raw_id_fields = ("tenant",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "color", "tenant", "created_at")
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant",)
    raw_id_fields = ("tenant",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "phone", "email", "customer_type", "status", "tenant", "total_purchases", "created_at")
    list_filter = ("customer_type", "status", "segment")
    search_fields = ("search_text", "phone", "email", "tenant__name")
    list_select_related = ("tenant", "group")
    raw_id_fields = ("tenant", "group", "assigned_to")
    filter_horizontal = ("tags",)
    # Purchase statistics belong to the sales services.
    readonly_fields = (
        "total_purchases",
        "total_purchases_count",
        "last_purchase_at",
        "loyalty_points",
        "created_at",
        "updated_at",
    )
