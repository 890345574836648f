"""CPython's own test_socket cases, run against gonet.socket (patched in) from a goroutine.

The server side of each threaded case runs in the test's goroutine (goroutine mode: waits park
on the netpoller); the client side runs in the suite's plain thread (thread mode: poll(2)).
The cases that differ are listed with the reason; the test fails if any other case fails, or if
a listed case starts passing.
"""

from __future__ import annotations

import unittest

import pytest

from gonet import patch

ts = pytest.importorskip("test.test_socket", reason="the interpreter ships without its test package")

CLASSES = [
    "GeneralModuleTests",
    "BasicTCPTest",
    "BasicTCPTest2",
    "BasicUDPTest",
    "BasicSocketPairTest",
    "SocketPairTest",
    "NonBlockingTCPTests",
    "FileObjectClassTestCase",
    "UnbufferedFileObjectClassTestCase",
    "NetworkConnectionNoServer",
    "NetworkConnectionAttributesTest",
    "NetworkConnectionBehaviourTest",
    "TCPTimeoutTest",
    "UDPTimeoutTest",
    "TCPCloserTest",
    "ContextManagersTest",
    "InheritanceTest",
    "NonblockConstantTest",
    "SendfileUsingSendTest",
    "SendfileUsingSendfileTest",
]

# test id -> why gonet.socket differs
DIFFERENCES = {
    # The OS socket is always O_NONBLOCK (timeouts live in the object): these read the fd flag.
    "test.test_socket.NonBlockingTCPTests.testSetBlocking": "the fd is always O_NONBLOCK",
    "test.test_socket.NonBlockingTCPTests.testSetBlocking_overflow": "the fd is always O_NONBLOCK",
    "test.test_socket.NonblockConstantTest.test_SOCK_NONBLOCK": "the fd is always O_NONBLOCK",
    # create_connection is bound to gonet's socket class, so mocking socket.socket does not
    # reach it (the case replaces socket.socket with a class whose connect times out).
    "test.test_socket.NetworkConnectionNoServer.test_create_connection_timeout": "socket.socket mock not used",
}


@pytest.mark.timeout(300)
@pytest.mark.main_goroutine  # some cases raise from signal handlers, which run in main
def test_cpython_test_socket_cases_pass_except_the_listed_differences():
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    with patch.patched("socket"):
        for name in CLASSES:
            suite.addTests(loader.loadTestsFromTestCase(getattr(ts, name)))
        result = unittest.TestResult()
        suite.run(result)
    failed = {t.id(): text.strip().splitlines()[-1] for t, text in result.failures + result.errors}
    assert result.testsRun > 150
    unexpected = {k: v for k, v in failed.items() if k not in DIFFERENCES}
    assert unexpected == {}
    assert set(failed) == set(DIFFERENCES)
