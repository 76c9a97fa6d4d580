"""Messages are translated: Russian by default, `Accept-Language: uz|en` switches; catalogs are complete
and compiled."""

import ast
import gettext
import re
from pathlib import Path

import pytest

from tests.factories import PASSWORD, MembershipFactory

SAVDO = Path(__file__).resolve().parents[2] / "savdo"
LOCALE = SAVDO / "locale"

# The files whose messages the project catalog (savdo/locale) carries.
FOUNDATION_FILES = [
    "settings.py",
    "urls.py",
    "accounts/authentication.py",
    "accounts/models.py",
    "accounts/services.py",
    "tenancy/models.py",
    "tenancy/resolution.py",
    "tenancy/permissions.py",
    "api/base.py",
    "api/errors.py",
    "api/middleware.py",
    "api/health.py",
    "api/pagination.py",
    "api/retail/conventions.py",
    "api/retail/accounts/views.py",
    "api/retail/accounts/serializers.py",
    "core/dates.py",
    "core/postgresql/recovery.py",
    "accounts/lockout.py",
    "api/retail/accounts/invitations.py",
    "api/crm_v1/conventions.py",
    "api/crm_v1/views.py",
    "api/telecom/conventions.py",
    "api/telecom/views.py",
]
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}

NOT_PROVIDED = {
    "ru": "Учетные данные не были предоставлены.",
    "uz": "Autentifikatsiya ma'lumotlari taqdim etilmagan.",
    "en": "Authentication credentials were not provided.",
}
WRONG_PASSWORD = {
    "ru": "Неверное имя пользователя или пароль.",
    "uz": "Foydalanuvchi nomi yoki parol noto'g'ri.",
    "en": "Invalid username or password.",
}
WRONG_EMAIL = {
    "ru": "Неверный адрес электронной почты или пароль.",
    "uz": "Elektron pochta manzili yoki parol noto'g'ri.",
    "en": "Invalid email or password.",
}


def _lang_headers(lang: str | None) -> dict:
    return {"HTTP_ACCEPT_LANGUAGE": lang} if lang else {}


@pytest.mark.parametrize("lang", ["ru", "uz", "en"])
def test_401_without_token_in_each_language_and_surface(anon, lang):
    headers = _lang_headers(lang)
    retail = anon.get("/api/users/profile/", **headers)
    assert retail.status_code == 401
    assert retail.json() == {"status": "error", "message": NOT_PROVIDED[lang]}
    crm = anon.post("/api/v1/auth/logout", {}, format="json", **headers)
    assert crm.status_code == 401
    assert crm.json() == {"success": False, "error": {"code": "UNAUTHORIZED", "message": NOT_PROVIDED[lang]}}
    assert retail["Content-Language"] == lang


@pytest.mark.parametrize("lang", ["ru", "uz", "en"])
def test_401_wrong_credentials_in_each_language(anon, lang):
    member = MembershipFactory()
    headers = _lang_headers(lang)
    telecom = anon.post("/api/auth/login/", {"username": member.user.username, "password": "nope"}, **headers)
    assert telecom.status_code == 401
    assert telecom.json() == {"status": "error", "message": WRONG_PASSWORD[lang]}
    crm = anon.post("/api/v1/auth/login", {"email": member.user.email, "password": "nope"}, **headers)
    assert crm.status_code == 401
    assert crm.json()["error"] == {"code": "UNAUTHORIZED", "message": WRONG_EMAIL[lang]}


@pytest.mark.parametrize("header", [None, "", "de", "fr-CH, de;q=0.8", "ru-RU,ru;q=0.9"])
def test_russian_is_the_default(anon, header):
    extra = {} if header is None else {"HTTP_ACCEPT_LANGUAGE": header}
    response = anon.get("/api/users/profile/", **extra)
    assert response.json()["message"] == NOT_PROVIDED["ru"]


def test_language_with_region_and_quality_values(anon):
    response = anon.get("/api/users/profile/", HTTP_ACCEPT_LANGUAGE="uz-UZ,uz;q=0.9,ru;q=0.5")
    assert response.json()["message"] == NOT_PROVIDED["uz"]
    response = anon.get("/api/users/profile/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.json()["message"] == NOT_PROVIDED["en"]


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        (None, "Пользователь успешно зарегистрирован"),
        ("uz", "Foydalanuvchi muvaffaqiyatli ro'yxatdan o'tkazildi"),
        ("en", "User registered successfully"),
    ],
)
def test_register_message_in_each_language(anon, lang, message):
    payload = {"username": "nodira", "password": PASSWORD, "password2": PASSWORD}
    response = anon.post("/api/users/auth/register/", payload, format="json", **_lang_headers(lang))
    assert response.status_code == 201, response.content
    assert response.json()["message"] == message


