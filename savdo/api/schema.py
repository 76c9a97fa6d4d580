"""OpenAPI: each operation is tagged with the surface (document) it belongs to; tenant-scoped
operations document the `X-Tenant-Key` header; the one JWT scheme is described once.

Every operation also gets a one-line summary and the error answers it can give, in the error shape
of its surface (the one its exception handler renders, `savdo.api.errors`): 400 where it reads
query parameters or writes (bodies are validated, services refuse what an object's state does not
allow), 401 and 403 where it needs a signed-in member, 404 where a path names an object (or a page
number can be past the end), a view's `refusal_statuses` (409) on its writes, 429 on sign-in. An
error a view declares by its description alone gets the body too. `postprocess` then makes the
whole document valid for strict readers (see its docstring). tests/api/test_schema_lint.py holds it
to what `redocly lint` checks (redocly.yaml).
"""

import copy
import inspect
import re

from django.utils import translation
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_mock_request, get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated

from savdo.api import errors

SURFACE_TAGS = {
    "retail": "retail (documents 000, 001)",
    "clients": "clients (document 002)",
    "crm_v1": "crm v1 (document 003)",
    "telecom": "telecom (document 004)",
}

TENANT_KEY_PARAMETER = OpenApiParameter(
    name="X-Tenant-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The store to act in (`key` from the profile's `tenants`); the oldest store without it.",
)

ERROR_DESCRIPTIONS = {
    "400": "Invalid: a body or query parameter (messages per field), or a change the object's state does not allow.",
    "401": "Not signed in: no token, an invalid or expired one, or wrong credentials.",
    "403": "The role does not allow this action, or the user is not a member of the store (`X-Tenant-Key`).",
    "404": "Not found: no such object in this store (another store's objects read the same), or no such page.",
    "409": "Refused: the object's state does not allow this (a closed chat, a disconnected channel).",
    "429": "Too many attempts: try again after `Retry-After` seconds.",
}

# Messages per field: `{"field": ["message"]}`, nested for nested bodies.
FIELD_ERRORS = {"type": "object", "additionalProperties": {"oneOf": [{"type": "array"}, {"type": "object"}]}}

# The error bodies of each shape (`savdo.api.errors`), as components: status -> (name, schema).
_DRF_MESSAGE = (
    "ErrorMessage",
    {
        "type": "object",
        "description": "Any error but a validation error (retail, telecom: documents 000, 001, 004).",
        "required": ["status", "message"],
        "properties": {"status": {"type": "string", "enum": ["error"]}, "message": {"type": "string"}},
    },
)
_DRF_VALIDATION = (
    "ValidationErrors",
    {
        **FIELD_ERRORS,
        "description": "Each invalid field's messages (`non_field_errors` for the body as a whole); a body that "
        "is not JSON answers the `ErrorMessage` shape.",
    },
)
_CRM_ERROR = (
    "CrmError",
    {
        "type": "object",
        "description": "Any error of document 003; `details` holds the messages per field of a 400.",
        "required": ["success", "error"],
        "properties": {
            "success": {"type": "boolean", "enum": [False]},
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "NOT_FOUND"},
                    "message": {"type": "string"},
                    "details": FIELD_ERRORS,
                },
            },
        },
    },
)
_CLIENTS_ERROR = (
    "ClientsError",
    {
        "type": "object",
        "description": "Any error of document 002; `errors` holds the messages per field of a 400.",
        "required": ["message", "code"],
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string", "example": "NOT_FOUND"},
            "errors": FIELD_ERRORS,
        },
    },
)
ERROR_SHAPES = {
    errors.drf_style_body: {"400": [_DRF_VALIDATION, _DRF_MESSAGE], "*": [_DRF_MESSAGE]},
    errors.crm_style_body: {"*": [_CRM_ERROR]},
    errors.clients_style_body: {"*": [_CLIENTS_ERROR]},
}

# The verbs of DRF's own actions, for operations whose method has no docstring of its own.
STANDARD_SUMMARIES = {
    "list": "List {plural}",
    "create": "Create {name}",
    "retrieve": "Get {name}",
    "update": "Update {name}",
    "partial_update": "Update some fields of {name}",
    "destroy": "Delete {name}",
}
MAX_SUMMARY = 120


class SavdoJWTScheme(SimpleJWTScheme):
    """Our JWT authentication is simplejwt's, so it is documented as simplejwt's bearer scheme."""

    target_class = "savdo.accounts.authentication.SavdoJWTAuthentication"
    match_subclasses = True  # savdo.api.authentication.CachedJWTAuthentication
    name = "jwtAuth"


