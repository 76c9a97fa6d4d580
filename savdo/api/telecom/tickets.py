"""Document 004 §6: support tickets (`/api/tickets/`) and the store's service levels
(`/api/tickets/service-levels/`), on the kernel with the telecom surface's conventions.

Who may do what (the services enforce the same): support staff (owner, admin, manager, agent) read,
create, edit, comment on and reopen tickets; managers and above assign to anyone, an agent only to
themselves; start_work, resolve and close are the assignee's (or a manager's); only the owner or an
administrator deletes a ticket; only the owner changes the service levels. Cashiers: 403.

Actions answer the ticket with its history and comments; a refused transition is a 400
`{"status": "error", "message": ...}` naming the current status.
"""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from savdo.api.filters import related_id_filter
from savdo.api.paginators import DeferredJoinPaginator
from savdo.api.telecom import ticket_serializers as serializers
from savdo.api.telecom.conventions import TelecomModelViewSet, TelecomPagination, TelecomViewSet
from savdo.support import selectors, services
from savdo.support.choices import TicketAction, TicketCategory, TicketPriority, TicketStatus
from savdo.support.models import ServiceLevel, Ticket
from savdo.tenancy.roles import ADMINS, OWNERS, SUPPORT_STAFF


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices)
    category = django_filters.ChoiceFilter(choices=TicketCategory.choices)
    priority = django_filters.ChoiceFilter(choices=TicketPriority.choices)
    customer = related_id_filter("customer")
    contract = related_id_filter("contract")
    assigned_to = related_id_filter("assigned_to", help_text="User id of the assignee.")
    # `priority` orders by urgency (low < medium < high < critical), not alphabetically.
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("due_date", "due_date"),
            ("first_response_due", "first_response_due"),
            ("priority_rank", "priority"),
            ("status", "status"),
            ("category", "category"),
            ("number", "number"),
            ("subject", "subject"),
        )
    )

    class Meta:
        model = Ticket
        fields = ["status", "category", "priority", "customer", "contract", "assigned_to"]


def _command_schema(summary: str, request=serializers.TicketActionSerializer):
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: serializers.TicketDetailSerializer, 400: OpenApiResponse(description="Refused transition")},
    )


LIST_ACTIONS = frozenset({"list", "my_tickets", "unassigned"})


class TicketPagination(TelecomPagination):
    """The telecom pages, with list totals from the cache while the store's tickets are unchanged
    (`savdo.core.counts.cached_count`); `overdue/` counts every time: which tickets are overdue
    changes with the clock, not only with writes."""

    def paginate_queryset(self, queryset, request, view=None):
        cached = getattr(view, "action", None) in LIST_ACTIONS
        self.tenant_id = getattr(getattr(request, "tenant", None), "pk", None) if cached else None
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):
        """DRF builds its paginator through this attribute; a method lets it carry the tenant."""
        return DeferredJoinPaginator(object_list, per_page, tenant_id=self.tenant_id)


