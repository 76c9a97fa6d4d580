"""Document 002: `/api/clients` (list, get, create, update, delete, stats, import, export) and
`/api/clients/tags`, on the kernel (savdo/api/kernel.py) with this surface's conventions.

Roles (see docs/clients.md): every member of the store lists, reads, creates and edits clients
and tags; only owners, admins and managers delete clients, rename or delete tags, import, export,
and adjust purchase statistics by hand.
"""

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from savdo.api.clients import serializers as shapes
from savdo.api.clients.conventions import ClientsModelViewSet, ClientsPagination
from savdo.api.errors import Conflict, PayloadTooLarge
from savdo.api.fields import MAX_ID
from savdo.api.readcache import ReadCacheMixin
from savdo.customers import clients
from savdo.customers.constants import IMPORT_MAX_ROWS
from savdo.customers.models import Customer, CustomerType, Tag
from savdo.tenancy.roles import ALL_ROLES, MANAGERS

CLIENT_NOT_FOUND = gettext_lazy("Client not found.")
TAG_NOT_FOUND = gettext_lazy("Tag not found.")
DELETED = "Client deleted successfully"  # document 002's literal answer
IMPORTED = "Import completed"  # document 002's literal answer
EXPORT_FORMATS = ("json", "csv")
CSV_HEADER = [
    "ID",
    "Type",
    "Name",
    "Email",
    "Phone",
    "Company",
    "Status",
    "Segment",
    "Source",
    "Total Revenue",
    "Assigned User",
    "Created At",
]
# A spreadsheet runs a cell that starts with one of these as a formula: such text is exported with
# a leading apostrophe (phones are validated E.164 and are left as they are).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NoFormatParameterNegotiation(DefaultContentNegotiation):
    """Document 002's export uses `?format=json|csv` for the file's format: DRF must not read it
    as a renderer override (which would answer 404 to `?format=csv`)."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


def _renamed(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A domain ValidationError keyed by this surface's field names."""
    if not hasattr(exc, "error_dict"):
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exceptions.ValidationError(
        {shapes.FIELD_NAMES.get(name, name): messages for name, messages in exc.message_dict.items()}
    )


class DomainErrorsMixin:
    """Domain errors in this surface's words: field names in camelCase, 404 messages named."""

    not_found_message = gettext_lazy("Not found.")

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = _renamed(exc)
        elif isinstance(exc, clients.ClientNotDeletable):
            exc = Conflict(exc.message)
        return super().handle_exception(exc)

    def get_object(self):
        try:
            return super().get_object()
        except Http404 as exc:
            raise exceptions.NotFound(self.not_found_message) from exc


# --- list parameters ---------------------------------------------------------------------------


def _choice(params, name: str, allowed) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if value not in allowed:
        message = _("Must be one of: %(values)s.") % {"values": ", ".join(allowed)}
        raise exceptions.ValidationError({name: [message]})
    return value


def _id(params, name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_ID:
        raise exceptions.ValidationError({name: [_("Must be an id (a whole number from 1).")]})
    return number


def _tag_ids(params) -> list[int] | None:
    value = params.get("tags")
    if value in (None, ""):
        return None
    ids = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_ID:
            raise exceptions.ValidationError({"tags": [_("Send tag ids separated by commas, e.g. 1,2.")]})
        ids.append(int(part))
    return ids[:50] or None


def filtered_clients(queryset, params):
    """Document 002's list filters and sorting from the query string; a bad value is a 400."""
    queryset = clients.client_filter(
        queryset,
        status=_choice(params, "status", clients.CLIENT_STATUSES),
        segment=_choice(params, "segment", clients.CLIENT_SEGMENTS),
        client_type=_choice(params, "clientType", CustomerType.values),
        assigned_user_id=_id(params, "assignedUserId"),
        tag_ids=_tag_ids(params),
        search=(params.get("search") or "").strip() or None,
    )
    sort_by = _choice(params, "sortBy", list(clients.SORT_FIELDS)) or "createdAt"
    sort_order = _choice(params, "sortOrder", ("asc", "desc")) or "desc"
    return clients.client_order(queryset, sort_by=sort_by, descending=sort_order == "desc")


LIST_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number (1 by default)"),
    OpenApiParameter("limit", int, description="Rows per page (20 by default)"),
    OpenApiParameter("status", str, enum=list(clients.CLIENT_STATUSES)),
    OpenApiParameter("segment", str, enum=list(clients.CLIENT_SEGMENTS)),
    OpenApiParameter("clientType", str, enum=list(CustomerType.values)),
    OpenApiParameter("assignedUserId", int, description="Responsible manager's user id"),
    OpenApiParameter("tags", str, description="Tag id, or several separated by commas (any of them)"),
    OpenApiParameter("search", str, description="Name, e-mail, phone or company name contains"),
    OpenApiParameter("sortBy", str, enum=list(clients.SORT_FIELDS), description="createdAt by default"),
    OpenApiParameter("sortOrder", str, enum=["asc", "desc"], description="desc by default"),
]


