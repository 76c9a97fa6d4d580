"""Document 001 §5: tasks, their actions, comments and templates, on the retail surface.

Who may do what: managers and above create, edit, delete, approve, reject and cancel tasks and
manage templates; everyone reads the tasks they may see (managers and above: all of the tenant's;
cashiers and agents: assigned to them or created by them) and the assignee starts, submits for
review and completes their own. The services enforce the same rules.

Shapes: CRUD answers DRF's plain shapes; actions (start, submit-for-review, approve, reject,
complete, cancel, create-task) answer 001's command envelope `{"status", "message", "data"}`
with the task and its history; `stats/` the documented object.
"""

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from savdo.api.kernel import CreateModelMixin
from savdo.api.retail.conventions import RetailModelViewSet, RetailViewSet, success
from savdo.api.retail.tasks import serializers
from savdo.core.dates import QueryDateTimeFilter
from savdo.tasks import selectors, services
from savdo.tasks.choices import TaskCategory, TaskPriority, TaskStatus
from savdo.tasks.models import Task, TaskComment, TaskTemplate
from savdo.tenancy.models import Membership
from savdo.tenancy.roles import MANAGERS

MANAGER_ACTIONS = ["create", "update", "partial_update", "destroy", "approve", "reject", "cancel"]


class TaskFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices)
    category = django_filters.ChoiceFilter(choices=TaskCategory.choices)
    assigned_to = django_filters.NumberFilter(field_name="assigned_to_id", help_text="User id of the assignee.")
    created_by = django_filters.NumberFilter(field_name="created_by_id")
    due_after = QueryDateTimeFilter(field_name="due_date", lookup_expr="gte")
    due_before = QueryDateTimeFilter(field_name="due_date", lookup_expr="lt")
    # `priority` orders by urgency (low < medium < high < urgent), not alphabetically.
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("due_date", "due_date"),
            ("priority_rank", "priority"),
            ("status", "status"),
            ("title", "title"),
        )
    )

    class Meta:
        model = Task
        fields = ["status", "priority", "category", "assigned_to", "created_by"]


ACTION_MESSAGES = {
    "start": gettext_lazy("Task started."),
    "submit_for_review": gettext_lazy("Task submitted for review."),
    "approve": gettext_lazy("Task approved."),
    "reject": gettext_lazy("Task rejected and returned to work."),
    "complete": gettext_lazy("Task completed."),
    "cancel": gettext_lazy("Task cancelled."),
}


def _action_schema(summary: str, request=serializers.TaskActionSerializer):
    return extend_schema(summary=summary, request=request, responses={200: serializers.TaskEnvelopeSerializer})


