# sd_app.py: a socket-activated gonet program for the tests. It adopts what it was passed with
# gonet.net.activation, prints one JSON line describing it, echoes one message on each stream
# listener and one datagram on each packet conn, then exits.
"""Run under sd_launch.py."""

from __future__ import annotations

import json
import os

from gonet.net import activation


def main() -> None:
    """Describe the passed sockets, then serve one echo on each."""
    names = [f.name for f in activation.files(unset_env=False)]
    lns, pcs = activation.listeners_and_packet_conns()
    info = {
        "names": names,
        "listeners": [None if ln is None else f"{ln.addr().network()} {ln.addr()}" for ln in lns],
        "packet_conns": [
            None if pc is None else f"{pc.local_addr().network()} {pc.local_addr()}" for pc in pcs
        ],
        "env_left": sorted(k for k in os.environ if k.startswith("LISTEN_")),
        "fd3_closed": not os.path.exists("/proc/self/fd/3"),
    }
    print(json.dumps(info), flush=True)
    for ln in lns:
        if ln is not None:
            with ln, ln.accept() as c:
                c.write(c.recv(100))
    for pc in pcs:
        if pc is not None:
            with pc:
                data, addr = pc.recv_from(100)
                pc.write_to(data, addr)


if __name__ == "__main__":
    main()
