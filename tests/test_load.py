"""Counter staff reading and writing at once, against gunicorn with two workers: no error
answers, and every acknowledged write is in the database exactly once (bench/load.py; the
figures for a long run at 100,000 cases are in bench/README.md)."""

import shutil
import sys
from pathlib import Path

import pytest

from tests.browser import PASSWORD, live_server
from tests.conftest import TMP, own_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from load import run_load  # noqa: E402


@pytest.fixture(scope="module")
def load_server(migrated):
    with own_database("load.db") as url, live_server(url, TMP / "load-instance") as base_url:
        yield base_url, url


def test_mixed_reads_and_writes_lose_nothing(load_server):
    assert shutil.which("wrk"), "wrk is installed by `python3 scripts/dev.py test` (apt-get install wrk)"
    base_url, database_url = load_server

    report = run_load(base_url, database_url, "counter", PASSWORD, duration=4, connections=6)

    assert report.problems == [], "\n".join(report.lines())
    assert report.writers.non_2xx_3xx == 0 and report.readers.non_2xx_3xx == 0
    assert report.writers.socket_errors == 0 and report.readers.socket_errors == 0
    assert len(report.acknowledged_created) >= 5 and report.acknowledged_consultations >= 5
    assert report.readers.requests >= 10
    assert report.created_ids_missing == [] and report.created_ids_doubled == []
    assert report.audit_entries_for_created == report.cases_in_database
    assert report.indicator_growth == report.cases_in_database
