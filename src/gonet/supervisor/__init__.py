# gonet.supervisor: every core — N gonet worker processes on shared listening sockets, kept
# alive, reloaded without downtime and drained on shutdown by a small supervisor process.
#
# The supervisor is not a gonet program: it imports nothing of gonet's runtime (an
# import-linter contract checks it), runs no scheduler and no thread, and only forks, waits and
# signals. Each worker is a complete gonet program that adopts the inherited sockets with
# gonet.net.file_listener. The protocol a worker follows — serve until SIGTERM, then stop
# accepting, finish in-flight work and return — is in docs/deployment.md.
#
#     from gonet.supervisor import Supervisor
#     Supervisor("myapp:serve", n=4, listeners=["0.0.0.0:8000"]).run()
#
# gonet.runtime.workers(n, main, ...) is the same thing for a program's own main.
from gonet.supervisor._arbiter import Supervisor, default_workers, describe_status
from gonet.supervisor._sockets import BindSpec
from gonet.supervisor._worker import Target, WorkerInfo, request_done, retire, worker_info

__all__ = [
    "Supervisor",
    "WorkerInfo",
    "worker_info",
    "request_done",
    "retire",
    "default_workers",
    "describe_status",
    "BindSpec",
    "Target",
]
