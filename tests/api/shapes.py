"""Each surface's documented error shape, for assertions."""

SURFACES = ["retail", "clients", "crm_v1", "telecom"]

CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
}


def error_message(surface: str, response) -> str:
    """Assert the body is `surface`'s non-validation error shape; return its message."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    code = CODES[response.status_code]
    if surface == "crm_v1":
        assert set(body) == {"success", "error"}, body
        assert body["success"] is False
        assert set(body["error"]) == {"code", "message"}, body
        assert body["error"]["code"] == code, body
        message = body["error"]["message"]
    elif surface == "clients":
        assert set(body) == {"message", "code"}, body
        assert body["code"] == code, body
        message = body["message"]
    else:  # retail (000, 001) and telecom (004): {"status": "error", "message": ...}
        assert set(body) == {"status", "message"}, body
        assert body["status"] == "error"
        message = body["message"]
    assert isinstance(message, str) and message.strip(), body
    return message


def validation_errors(surface: str, response) -> dict:
    """Assert the body is `surface`'s validation error shape; return the field -> messages dict."""
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    if surface == "crm_v1":
        assert body["success"] is False
        assert body["error"]["code"] == "VALIDATION_ERROR"
        assert body["error"]["message"]
        return body["error"]["details"]
    if surface == "clients":
        assert body["code"] == "VALIDATION_ERROR"
        assert body["message"]
        return body["errors"]
    assert "status" not in body or isinstance(body["status"], list), body  # plain {"field": [...]}
    return body
