"""The messenger webhooks: `/api/webhooks/<provider>/<key>`, where Telegram, WhatsApp Cloud and an
Evolution API gateway post what people write to a store.

No JWT here: the key in the path (random, unguessable, one per channel) finds the channel and so
the store; the provider's signature or secret then authenticates the post, checked on the raw body
in constant time by the provider's adapter (`savdo.messaging.providers`):

- unknown, disconnected or other provider's key: 404;
- missing signature/secret: 401; wrong one: 403; nothing is stored either way;
- authenticated but not the provider's JSON: 400;
- otherwise 200 `{"ok": true, "stored", "duplicates", "skipped"}`, also for a repeated delivery
  (it stores nothing new) so the provider stops retrying.

Everything is written into the key's store only (`savdo.messaging.inbound`); on PostgreSQL the
connection is bound to that store's rows for the rest of the request (row-level security,
`savdo.core.rls`). Plain Django views: no throttle by client address (providers post from a few
addresses, in bursts), no session, no CSRF.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from savdo.api.errors import error_response_for_path
from savdo.core import rls
from savdo.messaging import inbound, sealed, selectors
from savdo.messaging.providers import adapter_for
from savdo.messaging.providers.base import BadSignature, MalformedPayload, MissingSignature, check_sizes


def _error(request, status: int, code: str, message: str) -> JsonResponse:
    return error_response_for_path(request.path, status, code, message)


@csrf_exempt
def receive(request, provider: str, key: str):
    if request.method not in ("GET", "POST"):
        response = _error(request, 405, "METHOD_NOT_ALLOWED", _("Method not allowed."))
        response["Allow"] = "GET, POST"
        return response
    channel = selectors.channel_for_webhook(provider=provider, key=key)
    if channel is None:
        return _error(request, 404, "NOT_FOUND", _("Not found."))
    adapter = adapter_for(channel.provider)
    try:
        credentials = channel.credentials()
    except sealed.Unsealable:
        return _error(request, 403, "FORBIDDEN", _("The channel's credentials cannot be read; connect it again."))
    try:
        if request.method == "GET":
            if not adapter.supports_handshake:
                return _error(request, 405, "METHOD_NOT_ALLOWED", _("Method not allowed."))
            challenge = adapter.handshake(channel, credentials, request.GET)
            inbound.channel_webhook_verified(channel=channel)
            return HttpResponse(challenge, content_type="text/plain")
        body = request.body
        adapter.authenticate(channel, credentials, request.headers, body)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise MalformedPayload("not JSON") from None
        events = check_sizes(adapter.parse(channel, payload))
    except MissingSignature:
        return _error(request, 401, "UNAUTHORIZED", _("The request is not signed."))
    except BadSignature:
        return _error(request, 403, "FORBIDDEN", _("The signature does not match."))
    except (MalformedPayload, KeyError, TypeError, ValueError, AttributeError):
        return _error(request, 400, "VALIDATION_ERROR", _("This is not a payload of this provider."))
    rls.enter(channel.tenant_id)
    try:
        outcome = inbound.webhook_receive(channel=channel, events=events)
    finally:
        rls.leave()
    return JsonResponse(outcome.as_dict())