@extend_schema_view(
    list=extend_schema(
        summary="Tickets (filters: status, category, priority, customer, contract, assigned_to, search, ordering)"
    ),
    retrieve=extend_schema(summary="A ticket with its history and comments"),
    create=extend_schema(summary="Open a ticket (due_date: given, or from the service level of its priority)"),
    update=extend_schema(summary="Edit a ticket (a new assigned_to is an assignment)"),
    partial_update=extend_schema(summary="Edit a ticket partly"),
    destroy=extend_schema(summary="Delete a ticket (owner, admin)"),
)
class TicketViewSet(TelecomModelViewSet):
    model = Ticket
    selector = selectors.ticket_list
    serializer_class = serializers.TicketDetailSerializer
    create_service = services.ticket_create
    update_service = services.ticket_update
    destroy_service = services.ticket_delete
    pagination_class = TicketPagination
    default_roles = SUPPORT_STAFF
    action_roles = {"destroy": ADMINS}
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter]
    filterset_class = TicketFilter
    search_fields = ["number", "subject", "description"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = selectors.ticket_with_details(queryset)
        return queryset

    def get_serializer_class(self):
        if self.action in LIST_ACTIONS:
            return serializers.TicketSerializer
        if self.action == "overdue":
            return serializers.OverdueTicketSerializer
        return serializers.TicketDetailSerializer

    def _render(self, ticket: Ticket, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.ticket_with_details(selectors.ticket_list(tenant=self.request.tenant)).get(pk=ticket.pk)
        data = serializers.TicketDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def _paginated(self, queryset, serializer_class=serializers.TicketSerializer) -> Response:
        page = self.paginate_queryset(self.filter_queryset(queryset))
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    # --- commands ------------------------------------------------------------------------------------
    def _command(self, request, name: str, payload_class, run) -> Response:
        ticket = self.get_object()
        payload = payload_class(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        with self.recorded(ticket, name):
            run(ticket, payload.validated_data)
        return self._render(ticket)

    @_command_schema("Assign: new | assigned | in_progress | reopened → assigned", serializers.TicketAssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._command(
            request,
            TicketAction.ASSIGN,
            serializers.TicketAssignSerializer,
            lambda ticket, data: services.ticket_assign(
                ticket=ticket, membership=request.membership, assignee=data["user_id"], comment=data["comment"]
            ),
        )

    @_command_schema("Start work: assigned | reopened → in_progress (the assignee or a manager)")
    @action(detail=True, methods=["post"])
    def start_work(self, request, pk=None):
        return self._command(
            request,
            TicketAction.START_WORK,
            serializers.TicketActionSerializer,
            lambda ticket, data: services.ticket_start_work(
                ticket=ticket, membership=request.membership, comment=data["comment"]
            ),
        )

    @_command_schema("Resolve: in_progress → resolved, with the resolution", serializers.TicketResolveSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._command(
            request,
            TicketAction.RESOLVE,
            serializers.TicketResolveSerializer,
            lambda ticket, data: services.ticket_resolve(
                ticket=ticket, membership=request.membership, resolution=data["resolution"]
            ),
        )

    @_command_schema("Close: resolved → closed (the assignee or a manager)")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._command(
            request,
            TicketAction.CLOSE,
            serializers.TicketActionSerializer,
            lambda ticket, data: services.ticket_close(
                ticket=ticket, membership=request.membership, comment=data["comment"]
            ),
        )

    @_command_schema("Reopen: resolved | closed → reopened (comment: the reason)")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._command(
            request,
            TicketAction.REOPEN,
            serializers.TicketActionSerializer,
            lambda ticket, data: services.ticket_reopen(
                ticket=ticket, membership=request.membership, comment=data["comment"]
            ),
        )

    @extend_schema(
        methods=["get"],
        summary="The ticket's comments, oldest first",
        responses=serializers.TicketCommentSerializer(many=True),
    )
    @extend_schema(
        methods=["post"],
        summary="Reply on the ticket, or add an internal note (is_internal)",
        request=serializers.TicketCommentSerializer,
        responses={201: serializers.TicketCommentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])  # a plain list
    def comments(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "GET":
            rows = ticket.comments.select_related("author").order_by("created_at", "id")
            return Response(serializers.TicketCommentSerializer(rows, many=True).data)
        payload = serializers.TicketCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with self.recorded(ticket, "comment"):
            comment = services.ticket_comment_create(
                ticket=ticket, membership=request.membership, **payload.validated_data
            )
        return Response(serializers.TicketCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The ticket's status history, oldest first", responses=serializers.TicketHistorySerializer(many=True)
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])  # a plain list
    def history(self, request, pk=None):
        ticket = self.get_object()
        rows = ticket.history.select_related("actor", "assignee").order_by("created_at", "id")
        return Response(serializers.TicketHistorySerializer(rows, many=True).data)

    # --- lists and statistics -------------------------------------------------------------------------
    @extend_schema(
        summary="Tickets assigned to me (every status; the list's filters apply)",
        responses=serializers.TicketSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def my_tickets(self, request):
        return self._paginated(selectors.ticket_mine(tenant=request.tenant, user=request.user))

    @extend_schema(
        summary="Open tickets nobody is assigned to, nearest deadline first",
        responses=serializers.TicketSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def unassigned(self, request):
        return self._paginated(selectors.ticket_unassigned(tenant=request.tenant))

    @extend_schema(
        summary="Open tickets past their due date, the latest first, with how late each is",
        responses=serializers.OverdueTicketSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def overdue(self, request):
        return self._paginated(
            selectors.ticket_overdue(tenant=request.tenant, now=timezone.now()), serializers.OverdueTicketSerializer
        )

    @extend_schema(
        summary="Counts by status, priority and category; overdue; average times; service level met",
        responses=serializers.TicketStatisticsSerializer,
    )
    @action(detail=False, methods=["get"])
    def statistics(self, request):
        queryset = self.filter_queryset(selectors.ticket_list(tenant=request.tenant))
        return Response(selectors.ticket_statistics(queryset, now=timezone.now(), tenant_id=request.tenant.pk))


PRIORITY_PATTERN = "(?:" + "|".join(TicketPriority.values) + ")"


@extend_schema_view(
    list=extend_schema(summary="The store's service level per priority (first response and resolution, minutes)"),
    retrieve=extend_schema(summary="The service level of one priority"),
    update=extend_schema(summary="Set the targets of one priority (owner)"),
    partial_update=extend_schema(summary="Set one target of one priority (owner)"),
    destroy=extend_schema(summary="Back to the default targets of one priority (owner)"),
)
class TicketServiceLevelViewSet(TelecomViewSet):
    """`/api/tickets/service-levels/{priority}/`: one row per priority, the defaults until the owner
    changes them. New deadlines use them; tickets already open keep theirs."""

    model = ServiceLevel
    serializer_class = serializers.TicketServiceLevelSerializer
    lookup_field = "priority"
    lookup_value_regex = PRIORITY_PATTERN
    pagination_class = None
    default_roles = SUPPORT_STAFF
    action_roles = dict.fromkeys(["update", "partial_update", "destroy"], OWNERS)

    def list(self, request):
        rows = selectors.service_level_rows(tenant=request.tenant)
        return Response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request, priority=None):
        return Response(self.get_serializer(selectors.service_level_of(tenant=request.tenant, priority=priority)).data)

    def update(self, request, priority=None, partial=False):
        payload = self.get_serializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        row = services.service_level_set(
            tenant=request.tenant, membership=request.membership, priority=priority, **payload.validated_data
        )
        return Response(self.get_serializer(row).data)

    def partial_update(self, request, priority=None):
        return self.update(request, priority=priority, partial=True)

    def destroy(self, request, priority=None):
        services.service_level_reset(tenant=request.tenant, membership=request.membership, priority=priority)
        return Response(status=status.HTTP_204_NO_CONTENT)
