"""Document 001 §5 request and response shapes of tasks, comments and templates."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from savdo.api.fields import MomentField
from savdo.tasks import selectors
from savdo.tasks.choices import TaskCategory, TaskPriority, TaskStatus
from savdo.tasks.models import Task, TaskComment, TaskHistory, TaskTemplate


@extend_schema_field(OpenApiTypes.INT)
class TenantMemberField(serializers.PrimaryKeyRelatedField):
    """A user id that must be an active member of the request's tenant (001: `"assigned_to": 1`)."""

    default_error_messages = {
        "does_not_exist": _("This user is not an active member of this store."),
        "incorrect_type": _("Incorrect type. Expected a user id."),
    }

    def get_queryset(self):
        return selectors.task_assignable_users(tenant=self.context["tenant"])


@extend_schema_field(OpenApiTypes.INT)
class VisibleTaskField(serializers.PrimaryKeyRelatedField):
    """A task id among the tasks the requesting member may see (anything else: "not found")."""

    default_error_messages = {
        "does_not_exist": _("Task not found."),
        "incorrect_type": _("Incorrect type. Expected a task id."),
    }

    def get_queryset(self):
        return selectors.task_visible(membership=self.context["membership"])


class TaskHistorySerializer(serializers.ModelSerializer):
    # Plain strings: statuses as in `Task.status` ("" for the creation row's `from_status`).
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TaskHistory
        fields = ["id", "action", "from_status", "to_status", "actor", "actor_name", "comment", "created_at"]
        read_only_fields = fields

    def get_actor_name(self, row) -> str | None:
        return row.actor.name if row.actor else None


class TaskSerializer(serializers.ModelSerializer):
    """A task as lists show it."""

    priority_display = serializers.CharField(source="get_priority_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    assigned_to_name = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "priority",
            "priority_display",
            "category",
            "category_display",
            "status",
            "status_display",
            "assigned_to",
            "assigned_to_name",
            "created_by",
            "created_by_name",
            "template",
            "due_date",
            "is_overdue",
            "started_at",
            "submitted_at",
            "completed_at",
            "cancelled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assigned_to_name(self, task) -> str | None:
        return task.assigned_to.name if task.assigned_to else None

    def get_created_by_name(self, task) -> str | None:
        return task.created_by.name if task.created_by else None


class TaskDetailSerializer(TaskSerializer):
    """A task with its history: every status change, who made it, when and with what comment."""

    history = TaskHistorySerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "history"]
        read_only_fields = fields


class TaskWriteSerializer(serializers.Serializer):
    """001 §5.1 "Создать задачу": title, description, priority, category, assigned_to, due_date."""

    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=TaskPriority.choices, default=TaskPriority.MEDIUM)
    category = serializers.ChoiceField(choices=TaskCategory.choices, default=TaskCategory.OTHER)
    assigned_to = TenantMemberField(required=False, allow_null=True, default=None)
    due_date = MomentField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if "status" in self.initial_data:
            raise serializers.ValidationError(
                {"status": [_("The status changes only through the task actions (start, approve, ...).")]}
            )
        return attrs


class TaskActionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class TaskRejectSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000)


class TaskEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    data = TaskDetailSerializer()


def _counts_serializer(name: str, keys: list[str]) -> type[serializers.Serializer]:
    fields = {key: serializers.IntegerField() for key in keys}
    return type(name, (serializers.Serializer,), fields)


TaskStatusCountsSerializer = _counts_serializer("TaskStatusCountsSerializer", TaskStatus.values)
TaskPriorityCountsSerializer = _counts_serializer("TaskPriorityCountsSerializer", TaskPriority.values)


class TaskStatsSerializer(serializers.Serializer):
    """001 §5.1 "Статистика по задачам" (every status key present, `on_review` too)."""

    total = serializers.IntegerField()
    by_status = TaskStatusCountsSerializer()
    by_priority = TaskPriorityCountsSerializer()
    overdue = serializers.IntegerField()


class TaskCommentSerializer(serializers.ModelSerializer):
    """001 §5.3: `{task, comment}` in; the comment with its author and time out."""

    task = VisibleTaskField()
    comment = serializers.CharField(source="text", max_length=5000)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = TaskComment
        fields = ["id", "task", "comment", "author", "author_name", "created_at"]
        read_only_fields = ["id", "author", "author_name", "created_at"]

    def get_author_name(self, comment) -> str | None:
        return comment.author.name if comment.author else None


class TaskTemplateSerializer(serializers.ModelSerializer):
    """001 §5.4 templates: title, description, priority, category and the default due offset."""

    created_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)  # its author may be gone

    class Meta:
        model = TaskTemplate
        fields = [
            "id",
            "title",
            "description",
            "priority",
            "category",
            "default_due_hours",
            "is_active",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]


class TaskFromTemplateSerializer(serializers.Serializer):
    """001 §5.4 "Создать задачу из шаблона": `{assigned_to, due_date}`."""

    assigned_to = TenantMemberField(required=False, allow_null=True, default=None)
    due_date = MomentField(required=False, allow_null=True, default=None)


class AssigneeSerializer(serializers.Serializer):
    """Someone a task can be assigned to: an active member (`id` is the user id for `assigned_to`)."""

    id = serializers.IntegerField(source="user.id")
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.name")
    role = serializers.CharField()
