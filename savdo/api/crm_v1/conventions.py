"""The CRM v1 surface's conventions (document 003): `{"success": true, "data"}` envelopes,
`{"success": false, "error": {code, message, details}}` errors, camelCase, `?page=&limit=` (10 by
default) lists answered as `{<rows key>: [...], pagination: {currentPage, totalPages, totalItems,
itemsPerPage}}`, routes with and without the trailing slash, numeric ids in routes.

A resource is a `CrmModelViewSet` (the kernel's tenant-scoped CRUD through services) that names
its envelope keys (`object_key`, `rows_key`), the message its DELETE answers, and how the domain's
field names read in this document (`error_fields`, so a service's `{"company_name": [...]}` is
reported as `{"company": [...]}`).
"""

import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status as http
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from savdo.api.base import OptionalSlashRouter
from savdo.api.errors import crm_style_body, make_exception_handler
from savdo.api.kernel import TenantModelViewSet, TenantViewSet
from savdo.api.pagination import positive_int_param
from savdo.api.paginators import DeferredJoinPaginator
from savdo.api.readcache import ReadCacheMixin
from savdo.api.schema import SurfaceAutoSchema

exception_handler = make_exception_handler(crm_style_body)

ID_PATTERN = "[0-9]{1,18}"
DEFAULT_LIMIT = 10
# Pages past this are past the end of any list (and keep OFFSET arithmetic in range).
MAX_PAGE = 10**9


class CrmErrorsMixin:
    def get_exception_handler(self):
        return exception_handler


def ok(data=None, *, message: str | None = None, status: int = 200) -> Response:
    body: dict = {"success": True}
    if data is not None:
        body["data"] = data
    if message is not None:
        body["message"] = message
    return Response(body, status=status)


class CrmPagination(BasePagination):
    """`?page=&limit=` (1 and 10 by default; a limit over `MAX_PAGE_SIZE` is cut to it; anything but
    a positive whole number is a 400). A page past the end is an empty page with the true totals.

    `rows_key` names the list; `items_per_page` says whether the pagination carries `itemsPerPage`
    (003 shows it for customers, not for deals). `with_totals = False` answers no pagination at all
    (003's activities), which also spares the count."""

    rows_key = "items"
    items_per_page = True
    with_totals = True

    def paginate_queryset(self, queryset, request, view=None):
        self.page = positive_int_param(request, "page", default=1, maximum=MAX_PAGE)
        self.limit = positive_int_param(request, "limit", default=DEFAULT_LIMIT)
        start = (self.page - 1) * self.limit
        if not self.with_totals:
            return list(queryset[start : start + self.limit])
        tenant_id = getattr(getattr(request, "tenant", None), "pk", None)
        paginator = DeferredJoinPaginator(queryset, self.limit, tenant_id=tenant_id)
        self.total = paginator.count
        if start >= self.total:
            return []
        return list(paginator.page(self.page).object_list)

    def pagination_body(self) -> dict:
        body = {
            "currentPage": self.page,
            "totalPages": math.ceil(self.total / self.limit) if self.total else 0,
            "totalItems": self.total,
        }
        if self.items_per_page:
            body["itemsPerPage"] = self.limit
        return body

    def get_paginated_response(self, data):
        body = {self.rows_key: data}
        if self.with_totals:
            body["pagination"] = self.pagination_body()
        return ok(body)

    def get_paginated_response_schema(self, schema):
        properties = {self.rows_key: schema}
        if self.with_totals:
            pagination = {name: {"type": "integer"} for name in ("currentPage", "totalPages", "totalItems")}
            if self.items_per_page:
                pagination["itemsPerPage"] = {"type": "integer"}
            properties["pagination"] = {"type": "object", "properties": pagination}
        return {
            "type": "object",
            "required": ["success", "data"],
            "properties": {
                "success": {"type": "boolean"},
                "data": {"type": "object", "required": list(properties), "properties": properties},
            },
        }


def renamed_errors(exc: Exception, names: dict[str, str]) -> Exception:
    """A validation error with the domain's field names read in this document's words (messages of
    two fields that read as one are joined); other exceptions as they are."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    elif isinstance(exc, ValidationError) and isinstance(exc.detail, dict):
        detail = exc.detail
    else:
        return exc
    if not names or not set(detail) & set(names):
        return exc
    renamed: dict[str, list] = {}
    for name, messages in detail.items():
        target = renamed.setdefault(names.get(name, name), [])
        for message in messages if isinstance(messages, list) else [messages]:
            if message not in target:
                target.append(message)
    return ValidationError(renamed)


def _envelope(data: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"type": "boolean", "enum": [True]}, "data": data},
    }


class CrmAutoSchema(SurfaceAutoSchema):
    """The document's envelope in the OpenAPI schema: `{success, data: {<object_key>: ...}}` for
    an object (CRUD), `{success, data: ...}` for a command's answer, `{success, message}` for a
    DELETE; lists carry theirs already (`CrmPagination.get_paginated_response_schema`)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        action = getattr(self.view, "action", None)
        object_key = getattr(self.view, "object_key", None)
        if action == "destroy":
            message = {"success": {"type": "boolean", "enum": [True]}, "message": {"type": "string"}}
            schema = {"type": "object", "required": ["success", "message"], "properties": message}
            return {"200": {"description": "Deleted", "content": {"application/json": {"schema": schema}}}}
        if self._is_list_view():
            return responses
        for code, response in responses.items():
            if not code.startswith("2"):
                continue
            for media in response.get("content", {}).values():
                if action in ("retrieve", "create", "update", "partial_update") and object_key:
                    data = {"type": "object", "required": [object_key], "properties": {object_key: media["schema"]}}
                    media["schema"] = _envelope(data)
                else:
                    media["schema"] = _envelope(media["schema"])
        return responses


class CrmViewMixin(CrmErrorsMixin, ReadCacheMixin):
    schema = CrmAutoSchema()
    lookup_value_regex = ID_PATTERN
    # domain field name -> this document's name, for validation errors
    error_fields: dict[str, str] = {}

    def handle_exception(self, exc):
        return super().handle_exception(renamed_errors(exc, self.error_fields))


class CrmModelViewSet(CrmViewMixin, TenantModelViewSet):
    """CRUD of a document 003 resource on the kernel, in the `{success, data}` envelope.

    PUT changes the fields it is given (the others keep their values), as PATCH does: front ends
    send forms with the fields the user saw."""

    pagination_class = CrmPagination
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    object_key = "item"
    rows_key = "items"
    # 003 shows its messages in English and front ends compare them: they are not translated.
    deleted_message = "Deleted successfully"
    not_found_message = _("Not found.")

    def get_object(self):
        try:
            return super().get_object()
        except Http404 as exc:
            raise NotFound(self.not_found_message) from exc

    @property
    def paginator(self):
        paginator = super().paginator
        if paginator is not None:
            paginator.rows_key = self.rows_key
        return paginator

    def retrieve(self, request, *args, **kwargs):
        return ok({self.object_key: self.get_serializer(self.get_object()).data})

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return ok({self.object_key: self.get_serializer(serializer.instance).data}, status=http.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return ok({self.object_key: self.get_serializer(serializer.instance).data})

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return ok(message=self.deleted_message)


class CrmViewSet(CrmViewMixin, TenantViewSet):
    """Read-only or command-style document 003 endpoints on the kernel (analytics)."""


def crm_router() -> OptionalSlashRouter:
    return OptionalSlashRouter()
