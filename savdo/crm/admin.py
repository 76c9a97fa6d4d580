from django.contrib import admin

from savdo.crm.models import Activity, Deal, DealStatusChange


class DealStatusChangeInline(admin.TabularInline):
    model = DealStatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "changed_by", "from_status", "to_status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        # The history is written by the services only.
        return False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["title", "tenant", "customer", "status", "value", "created_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["title", "description"]
    raw_id_fields = ["tenant", "customer", "created_by"]
    # Status moves only through the services, which record them and stamp `closed_at`.
    readonly_fields = ["status", "closed_at", "created_at", "updated_at"]
    inlines = [DealStatusChangeInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["type", "tenant", "customer", "deal", "created_at"]
    list_filter = ["type"]
    search_fields = ["description"]
    raw_id_fields = ["tenant", "customer", "deal", "created_by"]
    readonly_fields = ["created_at"]