def _own_doc(view_class: type, name: str) -> str:
    """The docstring of method `name` as the view (or one of our bases) defines it; DRF's own
    methods' docstrings do not describe our operations."""
    for klass in view_class.__mro__:
        if name in vars(klass):
            if klass.__module__.startswith("rest_framework"):
                return ""
            return inspect.getdoc(vars(klass)[name]) or ""
    return ""


# A docstring's leading reference to the document ("000 §5: ", "001 §2.1-§2.3: ").
DOC_REFERENCE = re.compile(r"^\d{3}(\s*§[\d.]+(-§?[\d.]+)?)?(,\s*§[\d.]+)*\s*:?\s*")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def summary_from_doc(doc: str) -> str:
    """A summary from a docstring: its first clause (up to a ". ", "; " or ": " outside brackets and
    code), at most MAX_SUMMARY long; "" when the docstring opens with its parameters (`?days=`) or
    speaks of several methods (GET: ..., POST: ...), which make poor summaries."""
    text = DOC_REFERENCE.sub("", " ".join(doc.strip().split("\n\n", 1)[0].split()))
    if not text or text.startswith(("`", "(", *HTTP_METHODS)):
        return ""
    depth, code = 0, False
    for index, char in enumerate(text):
        if char == "`":
            code = not code
        elif char in "([{" and not code:
            depth += 1
        elif char in ")]}" and not code:
            depth -= 1
        elif char in ".;:" and not code and depth == 0 and text[index + 1 : index + 2] in (" ", ""):
            text = text[:index]
            break
    if len(text) > MAX_SUMMARY:
        text = text[: MAX_SUMMARY - 1].rsplit(" ", 1)[0] + "…"
    return text[:1].upper() + text[1:]


def _with_article(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeio' else 'a'} {name}"


class SurfaceAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        module = type(self.view).__module__
        parts = module.split(".")
        if len(parts) > 2 and parts[0] == "savdo" and parts[1] == "api":
            return [SURFACE_TAGS.get(parts[2], parts[2])]
        return super().get_tags()

    def get_override_parameters(self) -> list:
        from savdo.api.base import TenantScopedMixin

        parameters = list(super().get_override_parameters())
        if isinstance(self.view, TenantScopedMixin):
            parameters.append(TENANT_KEY_PARAMETER)
        return parameters

    # --- summary -------------------------------------------------------------------------------
    def get_summary(self) -> str | None:
        """The first clause of the method's own docstring; else a sentence made of the action and
        the resource's name ("Create a tariff", "Contract: suspend"); else the view's name ("Login")."""
        action = getattr(self.view, "action", None)
        summary = summary_from_doc(_own_doc(type(self.view), action or self.method.lower()))
        if summary:
            return summary
        if action is None:
            name = re.sub(r"(View|ViewSet)$", "", type(self.view).__name__)
            return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).capitalize()
        name, plural = self._resource_names()
        if action in STANDARD_SUMMARIES:
            return STANDARD_SUMMARIES[action].format(name=_with_article(name), plural=plural)
        words = action.replace("_", " ").replace("-", " ").strip()
        is_detail = getattr(getattr(self.view, action, None), "detail", False)
        subject = name if is_detail else plural
        if subject.lower() == words.lower():  # a view named after its only action (`receive`)
            return words.capitalize()
        return f"{subject[:1].upper()}{subject[1:]}: {words}"

    def _resource_names(self) -> tuple[str, str]:
        """The resource's name and plural in English: the model's verbose names, else the path's last word."""
        model = get_view_model(self.view, emit_warnings=False)
        if model is not None:
            with translation.override("en"):
                return str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
        words = [part for part in self.path.strip("/").split("/") if part and not part.startswith("{")]
        word = (words[-1] if words else "resource").replace("-", " ").replace("_", " ")
        return word, word

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if direction == "response" and getattr(field, "reads_blank", False) and not field.allow_blank:
            field = copy.copy(field)  # `StoredChoiceField`: "" may be read back, never written
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_paginator(self):
        """The view's own paginator: some are configured by the view (`rows_key`, the list's name)."""
        if getattr(self.view, "pagination_class", None) is None:
            return None
        return self.view.paginator

    # --- error responses -----------------------------------------------------------------------
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            responses = operation["responses"]
            for status in self._error_statuses(operation):
                if status not in responses:
                    responses[status] = self._error_response(status)
            for status, response in responses.items():
                # An error a view declares by its description alone has its surface's body too.
                if status.startswith("4") and "content" not in response:
                    response["content"] = self._error_response(status)["content"]
        return operation

    def _render_body(self):
        handler = self.view.get_exception_handler()
        render = getattr(handler, "render_body", None)
        return render if render in ERROR_SHAPES else errors.style_for_path(self.path)

    def _error_statuses(self, operation: dict) -> list[str]:
        from savdo.api.base import SignInViewMixin, TenantScopedMixin

        view = self.view
        permissions = view.get_permissions()
        signs_in = isinstance(view, SignInViewMixin)
        needs_member = not all(isinstance(permission, AllowAny) for permission in permissions)
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        statuses = []
        # Bodies and query parameters are validated; services refuse a write against their rules
        # (a state that does not allow it, rows that depend on it) with a 400 too.
        if self.method != "GET" or query:
            statuses.append("400")
        if needs_member or (signs_in and view.checks_credentials):
            statuses.append("401")
        if needs_member and (
            isinstance(view, TenantScopedMixin)
            or any(type(permission) is not IsAuthenticated for permission in permissions)
        ):
            statuses.append("403")
        pages = "page" in query and isinstance(getattr(view, "paginator", None), PageNumberPagination)
        if "{" in self.path or pages:
            statuses.append("404")
        if self.method != "GET":
            statuses.extend(getattr(view, "refusal_statuses", ()))
        if signs_in:
            statuses.append("429")
        return statuses

    def _error_response(self, status: str) -> dict:
        shapes = ERROR_SHAPES[self._render_body()]
        refs = []
        for name, schema in shapes.get(status, shapes["*"]):
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            self.registry.register_on_missing(component)
            refs.append(component.ref)
        schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
        description = ERROR_DESCRIPTIONS.get(status, "Refused.")
        return {"description": description, "content": {"application/json": {"schema": schema}}}


