"""psycopg 3 and pg8000 against PostgreSQL through patched sockets and select."""

from __future__ import annotations

import pytest
from interop_helpers import concurrently, require

DSN = "host=127.0.0.1 dbname=test user=postgres"


@pytest.fixture
def psycopg_conns():
    require("postgres")
    import psycopg

    conns = [psycopg.connect(DSN, autocommit=True) for _ in range(50)]
    yield conns
    for c in conns:
        c.close()


def test_psycopg_50_pg_sleeps_overlap(psycopg_conns):
    took, ticks, _ = concurrently(50, lambda i: psycopg_conns[i].execute("SELECT pg_sleep(0.2)").fetchone())
    assert took < 1.0, f"50 pg_sleep(0.2) took {took:.2f} s"
    assert ticks >= 10


def test_psycopg_transaction_copy_and_server_side_cursor():
    require("postgres")
    import psycopg

    with psycopg.connect(DSN) as c:
        c.execute("CREATE TEMP TABLE t (n int, s text)")
        with c.cursor().copy("COPY t (n, s) FROM STDIN") as cp:
            for i in range(1000):
                cp.write_row((i, f"row{i}"))
        c.commit()
        with c.transaction():
            c.execute("DELETE FROM t WHERE n >= 500")
        with c.cursor(name="ss") as cur:
            cur.execute("SELECT n FROM t ORDER BY n")
            assert [r[0] for r in cur.fetchmany(3)] == [0, 1, 2]
            assert len(cur.fetchall()) == 497
        with pytest.raises(psycopg.errors.DivisionByZero, match="division by zero"):  # noqa: SIM117
            with c.transaction():
                c.execute("SELECT 1/0")


def test_psycopg_statement_timeout_cancels_a_query():
    require("postgres")
    import psycopg

    with (
        psycopg.connect(DSN, options="-c statement_timeout=100") as c,
        pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"),
    ):
        c.execute("SELECT pg_sleep(5)")


def test_pg8000_50_pg_sleeps_overlap():
    require("postgres")
    import pg8000.native

    conns = [pg8000.native.Connection("postgres", host="127.0.0.1", database="test") for _ in range(50)]
    try:
        took, _, results = concurrently(50, lambda i: conns[i].run("SELECT pg_sleep(0.2), 42"))
        assert took < 1.0, f"50 pg_sleep(0.2) took {took:.2f} s"
        assert results[0][0][1] == 42
    finally:
        for c in conns:
            c.close()
