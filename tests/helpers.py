# The one helpers module of the test suite (every subfolder imports it as `helpers`; pytest puts
# tests/ on sys.path).
#
# Core helpers (runtime, netpoller, fd layer, net): a park/ready event, a goroutine-with-result, a
# bounded poll for "goroutine X is parked on Y", and connected pairs. They are built directly on
# the runtime's park/ready so that the core tests do not depend on gonet's channel/sync layers.
# Every goroutine started through `spawn` or `Task` catches what it raises (an escaping exception
# would be a panic that ends the pytest process).
#
# Toolkit helpers (channels, select, sync, time, context, io): goroutines are driven
# deterministically: a goroutine started with go() runs when the test body yields, and settle()
# yields until nothing else is runnable, so "X is blocked" is checked from its wait reason, never
# by sleeping. Chunks and Sink are io/bufio fakes.
from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import gonet
from gonet import net
from gonet.runtime import _proc

ROOT = Path(__file__).resolve().parent.parent
# Subprocesses import the very gonet this process runs (the source tree, an installed or a
# compiled build), whatever PYTHONPATH pointed at.
SRC = Path(gonet.__file__).resolve().parent.parent
SUB_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(SRC)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    ),
}
SUB_ENV.pop("GONET_TRACEBACK", None)


# For tests that assert the scheduler's deterministic run-queue order, which the seeded shuffle
# mode (GONET_SCHED_SEED) deliberately perturbs.
fixed_order = pytest.mark.skipif(
    bool(os.environ.get("GONET_SCHED_SEED", "").strip()),
    reason="asserts run-queue order; GONET_SCHED_SEED shuffles it",
)


def sched() -> _proc.Scheduler:
    return _proc.current()


class Event:
    """A one-shot event that goroutines wait on by parking (reason "test event")."""

    def __init__(self) -> None:
        self.flag = False
        self.waiters: list[_proc.G] = []

    def set(self) -> None:
        self.flag = True
        s = sched()
        waiters, self.waiters = self.waiters, []
        for g in waiters:
            s.ready(g, True)

    def wait(self, timeout: float | None = None) -> bool:
        """Park until set() or timeout seconds; return whether the event is set."""
        if self.flag:
            return True
        s = sched()
        g = s.running()
        self.waiters.append(g)
        timer = None
        if timeout is not None:
            timer = s.timers.new(lambda g: s.ready(g, False), g)
            timer.reset(s.clock() + timeout)
        try:
            s.park("test event", self)
        finally:
            if timer is not None:
                timer.stop()
            if g in self.waiters:
                self.waiters.remove(g)
        return self.flag


class Future:
    """The outcome of a goroutine started by spawn()."""

    def __init__(self) -> None:
        self.done = Event()
        self.value: Any = None
        self.exc: BaseException | None = None
        self.g: _proc.G | None = None

    def result(self, timeout: float = 20.0) -> Any:
        """Wait for the goroutine; return its value or re-raise its exception."""
        assert self.done.wait(timeout), f"goroutine {self.g} did not finish within {timeout}s"
        if self.exc is not None:
            raise self.exc
        return self.value

    def exception(self, timeout: float = 20.0) -> BaseException | None:
        """Wait for the goroutine and return what it raised (None if it returned)."""
        assert self.done.wait(timeout), f"goroutine {self.g} did not finish within {timeout}s"
        return self.exc


