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
            first = node.args[0]
            if called in GETTEXT_NAMES and isinstance(first, ast.Constant) and isinstance(first.value, str):
                msgids.add(first.value)
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
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            forms = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
            entries[fields["msgid"]] = forms
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
        if len(forms) == 1:
            assert compiled.gettext(msgid) == forms[0], f"recompile {folder}/django.mo (msgfmt): {msgid!r}"
        else:
            assert compiled.ngettext(msgid, msgid + "s", 1) == forms[0], msgid


def test_placeholders_survive_translation():
    for lang in ("ru", "uz"):
        for msgid, forms in _po_entries(LOCALE / lang / "LC_MESSAGES" / "django.po").items():
            wanted = set(re.findall(r"%\(\w+\)[sd]|\{\w+(?::\w+)?\}", msgid))
            for form in forms:
                assert set(re.findall(r"%\(\w+\)[sd]|\{\w+(?::\w+)?\}", form)) == wanted, (lang, msgid, form)
