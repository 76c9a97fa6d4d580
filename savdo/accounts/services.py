"""Account writes: registration (user + their store), sign-in, token rotation, sign-out."""

from datetime import UTC, datetime

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from savdo.accounts import lockout
from savdo.accounts.models import RevokedAccessToken, User
from savdo.accounts.signals import access_token_revoked
from savdo.core.phones import normalize_phone, region_of_phone
from savdo.tenancy.models import Membership, Role, Tenant

# The claim of an access token naming the refresh token issued with it (its `jti`): the session a
# sign-out without the refresh token ends.
SESSION_CLAIM = "sid"


def token_pair(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)  # also records the OutstandingToken
    access = refresh.access_token
    access[SESSION_CLAIM] = refresh[api_settings.JTI_CLAIM]
    return {"access": str(access), "refresh": str(refresh)}


@transaction.atomic
def user_create(
    *, username: str, password: str, email: str = "", first_name: str = "", last_name: str = "", phone: str = ""
) -> User:
    """A new user account (registration, or a store adding a member).

    Raises ValidationError (field -> messages) for a blank or taken username, a taken email, a
    weak password or a phone not in `+<digits>` E.164 form; nothing is written then.
    """
    errors: dict[str, list[str]] = {}
    if not username:
        errors.setdefault("username", []).append(_("This field may not be blank."))
    elif User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append(_("A user with that username already exists."))
    if email and User.objects.filter(email__iexact=email).exists():
        errors.setdefault("email", []).append(_("A user with this email already exists."))
    e164 = ""
    if phone:
        try:
            e164 = normalize_phone(phone, strict_e164=True)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    candidate = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                username=username,
                password=password,
                email=email,
                first_name=first_name,
                last_name=last_name,
                phone=e164,
            )
    except IntegrityError as exc:  # a concurrent request took the name or email
        if email and User.objects.filter(email__iexact=email).exists():
            raise ValidationError({"email": [_("A user with this email already exists.")]}) from exc
        raise ValidationError({"username": [_("A user with that username already exists.")]}) from exc


@transaction.atomic
def user_register(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    store_name: str = "",
) -> tuple[User, Tenant]:
    """Create a user and their store: a new tenant in which they are the owner.

    The tenant's phone region is the region of the phone given (Uzbekistan without one).
    Raises ValidationError as `user_create` does; nothing is written then.
    """
    user = user_create(
        username=username, password=password, email=email, first_name=first_name, last_name=last_name, phone=phone
    )
    tenant = Tenant.objects.create(
        name=store_name or _("%(name)s's store") % {"name": user.name},
        phone_region=region_of_phone(user.phone) if user.phone else "UZ",
    )
    Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
    return user, tenant


def user_authenticate(*, request, username: str, password: str) -> User:
    """Check credentials through Django's backends, under the lock-outs of `savdo.accounts.lockout`:
    django-axes counts failures per username *and* client address, and a username that failed too
    often from any addresses waits for its turn.

    `request` is the Django HttpRequest (axes reads and marks it). Raises AuthenticationFailed (401)
    for wrong credentials or an inactive user, LoginBackoff (429) for an attempt on a username in
    backoff that comes before its turn (no password is checked then), and
    AxesBackendPermissionDenied (rendered as 429) once the username has failed AXES_FAILURE_LIMIT
    times from this address within the cool-off. A success clears this address's failures of the
    username.
    """
    lockout.username_backoff_check(username)
    axes_answer: dict = {}  # axes writes "error" into it when it refuses without checking the password
    user = authenticate(request=request, username=username, password=password, response_context=axes_answer)
    if getattr(request, "axes_locked_out", False):
        # axes' middleware would swap the response for its own HTML page; the lock-out is raised
        # here instead, so each surface renders it as a 429 in its own error shape.
        request.axes_locked_out = False
        if "error" not in axes_answer:  # this wrong password was checked, and it reached the limit
            lockout.username_failed(username)
        raise AxesBackendPermissionDenied("Too many failed login attempts.")
    if user is None:
        lockout.username_failed(username)
        raise AuthenticationFailed(_("Invalid username or password."))
    lockout.username_signed_in(username)
    # Tokens are the sign-in here (no session `login()`): tell Django's auth listeners, so that axes
    # clears the failure count of this username and address and `last_login` is kept.
    user_logged_in.send(sender=type(user), request=request, user=user)
    return user


def password_check_dummy(password: str) -> None:
    """Spend the time of one password check, so that an unknown login answers as slowly as a
    wrong password (nobody learns from the timing which accounts exist)."""
    User().set_password(password)


def user_by_email_for_login(email: str) -> str:
    """The username behind an email (document 003 signs in by email); '' when nobody has it."""
    user = User.objects.filter(email__iexact=email.strip()).only("username").first()
    return user.username if user else ""


@transaction.atomic
def refresh_rotate(*, refresh: str) -> dict[str, str]:
    """Exchange a refresh token for a new pair; the old one is refused from then on.

    The blacklist insert decides: of several concurrent uses of one refresh token, only the one
    whose insert wins the unique constraint gets a new pair.
    """
    try:
        token = RefreshToken(refresh)  # signature, expiry and blacklist check
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    user = User.objects.filter(**{api_settings.USER_ID_FIELD: token[api_settings.USER_ID_CLAIM]}).first()
    if user is None or not user.is_active:
        raise InvalidToken(_("User is inactive or no longer exists."))
    _blacklist(token, user)
    return token_pair(user)


def _blacklist(token: RefreshToken, user: User) -> None:
    jti = token[api_settings.JTI_CLAIM]
    expires_at = datetime.fromtimestamp(token["exp"], tz=UTC)
    try:
        with transaction.atomic():
            outstanding, _created = OutstandingToken.objects.get_or_create(
                jti=jti, defaults={"user": user, "token": str(token), "expires_at": expires_at}
            )
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:
        raise InvalidToken(_("Token is blacklisted")) from exc


def _blacklist_session(access: AccessToken, user: User) -> None:
    """Refuse the refresh token issued with `access` (named by its SESSION_CLAIM), if it is this
    user's; one already refused (rotated, signed out) stays so."""
    session = access.get(SESSION_CLAIM)
    if not session:  # issued before sessions were named: only the access token can be refused
        return
    outstanding = OutstandingToken.objects.filter(jti=session, user=user).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)


@transaction.atomic
def user_logout(*, user: User, access: AccessToken | None, refresh: str | None) -> None:
    """Sign out: the session ends. The access token of this request, the refresh token issued with
    it (found from the access token, so the client need not send it) and the refresh token given,
    if any, are refused afterwards on every surface.

    A refresh token that is invalid, already used or another user's is refused (InvalidToken) and
    nothing is written. Revocations past their token's expiry are dropped on the way.
    """
    if refresh:
        try:
            token = RefreshToken(refresh)
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        if str(token[api_settings.USER_ID_CLAIM]) != str(user.pk):
            raise InvalidToken(_("Token belongs to another user."))
        _blacklist(token, user)
    if access is not None:
        _blacklist_session(access, user)
        RevokedAccessToken.objects.filter(expires_at__lt=timezone.now()).delete()
        RevokedAccessToken.objects.get_or_create(
            jti=access[api_settings.JTI_CLAIM],
            defaults={"expires_at": datetime.fromtimestamp(access["exp"], tz=UTC)},
        )
        access_token_revoked.send(sender=RevokedAccessToken, user=user)
