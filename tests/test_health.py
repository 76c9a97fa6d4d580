def test_healthz(anon):
    response = anon.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database(anon):
    response = anon.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_schema_and_docs_render_offline(anon):
    assert anon.get("/api/schema/").status_code == 200
    swagger = anon.get("/swagger/")
    assert swagger.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in swagger.content
    assert anon.get("/redoc/").status_code == 200
    assert anon.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
