from django.contrib import admin

from savdo.tasks.models import Task, TaskComment, TaskHistory, TaskTemplate


class TaskHistoryInline(admin.TabularInline):
    model = TaskHistory
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "from_status", "to_status", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        # History is written by the services only.
        return False


class TaskCommentInline(admin.TabularInline):
    model = TaskComment
    extra = 0
    fields = ["created_at", "author", "text"]
    readonly_fields = ["created_at", "author"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "tenant", "status", "priority", "category", "assigned_to", "due_date", "created_at"]
    list_filter = ["status", "priority", "category"]
    search_fields = ["title", "description"]
    raw_id_fields = ["tenant", "assigned_to", "created_by", "template"]
    # Status moves only through the services, which write the history.
    readonly_fields = ["status", "started_at", "submitted_at", "completed_at", "cancelled_at"]
    inlines = [TaskHistoryInline, TaskCommentInline]


@admin.register(TaskTemplate)
class TaskTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "tenant", "priority", "category", "default_due_hours", "is_active"]
    list_filter = ["priority", "category", "is_active"]
    search_fields = ["title"]
    raw_id_fields = ["tenant", "created_by"]
