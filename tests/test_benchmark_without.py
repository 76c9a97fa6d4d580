"""`--without`: a benchmark run with fast paths switched off, named in its environment, its results
file and its report (benchmarks/run.py)."""

import argparse
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

import savdo.settings
from benchmarks.run import (
    FAST_PATHS,
    Measurement,
    Result,
    add_without_option,
    report,
    resolve_without,
    without_env,
    without_suffix,
)

ROOT = Path(__file__).resolve().parent.parent


def _parsed(*argv: str) -> Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-response-cache", action="store_true")
    parser.add_argument("--no-rls", action="store_true")
    add_without_option(parser)
    args = parser.parse_args(argv)
    resolve_without(args)
    return args


def test_each_name_switches_off_a_setting_savdo_reads():
    source = Path(savdo.settings.__file__).read_text()
    for name, env in FAST_PATHS.items():
        assert env and all(value == "0" for value in env.values()), name
        assert all(f'"{variable}"' in source for variable in env), name


def test_names_map_to_the_servers_environment_in_one_order():
    args = _parsed("--without", "plain,fixed", "--without", "batching,fixed")
    assert args.without == ["fixed", "batching", "plain"]
    assert without_env(args.without) == {
        "SAVDO_FIXED_QUERIES": "0",
        "SAVDO_BATCHED_COMMIT": "0",
        "SAVDO_PLAIN_INPUTS": "0",
    }
    assert without_suffix(args.without) == "-without-fixed+batching+plain"
    assert without_env(_parsed("--without", "pg-backend,").without) == {"SAVDO_PG_BACKEND": "0"}


def test_the_older_flags_are_names_too():
    args = _parsed("--no-response-cache", "--no-rls")
    assert args.without == ["readcache", "rls"]
    assert without_env(args.without) == {"SAVDO_RESPONSE_CACHE": "0", "SAVDO_RLS": "0"}
    args = _parsed("--without", "rls,counts")
    assert (args.no_rls, args.no_response_cache) == (True, False)
    assert without_env(args.without) == {"SAVDO_CACHED_COUNTS": "0", "SAVDO_RLS": "0"}


def test_nothing_off_is_the_plain_run():
    args = _parsed()
    assert (args.without, without_env(args.without), without_suffix(args.without)) == ([], {}, "")


@pytest.mark.parametrize("value", ["fixd", "fixed,plian", ""])
def test_unknown_names_are_refused(value, capsys):
    with pytest.raises(SystemExit):
        _parsed("--without", value)
    assert "known: fixed, batching" in capsys.readouterr().err


def test_the_report_header_names_what_was_off():
    measured = Measurement(rps=500, p50_ms=1, p95_ms=2, sql_q=7, sql_ms=1, bad=0, socket_errors=0)
    floor = Measurement(rps=4000, p50_ms=0.2, p95_ms=0.5, sql_q=0, sql_ms=0, bad=0, socket_errors=0)
    results = [Result("flow", "cashier", 8, rounds=[measured], floor=[floor])]
    base = {"workers": 2, "threads": 4, "rounds": 1, "duration": 1, "server": "front"}
    args = _parsed("--without", "fixed,readcache")
    text = report(results, Namespace(**base, **vars(args)), 60, [])
    assert "response cache OFF, row-level security on, fast paths OFF: fixed, readcache." in text
    text = report(results, Namespace(**base, **vars(_parsed())), 60, [])
    assert "response cache on, row-level security on, every fast path on." in text


def test_run_help_lists_the_names():
    shown = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "--without NAME[,NAME...]" in shown and "pg-backend" in shown


def test_the_in_process_comparison_covers_every_fast_path_module():
    """benchmarks/fastpaths.py sets each fast path beside the same flow without it: every switch
    but the second lock (rls) has a comparison, and each comparison turns off a real switch."""
    from benchmarks.fastpaths import COMPARISONS, _env_for

    switch = {name: name.removesuffix("-list").removesuffix("-report") for name in COMPARISONS}
    assert set(switch.values()) == set(FAST_PATHS) - {"rls"}
    for name, (flow, both_off) in COMPARISONS.items():
        assert flow in ("till", "list", "report"), name
        assert _env_for([name]) and set(_env_for([name])) <= set().union(*FAST_PATHS.values())
        assert switch[name] not in both_off
