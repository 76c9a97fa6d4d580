"""The CRM v1 surface's conventions (document 003): `{"success": true, "data"}` envelopes,
`{"success": false, "error": {code, message, details}}` errors, camelCase, `?page=&limit=`."""

from rest_framework.response import Response

from savdo.api.errors import crm_style_body, make_exception_handler

exception_handler = make_exception_handler(crm_style_body)


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
