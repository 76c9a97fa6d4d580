"""PostgreSQL only: a trigram GIN index for substring search on `Chat.search_text`.

`chat_search` filters with `search_text LIKE '%word%'`; pg_trgm's GIN index serves that (the
extension is created by customers' 0002). SQLite has no such index type: there the operation does
nothing and search scans the store's chats.
"""

from django.db import migrations

INDEX = "messaging_chat_search_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON messaging_chat USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial"), ("customers", "0002_search_trigram_index")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False)]
