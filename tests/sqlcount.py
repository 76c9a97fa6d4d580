"""What a request or a call ran, less the statements that come with every one of them."""


def work(captured) -> list[str]:
    """The SQL of `captured` (a `CaptureQueriesContext`'s queries) without the row-level security
    binding (`set_config`, savdo/core/rls.py) and the data versions read or written around the work
    (`core_dataversion`, savdo/core/versions.py)."""
    return [q["sql"] for q in captured if "set_config(" not in q["sql"] and "core_dataversion" not in q["sql"]]
