"""The clients surface's conventions (document 002): camelCase bodies, `{clients, pagination:
{page, limit, total, totalPages}}` lists, `{"message", "code", "errors"?}` errors."""

from savdo.api.errors import clients_style_body, make_exception_handler

exception_handler = make_exception_handler(clients_style_body)


class ClientsErrorsMixin:
    def get_exception_handler(self):
        return exception_handler
