"""PyMySQL against MariaDB through patched sockets."""

from __future__ import annotations

from interop_helpers import concurrently, require


def test_pymysql_50_sleeps_overlap():
    require("mariadb")
    import pymysql

    conns = [pymysql.connect(host="127.0.0.1", user="root", database="test") for _ in range(50)]
    try:

        def q(i: int):
            with conns[i].cursor() as cur:
                cur.execute("SELECT SLEEP(0.2), %s", (i,))
                return cur.fetchone()

        took, ticks, results = concurrently(50, q)
        assert took < 1.0, f"50 SLEEP(0.2) took {took:.2f} s"
        assert results[7] == (0, 7)
        assert ticks >= 10
    finally:
        for c in conns:
            c.close()
