"""A broadcast chat server: one goroutine per client, one hub goroutine that owns the room.

Protocol (lines of UTF-8 text): a client's first line is its name; the server answers
"welcome, NAME (N online)"; every later line is sent to everyone else as "NAME: TEXT", and
arrivals and departures are announced as "* NAME joined" / "* NAME left".

Nothing is shared between goroutines except channels. The hub alone holds the set of clients
and serves a select over three channels — join, leave and messages — plus the server context's
done channel for shutdown. Each client has a reader goroutine (lines in -> hub) and a writer
goroutine (its outbox channel -> conn). A client too slow to keep its outbox drained is
disconnected rather than allowed to stall the room (the hub never blocks on one client: it
offers each line with a select that has a default).

Run: python examples/chat_server.py [ADDR]     (default 127.0.0.1:9009; try `nc 127.0.0.1 9009`)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from gonet import Chan, context, net, select, sync

T = TypeVar("T")

OUTBOX = 64  # lines a client may lag behind before it is disconnected


@dataclass(eq=False)
class Client:
    conn: net.Conn
    name: str = ""
    outbox: Chan[bytes] = field(default_factory=lambda: Chan(OUTBOX))


@dataclass
class Room:
    """The hub's channels; the hub goroutine is the only one touching the client set."""

    join: Chan[Client] = field(default_factory=Chan)
    leave: Chan[Client] = field(default_factory=Chan)
    messages: Chan[tuple[Client, str]] = field(default_factory=lambda: Chan(16))


def hub(room: Room, ctx: context.Context) -> None:  # noqa: C901 - one select loop, the example's point
    """Own the set of clients; fan every message out to the others. Go: a `for { select }` loop."""
    clients: set[Client] = set()

    def broadcast(line: str, skip: Client | None = None) -> None:
        pending = [(line, skip)]
        while pending:
            text, not_to = pending.pop(0)
            data = (text + "\n").encode()
            for c in list(clients):
                if c is not_to:
                    continue
                i, _, _ = select(c.outbox.send_case(data), default=True)
                if i < 0:  # outbox full: this client cannot keep up
                    drop(c)
                    pending.append((f"* {c.name} left (too slow)", None))

    def drop(c: Client) -> None:
        if c in clients:
            clients.discard(c)
            c.outbox.close()  # its writer drains what is queued, then closes the conn

    while True:
        i, v, _ = select(
            room.join.recv_case(), room.leave.recv_case(), room.messages.recv_case(), ctx.done().recv_case()
        )
        if i == 0:
            clients.add(v)
            v.outbox.send(f"welcome, {v.name} ({len(clients)} online)\n".encode())
            broadcast(f"* {v.name} joined", skip=v)
        elif i == 1:
            if v in clients:
                drop(v)
                broadcast(f"* {v.name} left")
        elif i == 2:
            sender, text = v
            if sender in clients:
                broadcast(f"{sender.name}: {text}", skip=sender)
        else:
            for c in list(clients):
                drop(c)
            return


def lines(conn: net.Conn) -> Iterator[str]:
    """Yield the lines of conn (without the newline) until EOF. Go: bufio.Scanner."""
    pending = b""
    buf = bytearray(4096)
    while True:
        n = conn.read(buf)
        if n == 0:
            return
        pending += buf[:n]
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r").decode(errors="replace")


def send(ch: Chan[T], v: T, ctx: context.Context) -> bool:
    """Send v unless ctx ends first; report whether it was sent. Go: select { case ch <- v:
    case <-ctx.Done(): }."""
    return select(ch.send_case(v), ctx.done().recv_case()).index == 0


def hang_up(conn: net.Conn) -> None:
    if not conn.closed:
        conn.close()


def reader(c: Client, room: Room, ctx: context.Context) -> None:
    """Read the client's name, then its messages, into the hub; report the departure."""
    stop = context.after_func(ctx, lambda: hang_up(c.conn))  # shutdown ends a blocked read
    joined = False
    try:
        it = lines(c.conn)
        c.name = next(it, "").strip() or "anonymous"
        if not send(room.join, c, ctx):
            return
        joined = True
        for text in it:
            if not send(room.messages, (c, text), ctx):
                return
    except OSError:
        pass  # reset, or closed by the writer after the hub dropped us
    finally:
        stop()
        if joined:
            send(room.leave, c, ctx)  # the hub may be gone (shutdown): then nobody cares
        else:
            c.outbox.close()  # never joined: only our writer holds the outbox


def writer(c: Client) -> None:
    """Copy the client's outbox to its conn until the outbox is closed; then hang up."""
    try:
        for data in c.outbox:
            c.conn.write(data)
    except OSError:
        pass
    finally:
        hang_up(c.conn)


def serve(ln: net.Listener, ctx: context.Context | None = None) -> None:
    """Run the chat room on ln until ln is closed or ctx is done; return once every goroutine
    of the server has ended."""
    if ctx is None:
        ctx = context.background()
    ctx, cancel = context.with_cancel(ctx)
    stop_accept = context.after_func(ctx, lambda: ln.close() if not ln.closed else None)
    room = Room()
    wg = sync.WaitGroup()
    wg.go(hub, room, ctx)
    try:
        for conn in ln:
            c = Client(conn)
            wg.go(reader, c, room, ctx)
            wg.go(writer, c)
    except net.ErrClosed:
        pass
    finally:
        stop_accept()
        cancel()  # ends the hub, which closes every outbox, which hangs up every client
        wg.wait()


def main(addr: str = "127.0.0.1:9009") -> None:
    ln = net.listen("tcp", addr)
    print(f"chat server on {ln.addr()}", flush=True)
    serve(ln)


if __name__ == "__main__":
    main(*sys.argv[1:2])
