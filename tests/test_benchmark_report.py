"""The benchmark report says, under the table, why a missed target was missed and what would fix it."""

from argparse import Namespace

from benchmarks.run import Measurement, Result, report


def _result(group: str, rps: float, floor: float, if_missed: str = "") -> Result:
    measured = Measurement(rps=rps, p50_ms=1, p95_ms=2, sql_q=7, sql_ms=1, bad=0, socket_errors=0)
    base = Measurement(rps=floor, p50_ms=0.2, p95_ms=0.5, sql_q=0, sql_ms=0, bad=0, socket_errors=0)
    return Result("flow", group, 8, rounds=[measured], floor=[base], if_missed=if_missed)


def test_missed_rows_are_explained_and_met_ones_are_not():
    args = Namespace(workers=2, threads=4, rounds=1, duration=1, no_response_cache=False, server="front")
    results = [
        _result("cashier", 300, 4000, if_missed="CPU-bound; fewer round trips would fix it"),
        _result("cashier", 500, 4000, if_missed="never printed: this row meets its target"),
        _result("customers", 100, 4000),
    ]
    text = report(results, args, 60, [])
    assert "| cashier | flow | 8 | 300 | 4000 | 7.5% | 10% MISSED |" in text
    assert "- cashier / flow (c=8): CPU-bound; fewer round trips would fix it" in text
    assert "never printed" not in text
    assert "- customers / flow (c=8): no explanation recorded for this scenario" in text
