"""Admin views of support tickets: for looking things up across stores; writes go through the API."""

from django.contrib import admin

from savdo.support.models import ServiceLevel, Ticket, TicketComment, TicketHistory


class TicketHistoryInline(admin.TabularInline):
    model = TicketHistory
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_status", "to_status", "actor", "assignee", "comment"]
    readonly_fields = fields


class TicketCommentInline(admin.TabularInline):
    model = TicketComment
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "is_internal", "text"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "subject", "tenant", "status", "priority", "category", "assigned_to", "due_date"]
    list_filter = ["status", "priority", "category"]
    search_fields = ["number", "subject"]
    raw_id_fields = ["tenant", "customer", "contract", "assigned_to", "created_by"]
    readonly_fields = ["status", "number", "created_at", "updated_at"]
    inlines = [TicketHistoryInline, TicketCommentInline]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    list_display = ["tenant", "priority", "first_response_minutes", "resolution_minutes", "updated_at"]
    list_filter = ["priority"]
    raw_id_fields = ["tenant"]
