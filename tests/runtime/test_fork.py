"""os.fork() in a process that runs gonet: the child gets a fresh scheduler, netpoller, timers
and thread pool; inherited fds work there; the forking goroutine is the child's only goroutine;
the parent is unaffected. Every case runs in a real subprocess."""

from __future__ import annotations

import textwrap

from helpers import run_script

_SERVER = textwrap.dedent("""
    import os, sys
    import gonet
    from gonet import Chan, go, net

    def handle(c, tag, quit):
        with c:
            c.set_read_deadline(gonet.now() + 10)  # a timer of this process's scheduler
            buf = bytearray(64)
            data = bytes(buf[:c.read(buf)])
            gonet.sleep(0.001)
            c.write(f"{tag} {os.getpid()} {data.decode()}".encode())
            if data == b"quit":
                quit.close()

    def serve(ln, tag, quit):
        while True:
            try:
                c = ln.accept()
            except OSError:
                return
            go(handle, c, tag, quit)

    def ask(addr, msg):
        c = net.dial("tcp", addr)
        with c:
            c.write(msg.encode())
            buf = bytearray(64)
            return bytes(buf[:c.read(buf)]).decode()

    ln1 = net.listen("tcp", "127.0.0.1:0")
    ln2 = net.listen("tcp", "127.0.0.1:0")
    quit = Chan()
    go(serve, ln1, "parent", quit)
    go(serve, ln2, "parent", quit)
    gonet.sleep(0.01)  # both goroutines now hold their listener's read lock, parked in accept
    pid = os.fork()
    if pid == 0:
        # The parent's accept goroutines do not exist here; their locks must not block us.
        ln2.close()
        go(serve, ln1, "child", quit)
        quit.recv()
        gonet.sleep(0.01)  # let the reply go out
        sys.exit(0)
    ln1.close()  # from now on, connections to ln1 reach the child only
    a1 = str(ln1.addr())
    a2 = str(ln2.addr())
    replies = [ask(a1, "one"), ask(a2, "two"), ask(a1, "three"), ask(a1, "quit")]
    status = gonet.run_in_thread(os.waitpid, pid, 0)[1]
    me = os.getpid()
    for r in replies:
        print(r.replace(str(pid), "CHILD").replace(str(me), "PARENT"))
    print("child exit status", os.waitstatus_to_exitcode(status))
    print("parent still serves:", ask(a2, "after").replace(str(me), "PARENT"))
""")


def test_forked_child_accepts_and_serves_and_the_parent_still_serves() -> None:
    p = run_script(_SERVER, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "child CHILD one",
        "parent PARENT two",
        "child CHILD three",
        "child CHILD quit",
        "child exit status 0",
        "parent still serves: parent PARENT after",
    ], p.stderr


def test_a_goroutine_that_forks_is_the_childs_main_goroutine() -> None:
    # Its return ends the child (as main's return does in Go); the parent's main goroutine and
    # its other goroutines never run in the child.
    p = run_script(
        textwrap.dedent("""
        import os
        import gonet
        from gonet import Chan, go

        done = Chan(1)

        def other():
            gonet.sleep(0.05)
            print("other goroutine in", "child" if os.getpid() != parent else "parent", flush=True)

        def forker():
            pid = os.fork()
            if pid == 0:
                gonet.sleep(0.01)  # the child's scheduler: timers work, nothing else runs
                ch = Chan(1)
                go(ch.send, "child goroutine ran")
                print(ch.recv(), flush=True)
                return
            done.send(pid)

        parent = os.getpid()
        go(other)
        go(forker)
        pid = done.recv()
        status = gonet.run_in_thread(os.waitpid, pid, 0)[1]
        gonet.sleep(0.1)
        print("child exit status", os.waitstatus_to_exitcode(status), flush=True)
    """),
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "child goroutine ran",
        "other goroutine in parent",
        "child exit status 0",
    ], p.stderr


def test_sys_exit_in_the_forking_goroutine_sets_the_childs_status() -> None:
    p = run_script(
        textwrap.dedent("""
        import os, sys
        import gonet
        from gonet import Chan, go

        done = Chan(1)

        def forker():
            pid = os.fork()
            if pid == 0:
                sys.exit(3)
            done.send(pid)

        go(forker)
        pid = done.recv()
        status = gonet.run_in_thread(os.waitpid, pid, 0)[1]
        print("child exit status", os.waitstatus_to_exitcode(status))
    """),
        timeout=30,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["child exit status 3"], p.stderr
