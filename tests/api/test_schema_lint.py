"""The OpenAPI schema keeps the properties Redocly's `recommended` rules check (`redocly.yaml`; CI
runs `redocly lint` too), so that a regression fails here, in the normal suite, as well."""

import pytest

from savdo.api.schema import type_nullable

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _schemas(node, where="#"):
    """Every schema object in the document, with where it is."""
    if isinstance(node, dict):
        # (not a `properties` map that has a property named "type" or "enum")
        if isinstance(node.get("type"), str) or node.get("nullable") is True or isinstance(node.get("enum"), list):
            yield where, node
        for key, value in node.items():
            yield from _schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{where}/{index}")


def test_servers_are_declared(schema):
    assert schema.get("servers"), "no-empty-servers"


def test_every_operation_has_a_summary(schema):
    missing = [label for label, operation in _operations(schema) if not operation.get("summary", "").strip()]
    assert not missing, missing


def test_every_operation_documents_a_4xx_answer_with_a_body(schema):
    missing, bodiless = [], []
    for label, operation in _operations(schema):
        errors = {code: response for code, response in operation["responses"].items() if code.startswith("4")}
        if not errors:
            missing.append(label)
        bodiless += [f"{label} {code}" for code, response in errors.items() if "content" not in response]
    assert not missing, missing
    assert not bodiless, bodiless


def test_signed_in_operations_document_401_and_tenant_operations_403(schema):
    wrong = []
    for label, operation in _operations(schema):
        signed_in = {"jwtAuth": []} in operation.get("security", []) and {} not in operation.get("security", [])
        if signed_in and "401" not in operation["responses"]:
            wrong.append(f"{label}: 401")
        takes_store = any(p["name"] == "X-Tenant-Key" for p in operation.get("parameters", []))
        if takes_store and "403" not in operation["responses"]:
            wrong.append(f"{label}: 403")
        if "{" in label and "404" not in operation["responses"]:
            wrong.append(f"{label}: 404")
    assert not wrong, wrong


def test_enum_values_have_the_schema_type(schema):
    # Redocly's no-enum-type-mismatch: a boolean filter (`?is_active=`) once listed "true", "1", ...
    wrong = []
    for where, node in _schemas(schema):
        kind = node.get("type")
        if kind in JSON_TYPES and "enum" in node:
            expected = JSON_TYPES[kind]
            for value in node["enum"]:
                if value is None and node.get("nullable"):
                    continue
                if not isinstance(value, expected) or (kind in ("integer", "number") and isinstance(value, bool)):
                    wrong.append(f"{where}: {value!r} is not {kind}")
    assert not wrong, wrong


def test_boolean_parameters_are_plain_booleans(schema):
    wrong = [
        f"{label} ?{parameter['name']}"
        for label, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter.get("schema", {}).get("type") == "boolean" and "enum" in parameter["schema"]
    ]
    assert not wrong, wrong


def test_nullable_schemas_have_a_type(schema):
    # Redocly's nullable-type-sibling: OpenAPI 3.0 ignores `nullable` next to a bare `$ref`/`allOf`.
    wrong = [where for where, node in _schemas(schema) if node.get("nullable") and "type" not in node]
    assert not wrong, wrong


def test_security_schemes_are_used(schema):
    used = {name for _, operation in _operations(schema) for entry in operation.get("security", []) for name in entry}
    declared = set(schema["components"].get("securitySchemes", {}))
    assert declared <= used, declared - used


def test_type_nullable_moves_nullable_onto_the_type_nullable_branch():
    components = {"Tag": {"type": "object"}}
    schema = {"nullable": True, "oneOf": [{"type": "array"}, {"type": "string"}]}
    type_nullable(schema, components)
    assert schema == {"oneOf": [{"type": "array", "nullable": True}, {"type": "string"}]}
    wrapped = {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Tag"}]}
    type_nullable(wrapped, components)
    assert wrapped == {"nullable": True, "type": "object", "allOf": [{"$ref": "#/components/schemas/Tag"}]}
