"""The API docs pages (/redoc/, /swagger/) load everything from this server: no web fonts, scripts,
styles or badges from another host (issue 25: ReDoc asked fonts.googleapis.com for its fonts)."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

PAGES = ["/redoc/", "/redoc", "/swagger/", "/swagger"]
# Any absolute or protocol-relative URL in markup, scripts or styles.
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)]*""")
ATTRIBUTE_URL = re.compile(r"""\b(?:src|href|spec-url|action)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""")
FONT_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net", "unpkg.com")
# Namespace and schema identifiers inside scripts and SVG: names, never fetched.
IDENTIFIERS = ("//www.w3.org/",)


def outside(url: str) -> bool:
    """Whether `url` points at another host than the page's (testserver)."""
    parts = urlsplit(url)
    return bool(parts.netloc) and parts.netloc != "testserver"


@pytest.fixture
def browser():
    return Client()


def page_text(browser, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_the_page_names_no_other_host(browser, path):
    html = page_text(browser, path)
    foreign = [url for url in ABSOLUTE_URL.findall(html) if not url.startswith(IDENTIFIERS)]
    assert foreign == [], f"{path} references another host: {foreign}"
    for attribute in ATTRIBUTE_URL.findall(html):
        assert not outside(urljoin(f"http://testserver{path}", attribute)), (path, attribute)


@pytest.mark.parametrize("path", ["/redoc/", "/swagger/"])
def test_every_asset_the_page_loads_is_served_here(browser, path):
    html = page_text(browser, path)
    assets = [url for url in ATTRIBUTE_URL.findall(html) if url.startswith("/static/")]
    assert assets, "the page loads its bundles from /static/"
    for asset in assets:
        response = browser.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        for host in FONT_HOSTS:
            assert host not in text, (asset, host)
        if asset.endswith(".css"):
            for match in CSS_URL.finditer(text):
                reference = match.group(1) or match.group(2)
                if reference.startswith("data:"):
                    continue
                assert not outside(urljoin(f"http://testserver{asset}", reference)), (asset, reference)


def test_redoc_uses_the_system_fonts(browser):
    html = page_text(browser, "/redoc/")
    assert "fonts.googleapis.com" not in html
    assert '"fontFamily": "-apple-system' in html
    assert 'Redoc.init("/api/schema"' in html


def test_swagger_shows_no_online_validator_badge(browser):
    html = page_text(browser, "/swagger/")
    assert '"validatorUrl": null' in html
    assert "validator.swagger.io" not in html


def test_the_schema_the_pages_read_is_served_here(browser):
    response = browser.get("/api/schema")
    assert response.status_code == 200
