# gonet.patch: explicit, opt-in replacement of stdlib module attributes so that libraries written
# for blocking sockets park only the calling goroutine (no Go counterpart; gevent's monkey).
#
# Nothing is patched on import. Each switch replaces module attributes — never C types — with
# gonet's versions, which behave exactly as the originals in a plain thread:
#   socket()  socket.socket/socketpair/fromfd/create_connection/create_server (SocketType stays
#             the C type, as in the stdlib)
#   ssl()     ssl.SSLContext/create_default_context (and socket()); ssl.SSLSocket stays the
#             stdlib class (gonet.ssl.SSLSocket subclasses it; contexts choose the class)
#   dns()     socket.getaddrinfo/gethostbyname[_ex]/gethostbyaddr/getnameinfo/getfqdn
#   select()  select.select/poll/epoll, selectors.DefaultSelector (= EpollSelector over them)
#   time()    time.sleep
#   subprocess()  subprocess's waits (gonet.exec's patch)
# Patching must come before the libraries are imported: a module that did `from socket import
# socket` keeps the original. Such late patching warns, naming the modules that hold originals.
#
# Invariants: each switch is idempotent; unpatch() restores exactly the objects replaced;
# is_patched(name) is true between a switch and its unpatch.
from __future__ import annotations

import contextlib
import os
import selectors as _selectors
import socket as _socket
import ssl as _ssl
import sys
import time as _time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import gonet.net  # noqa: F401 - its modules bind the stdlib originals at import: before any patch
from gonet import socket as _gsocket
from gonet import ssl as _gssl
from gonet.patch import _select, _time_patch

__all__ = [
    "all",
    "socket",
    "ssl",
    "dns",
    "select",
    "time",
    "subprocess",
    "is_patched",
    "unpatch",
    "patched",
    "LatePatchWarning",
    "NAMES",
]

NAMES = ("socket", "ssl", "dns", "select", "time", "subprocess")


class LatePatchWarning(RuntimeWarning):
    """A patch came after modules had already bound the original objects."""


class EpollSelector(_selectors.EpollSelector):
    """selectors.EpollSelector over gonet.patch's epoll (the stdlib class binds select.epoll)."""

    __module__ = "gonet.patch"

    def __init__(self) -> None:
        super().__init__()
        self._selector.close()
        self._selector: Any = _select.epoll()


# name -> list of (module, attribute, original)
_saved: dict[str, list[tuple[Any, str, Any]]] = {}


def _targets(name: str) -> list[tuple[Any, str, Any]]:
    if name == "socket":
        return [
            (_socket, "socket", _gsocket.socket),
            (_socket, "socketpair", _gsocket.socketpair),
            (_socket, "fromfd", _gsocket.fromfd),
            (_socket, "create_connection", _gsocket.create_connection),
            (_socket, "create_server", _gsocket.create_server),
        ]
    if name == "ssl":
        # The stdlib class's own properties too: a library that bound ssl.SSLContext before the
        # patch still makes stdlib contexts, whose setters must not reach gonet's class.
        std = _gssl.ORIGINAL_SSLCONTEXT
        return [
            (_ssl, "SSLContext", _gssl.SSLContext),
            (_ssl, "create_default_context", _gssl.create_default_context),
            *[(std, n, p) for n, p in _gssl.pinned_properties(std)],
        ]
    if name == "dns":
        return [
            (_socket, n, getattr(_gsocket, n))
            for n in (
                "getaddrinfo",
                "gethostbyname",
                "gethostbyname_ex",
                "gethostbyaddr",
                "getnameinfo",
                "getfqdn",
            )
        ]
    if name == "select":
        import select as _sel

        return [
            (_sel, "select", _select.select),
            (_sel, "poll", _select.poll),
            (_sel, "epoll", _select.epoll),
            (_selectors, "DefaultSelector", EpollSelector),
        ]
    if name == "time":
        return [(_time, "sleep", _time_patch.sleep)]
    raise ValueError(f"gonet.patch: unknown patch {name!r} (known: {', '.join(NAMES)})")


