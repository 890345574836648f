# gonet: Go's network programming model for Python.
#
# Plain blocking code in cheap goroutines (greenlets); underneath, non-blocking sockets on one
# edge-triggered epoll per thread, and a goroutine that would block is parked and woken by the
# netpoller. No run() wrapper: the first blocking call starts the scheduler.
from gonet.errors import DeadlockError, PanicError
from gonet.runtime import G, go, gosched, now, num_goroutine, run_in_thread, sleep

__all__ = [
    "go", "gosched", "sleep", "now", "num_goroutine", "run_in_thread", "G",
    "DeadlockError", "PanicError",
]
__version__ = "0.1.0"
