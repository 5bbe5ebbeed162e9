"""Each web and worker process keeps its database connection between requests, on both
engines: opening one (with SQLite's PRAGMAs) per request cost a signed-in page more
than the page's own queries."""

from __future__ import annotations

from keepwarm.settings import _database


def test_sqlite_keeps_its_connection_between_requests_and_checks_it_first() -> None:
    config = _database("sqlite:////tmp/keepwarm-test.sqlite3")
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    # Still WAL, and writers still queue at BEGIN.
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgresql_keeps_its_connection_between_requests_and_checks_it_first() -> None:
    config = _database("postgres://keepwarm@127.0.0.1:5432/keepwarm")
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