def spawn(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """Start fn in a goroutine that records its result or exception instead of panicking."""
    fut = Future()

    def body() -> None:
        try:
            fut.value = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - recorded for the test to inspect
            fut.exc = e
        fut.done.set()

    fut.g = gonet.go(body)
    return fut


def wait_until(pred: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll pred (parking main between polls) until it holds; fail after timeout seconds.

    Used only to observe a goroutine's scheduling state (e.g. "parked in IO wait"), which no
    event reports.
    """
    deadline = gonet.now() + timeout
    while not pred():
        assert gonet.now() < deadline, f"condition not reached within {timeout}s: {what or pred}"
        gonet.sleep(0.0005)


def parked(fut: Future, reason: str) -> Callable[[], bool]:
    """Return a predicate: fut's goroutine is parked with wait reason `reason`."""

    def pred() -> bool:
        g = fut.g
        assert g is not None
        return g.status == _proc.WAITING and g.waitreason == reason

    return pred


@contextmanager
def tcp_pair(network: str = "tcp", host: str = "127.0.0.1") -> Iterator[tuple[Any, Any]]:
    """Yield (client, server) TCP conns connected over loopback; closes them afterwards."""
    ln = net.listen(network, f"{host}:0" if ":" not in host else f"[{host}]:0")
    try:
        c = net.dial(network, str(ln.addr()))
        s = ln.accept()
    finally:
        ln.close()
    try:
        yield c, s
    finally:
        for conn in (c, s):
            if not conn.closed:
                conn.close()


@contextmanager
def unix_pair(network: str = "unix") -> Iterator[tuple[Any, Any]]:
    """Yield (client, server) conns over an abstract Unix socket; closes them afterwards."""
    name = f"@gonet-test-{os.getpid()}-{next(_names)}"
    ln = net.listen(network, name)
    try:
        c = net.dial(network, name)
        s = ln.accept()
    finally:
        ln.close()
    try:
        yield c, s
    finally:
        for conn in (c, s):
            if not conn.closed:
                conn.close()


def _counter() -> Iterator[int]:
    i = 0
    while True:
        i += 1
        yield i


_names = _counter()


def run_script(code: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter with gonet importable; return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=SUB_ENV,
        cwd=str(ROOT),
    )


def held_closed_port() -> tuple[socket.socket, int]:
    """Return a bound (not listening) socket and its port: connecting to it is refused."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def ipv6_loopback() -> bool:
    """Whether ::1 is usable here."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@contextmanager
def blackhole(family: int = socket.AF_INET, host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """A listener whose accept queue is full: further connects hang (SYNs are dropped)."""
    ln = socket.socket(family, socket.SOCK_STREAM)
    fillers = []
    try:
        ln.bind((host, port))
        ln.listen(0)
        for _ in range(2):
            f = socket.socket(family, socket.SOCK_STREAM)
            f.setblocking(False)
            f.connect_ex(ln.getsockname()[:2])
            fillers.append(f)
        time.sleep(0.05)  # let the kernel queue the fillers' handshakes (setup, not an assertion)
        yield ln.getsockname()[1]
    finally:
        for f in fillers:
            f.close()
        ln.close()


# A fresh interpreter echoes one message over TCP and prints which build it ran (last line, JSON).
ECHO_PROBE = """
import gonet, gonet.net, gonet.http, gonet._accel as a, json
ln = gonet.net.listen("tcp", "127.0.0.1:0")
def echo():
    c = ln.accept()
    c.write(c.recv(100))
    c.close()
gonet.go(echo)
with gonet.net.dial("tcp", str(ln.addr())) as c:
    c.write(b"ping")
    assert c.recv(100) == b"ping"
ln.close()
print(json.dumps({"file": gonet.__file__, "compiled": a.compiled(), "version": gonet.__version__}))
"""


# -- toolkit: deterministic goroutines ------------------------------------------------------------


def settle() -> None:
    """Yield until every other goroutine of this thread is parked or finished."""
    s = _proc.current()
    while s.runq:
        gonet.gosched()


class Task:
    """A goroutine whose result or exception is recorded (an escaping one would be a panic)."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self.finished = False
        self.result: Any = None
        self.exc: BaseException | None = None
        self.g = gonet.go(self._run, fn, args)

    def _run(self, fn: Any, args: tuple[Any, ...]) -> None:
        try:
            self.result = fn(*args)
        except BaseException as e:  # noqa: BLE001 - inspected by the test
            self.exc = e
        finally:
            self.finished = True

    def reason(self) -> str:
        """Return the wait reason of the (still parked) goroutine."""
        assert not self.finished, "goroutine already finished"
        assert self.g.status == _proc.WAITING
        return self.g.waitreason


@pytest.fixture
def no_timer_left() -> Iterator[None]:
    """Fail a test that leaves a timer armed (it would delay later deadlock verdicts)."""
    timers = _proc.current().timers
    base = timers.active
    yield
    assert timers.active == base, "test left a timer armed"


# -- io/bufio fakes -----------------------------------------------------------------------------


class Chunks:
    """A Reader that returns the given chunks one per read (split to fit), then EOF."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)
        self.reads = 0

    def read(self, buf: Any) -> int:
        self.reads += 1
        if not self.chunks:
            return 0
        c = self.chunks[0]
        n = min(len(c), len(buf))
        buf[:n] = c[:n]
        if n == len(c):
            self.chunks.pop(0)
        else:
            self.chunks[0] = c[n:]
        return n


class Sink:
    """A Writer that records what it was given, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: Any) -> int:
        self.writes.append(bytes(data))
        return len(self.writes[-1])

    def value(self) -> bytes:
        return b"".join(self.writes)


# -- TLS certificates ---------------------------------------------------------------------------


def _make_cert_cryptography(d: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return d / "cert.pem", d / "key.pem"


def _make_cert_openssl(d: Path) -> tuple[Path, Path]:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return d / "cert.pem", d / "key.pem"


def make_cert(d: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for localhost / 127.0.0.1 and its key into d.

    Uses the cryptography package, else the openssl command; skips the test if neither exists.
    """
    try:
        return _make_cert_cryptography(d)
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl command is available")
        return _make_cert_openssl(d)
