"""The API's authentication: simplejwt's token checks, with who the token is read from the cache."""

import threading
import time

from rest_framework_simplejwt.settings import api_settings

from savdo.accounts.authentication import SavdoJWTAuthentication
from savdo.api import principals
from savdo.api.throttling import UserRateThrottle
from savdo.tenancy.resolution import TENANT_HEADER

MAX_CHECKED_TOKENS = 4096  # per process; when full, the memory starts afresh


class CachedJWTAuthentication(SavdoJWTAuthentication):
    """Checks a token's signature once per process and its expiry every time; the user (and, for
    the permission check, the membership) comes from `savdo.api.principals` when this token was
    seen before.

    What the cache found is left on the request as `principal_lookup` for TenantScopedMixin.
    """

    _checked: dict = {}  # raw token -> (expiry, validated token): its signature and claims hold
    _checked_lock = threading.Lock()

    def get_validated_token(self, raw_token):
        """simplejwt's, remembered per process: a token is the same bytes every request, and
        decoding it (PyJWT: base64, JSON, HMAC, claims) was ~3 % of a till request. Expiry is
        checked on every use, as simplejwt does it (with its leeway); revocation and the user's
        state are checked after this, as before."""
        found = self._checked.get(raw_token)
        if found is not None and time.time() < found[0]:
            return found[1]
        token = super().get_validated_token(raw_token)
        expiry = token.get("exp")
        if isinstance(expiry, int | float):
            with self._checked_lock:
                if len(self._checked) >= MAX_CHECKED_TOKENS:
                    type(self)._checked = {}
                leeway = token.get_token_backend().get_leeway().total_seconds()
                self._checked[raw_token] = (expiry + leeway, token)
        return token

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        found = None
        if principals.enabled():
            user_id = validated_token.get(api_settings.USER_ID_CLAIM)
            jti = validated_token.get(api_settings.JTI_CLAIM)
            if user_id is not None and jti:
                # the user's throttle counts this request in the same round trip
                view = (request.parser_context or {}).get("view")
                window = UserRateThrottle.window_for(view, user_id)
                found, hit = principals.lookup(
                    user_id=user_id,
                    jti=str(jti),
                    tenant_key=(request.META.get(TENANT_HEADER) or "").strip(),
                    expires_at=float(validated_token.get("exp", 0)),
                    window=window,
                    view=view,
                    method=request.method,
                )
                if hit is not None:
                    request.window_hits = {window[0]: hit}
        request.principal_lookup = found
        if found is not None and found.principal is not None:
            return found.principal.user, validated_token
        user = self.get_user(validated_token)
        if found is not None:
            principals.store(found, user=user, membership=None)
        return user, validated_token