def mock_request(method, path, view, original_request, **kwargs):
    """drf-spectacular's mock request for schema generation, with the request's tenant (none).

    Set as SPECTACULAR_SETTINGS["GET_MOCK_REQUEST"]: views whose `get_queryset()` reads
    `self.request.tenant` then still show their model (an empty `tenant=None` queryset; no query
    runs), instead of a "failed to obtain model" warning and an untyped schema.
    """
    request = build_mock_request(method, path, view, original_request, **kwargs)
    request.tenant = None
    request.membership = None
    request._request.tenant = None
    return request


# --- the whole document ----------------------------------------------------------------------------


def _walk(node, visit):
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _schema_type(schema: dict, components: dict) -> str | None:
    """The `type` a (sub)schema's values have, following `$ref` and a single-branch `allOf`."""
    if "$ref" in schema:
        return _schema_type(components.get(schema["$ref"].rsplit("/", 1)[-1], {}), components)
    if "type" in schema:
        return schema["type"]
    if len(schema.get("allOf", [])) == 1:
        return _schema_type(schema["allOf"][0], components)
    return None


def type_nullable(schema: dict, components: dict) -> None:
    """Give `type` to a `nullable` schema that lacks it (OpenAPI 3.0.3 ignores `nullable` without
    a `type`; drf-spectacular writes `{"allOf": [{"$ref"}], "nullable": true}` for a nullable nested
    object): the branches' one type; with branches of several types, the first typed branch carries
    `nullable` instead."""
    if schema.get("nullable") is not True or "type" in schema:
        return
    for key in ("allOf", "oneOf", "anyOf"):
        branches = schema.get(key)
        if not isinstance(branches, list):
            continue
        types = [_schema_type(branch, components) for branch in branches]
        known = {t for t in types if t is not None}
        if len(known) == 1:
            schema["type"] = known.pop()
        elif known and key != "allOf":
            index = next(i for i, t in enumerate(types) if t is not None)
            branch = branches[index]
            if "$ref" in branch:
                branches[index] = {"allOf": [branch], "type": types[index], "nullable": True}
            else:
                branches[index] = {**branch, "nullable": True}
            del schema["nullable"]
        return


def typed_nullables(result: dict) -> None:
    """`type_nullable` on every schema of the document."""
    components = result.get("components", {}).get("schemas", {})
    _walk(result.get("paths", {}), lambda schema: type_nullable(schema, components))
    _walk(components, lambda schema: type_nullable(schema, components))


def postprocess(result, generator, request, public):
    """drf-spectacular's last step (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"], after its enum
    hook): nullable schemas get their `type` (`typed_nullables`)."""
    typed_nullables(result)
    return result