def test_password_validator_messages_are_uzbek_too(anon):
    payload = {"username": "nodira", "password": "12345678", "password2": "12345678"}
    response = anon.post("/api/users/auth/register/", payload, format="json", HTTP_ACCEPT_LANGUAGE="uz")
    assert response.status_code == 400
    assert response.json() == {
        "password": ["Bu parol juda keng tarqalgan.", "Bu parol faqat raqamlardan iborat."],
    }


# --- the catalogs ----------------------------------------------------------------------------


def _foundation_msgids() -> set[str]:
    msgids = set()
    for name in FOUNDATION_FILES:
        tree = ast.parse((SAVDO / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            texts = [arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            if called in GETTEXT_NAMES and texts:
                # pgettext(context, message) is keyed "context\x04message", as gettext stores it
                msgids.add("\x04".join(texts[:2]) if called.startswith("pgettext") else texts[0])
    return msgids


def _po_entries(path: Path) -> dict[str, list[str]]:
    """msgid -> msgstr forms, from a .po file (enough of the format for our catalogs)."""
    entries: dict[str, list[str]] = {}
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#")]
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            forms = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
            # a message with a context is keyed as gettext stores it: "context\x04msgid"
            key = f"{fields['msgctxt']}\x04{fields['msgid']}" if "msgctxt" in fields else fields["msgid"]
            entries[key] = forms
    return entries


@pytest.mark.parametrize("lang", ["ru", "uz", "en"])
def test_catalog_translates_every_foundation_message(lang):
    entries = _po_entries(LOCALE / lang / "LC_MESSAGES" / "django.po")
    missing = sorted(msgid for msgid in _foundation_msgids() if msgid not in entries or not all(entries[msgid]))
    assert not missing, f"add to savdo/locale/{lang}/LC_MESSAGES/django.po: {missing}"


@pytest.mark.parametrize("lang", ["ru", "uz", "en"])
def test_compiled_catalog_matches_the_po(lang):
    folder = LOCALE / lang / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, forms in _po_entries(folder / "django.po").items():
        if "\x04" in msgid:
            context, text = msgid.split("\x04")
            assert compiled.pgettext(context, text) == forms[0], f"recompile {folder}/django.mo: {msgid!r}"
        elif len(forms) == 1:
            assert compiled.gettext(msgid) == forms[0], f"recompile {folder}/django.mo (msgfmt): {msgid!r}"
        else:
            assert compiled.ngettext(msgid, msgid + "s", 1) == forms[0], msgid


def test_placeholders_survive_translation():
    for lang in ("ru", "uz"):
        for msgid, forms in _po_entries(LOCALE / lang / "LC_MESSAGES" / "django.po").items():
            wanted = set(re.findall(r"%\(\w+\)[sd]|\{\w+(?::\w+)?\}", msgid))
            for form in forms:
                assert set(re.findall(r"%\(\w+\)[sd]|\{\w+(?::\w+)?\}", form)) == wanted, (lang, msgid, form)


# --- messages are translated per request, never at import ----------------------------------------

ROLE_REFUSAL = {
    "ru": "Ваша роль не позволяет выполнить это действие.",
    "uz": "Sizning rolingiz bu amalni bajarishga ruxsat bermaydi.",
    "en": "Your role does not allow this action.",
}
EAGER_GETTEXT = {"gettext", "ngettext", "pgettext", "npgettext"}
# Modules whose module-level texts are messages (refusals, validation errors) rather than codes.
MESSAGE_MODULES = {"services", "validators", "permissions", "exceptions", "errors", "conventions", "transitions"}


@pytest.mark.parametrize("lang", ["ru", "uz", "en"])
def test_a_role_refusal_speaks_the_request_language(cashier, lang):
    response = cashier.client.get("/api/analytics/daily-sales/", **_lang_headers(lang))
    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": ROLE_REFUSAL[lang]}


def test_role_refusals_alternate_languages_request_by_request(cashier):
    for lang in ["en", "uz", "ru", "en"]:
        response = cashier.client.get("/api/users/staff/", **_lang_headers(lang))
        assert response.json()["message"] == ROLE_REFUSAL[lang]


def _import_time_calls(tree: ast.AST, eager: set[str]):
    """Calls of eager gettext functions that run when the module is imported: at module level, in
    class bodies, default argument values and decorators (not inside function bodies)."""

    def called_name(call: ast.Call) -> str | None:
        func = call.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "translation":
            return func.attr if func.attr in EAGER_GETTEXT else None
        return None

    def visit(node: ast.AST):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for part in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                if part is not None:
                    yield from visit(part)
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Call) and (called_name(node) in eager or called_name(node) in EAGER_GETTEXT):
            yield node
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(tree)


def _eager_aliases(tree: ast.AST) -> set[str]:
    """The names a module binds to eager gettext functions (`from ... import gettext as _`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {alias.asname or alias.name for alias in node.names if alias.name in EAGER_GETTEXT}
    return names


def test_no_message_is_translated_at_import():
    """A text translated when its module is imported is frozen in the language active then (Russian):
    every message a class or module holds must be lazy (`gettext_lazy`)."""
    found = []
    for path in sorted(SAVDO.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        eager = _eager_aliases(tree)
        if not eager:
            continue
        for call in _import_time_calls(tree, eager):
            found.append(f"{path.relative_to(SAVDO.parent)}:{call.lineno}: {ast.unparse(call)}")
    assert not found, "translate per request (gettext_lazy, or gettext inside the function):\n" + "\n".join(found)


def _savdo_modules():
    import importlib
    import pkgutil

    import savdo

    for info in pkgutil.walk_packages(savdo.__path__, "savdo."):
        if ".migrations" in info.name or info.name.startswith(("savdo.demo", "savdo.cli")):
            continue
        yield importlib.import_module(info.name)


def _message_sources():
    """(where, value) of every message a module or class holds: permission refusals (`message`),
    exceptions' `default_detail`, validators' `message`, fields' `default_error_messages`, and the
    module-level texts of services, validators and conventions modules."""
    import inspect

    from django.utils.functional import Promise

    for module in _savdo_modules():
        kind = module.__name__.rsplit(".", 1)[-1]
        for name, value in vars(module).items():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                for attribute in ("message", "default_detail"):
                    held = value.__dict__.get(attribute)
                    if isinstance(held, str | Promise):
                        yield f"{module.__name__}.{name}.{attribute}", held
                for code, held in (value.__dict__.get("default_error_messages") or {}).items():
                    yield f"{module.__name__}.{name}.default_error_messages[{code}]", held
            elif (kind in MESSAGE_MODULES and isinstance(value, Promise) and not name.startswith("__")) or (
                kind in MESSAGE_MODULES and isinstance(value, str) and name.startswith(("MSG_", "MESSAGE"))
            ):
                yield f"{module.__name__}.{name}", value


def _ru_translations() -> set[str]:
    from django.utils.translation import trans_real

    catalog = trans_real.translation("ru")._catalog
    return {text for msgid, text in catalog.items() if isinstance(text, str) and text != msgid}


def test_message_sources_are_translated_per_request():
    """Walk the message sources and render each under `en` and `uz` in turn: a lazy message follows
    the active language; a plain text must not be a translation frozen at import."""
    from django.utils import translation
    from django.utils.functional import Promise

    frozen = _ru_translations()
    sources = list(_message_sources())
    assert len(sources) > 20  # the walk finds the permission, the exceptions, the validators...
    wrong = []
    for where, value in sources:
        if not isinstance(value, Promise):
            if value in frozen:
                wrong.append(f"{where}: translated at import: {value!r}")
            continue
        msgid = value._args[0]
        for lang in ("en", "uz"):
            with translation.override(lang):
                expected = translation.gettext(msgid) if len(value._args) == 1 else None
                rendered = str(value)
            if expected is not None and rendered != expected:
                wrong.append(f"{where}: under {lang} renders {rendered!r}, not {expected!r}")
    assert not wrong, "\n".join(wrong)


def test_the_role_refusal_is_a_lazy_message_in_every_catalog():
    from django.utils import translation
    from django.utils.functional import Promise

    from savdo.tenancy.permissions import HasTenantRole

    assert isinstance(HasTenantRole.message, Promise)
    for lang, text in ROLE_REFUSAL.items():
        with translation.override(lang):
            assert str(HasTenantRole.message) == text