def _holders(originals: dict[int, str]) -> list[str]:
    """Name the modules (outside the stdlib module patched and gonet) bound to an original."""
    found: list[str] = []
    for modname, mod in list(sys.modules.items()):
        if mod is None or modname in ("socket", "ssl", "select", "selectors", "time", "subprocess"):
            continue
        if modname == "gonet" or modname.startswith(("gonet.", "_")):
            continue
        try:
            items = list(vars(mod).items())
        except TypeError:
            continue
        for attr, value in items:
            what = originals.get(id(value))
            if what is not None:
                found.append(f"{modname}.{attr} ({what})")
    return sorted(found)


def _caller_level() -> int:
    # The warning points at the first frame outside gonet.patch (the user's patch call).
    f = sys._getframe(1)
    level = 1
    while f is not None and f.f_globals.get("__name__") == __name__:
        f = f.f_back  # type: ignore[assignment]
        level += 1
    return level


def _apply(name: str) -> list[str]:
    if name in _saved:
        return []
    targets = _targets(name)
    originals = {id(getattr(m, a)): f"{m.__name__}.{a}" for m, a, n in targets if getattr(m, a) is not n}
    holders = _holders(originals)
    saved = []
    for mod, attr, new in targets:
        saved.append((mod, attr, getattr(mod, attr)))
        setattr(mod, attr, new)
    _saved[name] = saved
    if holders:
        warnings.warn(
            f"gonet.patch.{name}() came after these modules bound the originals, which will still "
            f"block the whole thread: {', '.join(holders)}. Patch before importing them.",
            LatePatchWarning,
            stacklevel=_caller_level(),
        )
    return [f"{m.__name__}.{a}" for m, a, _ in targets]


def socket() -> list[str]:
    """Make socket.socket and its factories gonet's; return the attributes replaced."""
    return _apply("socket")


def ssl() -> list[str]:
    """Make ssl's SSLContext/SSLSocket gonet's (and socket's); return the attributes replaced."""
    return socket() + _apply("ssl")


def dns() -> list[str]:
    """Make socket's name lookups run on gonet's lookup pool; return the attributes replaced."""
    return _apply("dns")


def select() -> list[str]:
    """Make select.select/poll/epoll and selectors.DefaultSelector park; return what was replaced.

    Also sets PSYCOPG_WAIT_FUNC=wait_poll unless set: psycopg's default C wait calls poll(2)
    itself and would block the thread.
    """
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_poll")
    return _apply("select")


def time() -> list[str]:
    """Make time.sleep park the calling goroutine; return the attributes replaced."""
    return _apply("time")


def subprocess() -> list[str]:
    """Make subprocess.run/Popen.communicate/wait cooperative (gonet.exec); return what was replaced."""
    if "subprocess" in _saved:
        return []
    from gonet.patch._subprocess import patch_subprocess

    done: list[str] = patch_subprocess()
    _saved["subprocess"] = []
    return done


def all() -> list[str]:  # noqa: A001 - gevent's and the issue's spelling: gonet.patch.all()
    """Apply every patch; return the attributes replaced."""
    return ssl() + dns() + select() + time() + subprocess()


def is_patched(name: str) -> bool:
    """Report whether the patch called name is applied."""
    if name not in NAMES:
        raise ValueError(f"gonet.patch: unknown patch {name!r} (known: {', '.join(NAMES)})")
    return name in _saved


def unpatch(name: str | None = None) -> None:
    """Restore the originals of one patch (or of all); for tests."""
    for n in [name] if name is not None else list(_saved):
        if n == "subprocess" and n in _saved:
            # gonet.patch._subprocess keeps its own originals (it replaces methods of Popen).
            from gonet.patch._subprocess import unpatch_subprocess

            unpatch_subprocess()
        for mod, attr, orig in reversed(_saved.pop(n, [])):
            setattr(mod, attr, orig)


@contextlib.contextmanager
def patched(*names: str) -> Iterator[list[str]]:
    """Apply the named patches (all if none) for the with block, then restore the originals."""
    before = set(_saved)
    fns: dict[str, Callable[[], list[str]]] = {
        "socket": socket,
        "ssl": ssl,
        "dns": dns,
        "select": select,
        "time": time,
        "subprocess": subprocess,
    }
    try:
        done = [a for n in names for a in fns[n]()] if names else all()
        yield done
    finally:
        for n in list(_saved):
            if n not in before:
                unpatch(n)
