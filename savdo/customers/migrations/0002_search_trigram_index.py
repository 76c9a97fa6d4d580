"""PostgreSQL only: a trigram GIN index for substring search on `Customer.search_text`.

`customer_search` filters with `search_text LIKE '%word%'`; pg_trgm's GIN index serves that (and
`ILIKE`). SQLite has no such index type: there the operation does nothing and search scans the
tenant's rows. Exact phone lookups use the B-tree unique index `customer_tenant_phone_uniq`.
"""

from django.db import migrations

INDEX = "customer_search_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False)]
