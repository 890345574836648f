# gonet: Go's network programming model for Python.
#
# Plain blocking code in cheap goroutines (greenlets); underneath, non-blocking sockets on one
# edge-triggered epoll per thread, and a goroutine that would block is parked and woken by the
# netpoller. No run() wrapper: the first blocking call starts the scheduler.
#
# The concurrency toolkit lives beside it: Chan and select here, and the submodules
# gonet.sync, gonet.time and gonet.context (imported on use, like Go's packages).
from gonet import _accel  # noqa: F401 - first: selects compiled or pure-Python hot modules
from gonet._chan import Case, Chan, nil_chan
from gonet._select import DEFAULT, SelectResult, select
from gonet.errors import ClosedChannelError, DeadlockError, NilChannelError, PanicError
from gonet.runtime import G, go, gosched, now, num_goroutine, run_in_thread, sleep

__all__ = [
    "go",
    "gosched",
    "sleep",
    "now",
    "num_goroutine",
    "run_in_thread",
    "G",
    "Chan",
    "Case",
    "select",
    "SelectResult",
    "DEFAULT",
    "nil_chan",
    "DeadlockError",
    "PanicError",
    "ClosedChannelError",
    "NilChannelError",
]


def __getattr__(name: str) -> str:
    # __version__ comes from the installed package's metadata (pyproject.toml is the one place
    # it is written), read on first use so that importing gonet does not load importlib.metadata.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("gonet")
        except PackageNotFoundError:  # a source tree on sys.path, never installed
            return "0+unknown"
    raise AttributeError(f"module 'gonet' has no attribute {name!r}")