# --- export ------------------------------------------------------------------------------------


def _revenue_text(value: Decimal) -> str:
    """Total revenue as the document's CSV writes it (a JavaScript number: `150000`, `1234.5`)."""
    text = format(Decimal(value).normalize(), "f")
    return text


def _safe_cell(value: str | None) -> str:
    if not value:
        return ""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_row(c: Customer) -> list[str]:
    return [
        str(c.pk),
        c.customer_type,
        _safe_cell(c.full_name),
        _safe_cell(c.email),
        c.phone,
        _safe_cell(c.company_name),
        clients.shown_status(c.status),
        c.segment,
        _safe_cell(c.source),
        _revenue_text(c.total_purchases),
        _safe_cell(c.assigned_to.name) if c.assigned_to_id else "",
        shapes.iso_utc(c.created_at),
    ]


# What the CSV reads of a client and of its manager (the rest of the row is not loaded).
CSV_FIELDS = (
    "id",
    "customer_type",
    "display_name",
    "company_name",
    "first_name",
    "last_name",
    "middle_name",
    "email",
    "phone",
    "status",
    "segment",
    "source",
    "total_purchases",
    "created_at",
    "assigned_to__first_name",
    "assigned_to__last_name",
    "assigned_to__username",
)


def csv_stream(queryset) -> Iterator[bytes]:
    """The CSV file: UTF-8 with a byte order mark (Excel then reads Cyrillic right), every value
    quoted, one chunk of rows at a time (only the columns it writes, no tags)."""
    queryset = queryset.only(*CSV_FIELDS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    yield ("\ufeff" + buffer.getvalue()).encode()
    for chunk in clients.client_export_chunks(queryset):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(c) for c in chunk)
        yield buffer.getvalue().encode()


def json_stream(queryset) -> Iterator[bytes]:
    """The JSON file: an array of clients in the shape of the list, one chunk of rows at a time."""
    yield b"["
    first = True
    for chunk in clients.client_export_chunks(queryset):
        tags = clients.client_tags_of([c.pk for c in chunk])
        body = orjson.dumps([shapes.client_body(c, tags[c.pk]) for c in chunk])[1:-1]
        yield body if first else b"," + body
        first = False
    yield b"]"