@extend_schema_view(
    list=extend_schema(summary="Tasks (filters: status, priority, assigned_to, category, search, ordering)"),
    retrieve=extend_schema(summary="A task with its history", responses=serializers.TaskDetailSerializer),
    create=extend_schema(
        summary="Create a task (manager and above)",
        request=serializers.TaskWriteSerializer,
        responses={201: serializers.TaskDetailSerializer},
    ),
    update=extend_schema(request=serializers.TaskWriteSerializer, responses=serializers.TaskDetailSerializer),
    partial_update=extend_schema(request=serializers.TaskWriteSerializer, responses=serializers.TaskDetailSerializer),
)
class TaskViewSet(RetailModelViewSet):
    model = Task
    selector = selectors.task_list
    create_service = services.task_create
    update_service = services.task_update
    destroy_service = services.task_delete
    actor_is_membership = True
    serializer_class = serializers.TaskSerializer
    action_roles = dict.fromkeys(MANAGER_ACTIONS, MANAGERS)
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter]
    filterset_class = TaskFilter
    search_fields = ["title", "description"]

    # Per action: `retrieve` also shows each task's history (one more query), the lists do not.
    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = selectors.task_with_history(queryset)
        return queryset

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return serializers.TaskWriteSerializer
        return serializers.TaskDetailSerializer if self.detail else serializers.TaskSerializer

    def _render(self, task: Task) -> dict:
        fresh = selectors.task_with_history(selectors.task_visible(membership=self.request.membership)).get(pk=task.pk)
        return serializers.TaskDetailSerializer(fresh, context=self.get_serializer_context()).data

    def written_response(self, serializer, *, created: bool) -> Response:
        """Created and edited tasks answer with their history, like `retrieve`."""
        return Response(
            self._render(serializer.instance), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    # --- commands -------------------------------------------------------------------------------
    def _transition(self, request, name: str, payload_class=serializers.TaskActionSerializer) -> Response:
        task = self.get_object()
        payload = payload_class(data=request.data)
        payload.is_valid(raise_exception=True)
        task = services.task_transition(
            task=task, actor=request.membership, action=name, comment=payload.validated_data.get("comment", "")
        )
        return success(self._render(task), message=str(ACTION_MESSAGES[name]))

    @_action_schema("Start a task: pending → in_progress (the assignee or a manager)")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(request, "start")

    @_action_schema("Submit for review: in_progress → on_review (the assignee or a manager)")
    @action(detail=True, methods=["post"], url_path="submit-for-review")
    def submit_for_review(self, request, pk=None):
        return self._transition(request, "submit_for_review")

    @_action_schema("Approve: on_review → completed (manager and above; one's own task only as owner)")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, "approve")

    @_action_schema(
        "Reject with a comment: on_review → in_progress (manager and above)", serializers.TaskRejectSerializer
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, "reject", serializers.TaskRejectSerializer)

    @_action_schema("Complete without review: in_progress → completed (the assignee or a manager)")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._transition(request, "complete")

    @_action_schema("Cancel an open task (manager and above)")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(request, "cancel")

    # --- lists and statistics -------------------------------------------------------------------
    def _paginated(self, queryset) -> Response:
        queryset = self.filter_queryset(queryset)
        page = self.paginate_queryset(queryset)
        data = serializers.TaskSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(summary="Open tasks assigned to me", responses=serializers.TaskSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="my-tasks")
    def my_tasks(self, request):
        return self._paginated(selectors.task_mine_open(membership=request.membership))

    @extend_schema(summary="Tasks due today (the store's time zone)", responses=serializers.TaskSerializer(many=True))
    @action(detail=False, methods=["get"])
    def today(self, request):
        return self._paginated(selectors.task_due_today(membership=request.membership))

    @extend_schema(
        summary="Overdue tasks: due date passed, not completed or cancelled",
        responses=serializers.TaskSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def overdue(self, request):
        return self._paginated(selectors.task_overdue(membership=request.membership))

    @extend_schema(summary="Task statistics (the list's filters apply)", responses=serializers.TaskStatsSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def stats(self, request):
        return Response(selectors.task_stats(queryset=self.filter_queryset(self.get_queryset())))


class TaskCommentFilter(django_filters.FilterSet):
    task = django_filters.NumberFilter(field_name="task_id")

    class Meta:
        model = TaskComment
        fields = ["task"]


@extend_schema_view(
    list=extend_schema(summary="Comments (`?task=` for one task's)"),
    create=extend_schema(summary="Comment on a task", responses={201: serializers.TaskCommentSerializer}),
)
class TaskCommentViewSet(RetailViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, CreateModelMixin):
    """001 §5.3. Anyone may comment on a task they can see; comments are not edited or deleted."""

    model = TaskComment
    selector = selectors.task_comment_list
    create_service = services.task_comment_create
    actor_is_membership = True
    serializer_class = serializers.TaskCommentSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = TaskCommentFilter


class TaskTemplateFilter(django_filters.FilterSet):
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices)
    category = django_filters.ChoiceFilter(choices=TaskCategory.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = TaskTemplate
        fields = ["priority", "category", "is_active"]


class TaskTemplateViewSet(RetailModelViewSet):
    """001 §5.4 templates (manager and above)."""

    model = TaskTemplate
    selector = selectors.task_template_list
    create_service = services.task_template_create
    update_service = services.task_template_update
    destroy_service = services.task_template_delete
    instance_argument = "template"
    serializer_class = serializers.TaskTemplateSerializer
    default_roles = MANAGERS
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = TaskTemplateFilter
    search_fields = ["title", "description"]
    ordering_fields = ["title", "created_at", "updated_at"]

    @extend_schema(
        summary="Create a task from the template",
        request=serializers.TaskFromTemplateSerializer,
        responses={201: serializers.TaskEnvelopeSerializer},
    )
    @action(detail=True, methods=["post"], url_path="create-task")
    def create_task(self, request, pk=None):
        template = self.get_object()
        payload = serializers.TaskFromTemplateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        with self.recorded(template, "create_task") as log:
            task = services.task_create_from_template(
                template=template, actor=request.membership, **payload.validated_data
            )
            log["task"] = [None, task.pk]
        fresh = selectors.task_with_history(selectors.task_visible(membership=request.membership)).get(pk=task.pk)
        data = serializers.TaskDetailSerializer(fresh, context=self.get_serializer_context()).data
        return success(data, message=_("Task created from the template."), status=status.HTTP_201_CREATED)


class AssigneeViewSet(mixins.ListModelMixin, RetailViewSet):
    """Who a manager can assign tasks to: the store's active members (`id` goes in `assigned_to`)."""

    model = Membership
    selector = selectors.task_assignable_members
    serializer_class = serializers.AssigneeSerializer
    default_roles = MANAGERS
    filter_backends = [SearchFilter]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
