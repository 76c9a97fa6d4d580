from django.contrib import admin

from savdo.audit.models import ChangeLogEntry


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(admin.ModelAdmin):
    """Read-only, across stores (the admin is superuser tooling): nobody edits the log."""

    list_display = ("created_at", "tenant", "actor", "action", "object_type", "object_id", "object_repr")
    list_filter = ("action", "object_type", "tenant")
    search_fields = ("object_repr", "object_type")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