# --- clients -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=LIST_PARAMETERS, responses=shapes.ClientSerializer(many=True)),
    retrieve=extend_schema(responses={200: shapes.ClientSerializer}),
    create=extend_schema(request=shapes.ClientWriteSerializer, responses={201: shapes.ClientSerializer}),
    update=extend_schema(request=shapes.ClientWriteSerializer, responses={200: shapes.ClientSerializer}),
    partial_update=extend_schema(request=shapes.ClientWriteSerializer, responses={200: shapes.ClientSerializer}),
    destroy=extend_schema(responses={200: shapes.MessageSerializer, 409: OpenApiResponse(description="Has sales")}),
)
class ClientViewSet(DomainErrorsMixin, ReadCacheMixin, ClientsModelViewSet):
    """Document 002's clients: the store's customers in the document's camelCase shape.

    The list, a client and the statistics are answered from the versioned response cache
    (savdo/api/readcache.py): they read customer rows and their tags, whose every write (checkout's
    F() updates and tag links included) renews the `customers` scope, and the manager's name and
    e-mail, whose change renews every scope of the manager's stores (savdo/core/counts.py).
    """

    read_cache = dict.fromkeys(["list", "retrieve", "stats"], ("customers",))

    model = Customer
    selector = clients.client_list
    serializer_class = shapes.ClientSerializer
    create_service = clients.client_create
    update_service = clients.client_update
    destroy_service = clients.client_delete
    instance_argument = "customer"
    content_negotiation_class = NoFormatParameterNegotiation
    filter_backends: list = []
    default_roles = ALL_ROLES
    action_roles = {"destroy": MANAGERS, "import_clients": MANAGERS, "export": MANAGERS}
    not_found_message = CLIENT_NOT_FOUND
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return shapes.ClientWriteSerializer
        return super().get_serializer_class()

    def filter_queryset(self, queryset):
        if self.action in ("list", "export"):
            return filtered_clients(queryset, self.request.query_params)
        return queryset

    def paginate_queryset(self, queryset):
        sort_by = self.request.query_params.get("sortBy") or "createdAt"
        self.paginator.ids_first = sort_by not in clients.INDEXED_SORTS
        return super().paginate_queryset(queryset)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(shapes.client_body(serializer.instance), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        """PUT and PATCH both change only the fields sent (document 002)."""
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        statistics = serializer.validated_data.get("statistics")
        if statistics and request.membership.role not in MANAGERS:
            # A front end that saves the whole client sends its statistics back unchanged: that is
            # no adjustment, and a cashier may save it.
            if clients.statistics_differ(instance, statistics):
                raise exceptions.PermissionDenied(_("Only owners, admins and managers may adjust purchase statistics."))
            del serializer.validated_data["statistics"]
        self.perform_update(serializer)
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(shapes.client_body(fresh))

    def perform_update(self, serializer):
        statistics = serializer.validated_data.pop("statistics", None)
        with transaction.atomic():
            if statistics:
                serializer.instance = clients.customer_statistics_adjust(customer=serializer.instance, **statistics)
            super().perform_update(serializer)

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response({"message": DELETED})

    @extend_schema(responses=shapes.ClientStatsSerializer)
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Totals by status, type and segment, revenue, and the top clients by revenue."""
        data = clients.client_stats(tenant=request.tenant)
        return Response(shapes.ClientStatsSerializer(data).data)

    @extend_schema(
        request=shapes.ClientImportSerializer,
        responses={200: shapes.ImportAnswerSerializer, 413: OpenApiResponse(description="Too many rows")},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_clients(self, request):
        """Create many clients (at most IMPORT_MAX_ROWS a request); bad rows fail alone."""
        body = shapes.ClientImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent = body.validated_data["clients"]
        if len(sent) > IMPORT_MAX_ROWS:
            raise PayloadTooLarge(
                _("At most %(limit)d clients per import; this request has %(count)d. Send them in several requests.")
                % {"limit": IMPORT_MAX_ROWS, "count": len(sent)}
            )
        context = self.get_serializer_context()
        row_shape = shapes.ClientWriteSerializer(context=context)
        rows: list[clients.ImportRow | None] = []
        errors: dict[int, str] = {}
        for index, item in enumerate(sent):
            try:
                if not isinstance(item, dict):
                    raise serializers.ValidationError({"non_field_errors": [_("Each client must be an object.")]})
                data = row_shape.run_validation(item)
            except serializers.ValidationError as exc:
                rows.append(None)
                errors[index] = _first_message(exc.detail)
                continue
            data.pop("statistics", None)
            for name in shapes.ClientWriteSerializer.STATISTICS:
                data.pop(name, None)
            rows.append(
                clients.ImportRow(
                    fields={k: v for k, v in data.items() if k not in ("tags", "assigned_user_id")},
                    tags=data.get("tags"),
                    assigned_user_id=data.get("assigned_user_id"),
                )
            )
        result = clients.clients_import(tenant=request.tenant, rows=rows, field_names=shapes.FIELD_NAMES)
        errors.update(dict(result.errors))
        return Response(
            {
                "message": IMPORTED,
                "results": {
                    "success": len(result.created),
                    "failed": len(errors),
                    "errors": [{"client": sent[index], "error": errors[index]} for index in sorted(errors)],
                },
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(EXPORT_FORMATS), description="json by default"),
            *LIST_PARAMETERS[2:],
        ],
        responses={
            (200, "application/json"): {"type": "array", "items": {"$ref": "#/components/schemas/Client"}},
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """Every client matching the list's filters, as a JSON array or a CSV file (streamed)."""
        kind = _choice(request.query_params, "format", EXPORT_FORMATS) or "json"
        queryset = self.filter_queryset(self.get_queryset())
        stamp = timezone.localdate().isoformat()
        if kind == "csv":
            response = StreamingHttpResponse(csv_stream(queryset), content_type="text/csv; charset=utf-8")
        else:
            response = StreamingHttpResponse(json_stream(queryset), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="clients-{stamp}.{kind}"'
        response["Cache-Control"] = "no-store"
        return response


def _first_message(detail) -> str:
    """One line for an import row's error: `field: message`."""
    if isinstance(detail, dict) and detail:
        name, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if name in ("non_field_errors", "detail") else f"{name}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


# --- tags ----------------------------------------------------------------------------------------


class TagPagination(ClientsPagination):
    rows_key = "tags"
    default_limit = 100


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("page", int),
            OpenApiParameter("limit", int, description="100 by default"),
            OpenApiParameter("search", str, description="Name contains"),
        ]
    ),
    destroy=extend_schema(responses={200: shapes.MessageSerializer}),
)
class ClientTagViewSet(DomainErrorsMixin, ClientsModelViewSet):
    """Tags of the store's clients: `{id, name, color, usageCount}`; names unique per store."""

    model = Tag
    selector = clients.tag_list_with_usage
    serializer_class = shapes.TagSerializer
    pagination_class = TagPagination
    create_service = clients.client_tag_create
    update_service = clients.client_tag_update
    destroy_service = clients.client_tag_delete
    instance_argument = "tag"
    filter_backends: list = []
    default_roles = ALL_ROLES
    action_roles = {"update": MANAGERS, "partial_update": MANAGERS, "destroy": MANAGERS}
    not_found_message = TAG_NOT_FOUND
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def filter_queryset(self, queryset):
        term = (self.request.query_params.get("search") or "").strip()
        if self.action == "list" and term:
            queryset = clients.tag_search(queryset, term)
        return queryset

    def update(self, request, *args, **kwargs):
        """PUT and PATCH both change only the fields sent."""
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response({"message": _("Tag deleted successfully")})
