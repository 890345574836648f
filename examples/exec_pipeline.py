"""Count the words of files with a shell pipeline built from gonet.exec commands.

For each file, concurrently, one goroutine runs the equivalent of

    tr -cs A-Za-z '\\n' < FILE | tr A-Z a-z | sort | uniq -c

as three Cmds whose pipes are connected directly (the kernel moves the bytes between the
children) and whose last stdout is read by the goroutine through a pipe on the netpoller. The
file itself is read with gonet.os.read_file (one thread-pool call) and fed to the first command
by a copying goroutine. A context bounds the whole run: when it ends, every command still
running is killed and its file reports "signal: killed".

Run: python examples/exec_pipeline.py [-timeout SECONDS] [-top N] FILE...   (default: this file)
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field

from gonet import Chan, context, go
from gonet import exec as gexec
from gonet import os as gos


@dataclass
class Result:
    path: str
    counts: list[tuple[int, str]] = field(default_factory=list)
    error: BaseException | None = None


def count_words(ctx: context.Context, data: bytes) -> list[tuple[int, str]]:
    """Return (count, word) pairs for data, most frequent first, computed by child processes.

    Raises:
        gexec.ExitError: a command failed or was killed because ctx ended.
    """
    split = gexec.command("tr", "-cs", "A-Za-z", "\n", ctx=ctx)
    split.stdin = data  # fed by a goroutine of the Cmd
    lower = gexec.command("tr", "A-Z", "a-z", ctx=ctx)
    sort = gexec.command("sort", ctx=ctx)
    uniq = gexec.command("uniq", "-c", ctx=ctx)
    cmds = [split, lower, sort, uniq]
    # Each command's stdout pipe is the next one's stdin: a File is passed to the child as is,
    # so the bytes go from child to child without passing through Python.
    pipes = [c.stdout_pipe() for c in cmds]
    for c, p in zip(cmds[1:], pipes[:-1], strict=True):
        c.stdin = p
    started: list[gexec.Cmd] = []
    errors: list[BaseException] = []
    try:
        for c in cmds:
            c.start()
            started.append(c)
        text = bytearray()
        buf = bytearray(64 * 1024)
        while n := pipes[-1].read(buf):  # parks on the netpoller until uniq writes
            text += buf[:n]
    finally:
        for p in pipes[len(started) :]:
            # The pipes of commands that did not start (wait() closes the others; a failed
            # start has closed its own already).
            with contextlib.suppress(OSError):
                p.close()
        for c in started:
            try:
                c.wait()
            except Exception as e:  # noqa: BLE001 - the first failure is reported below
                errors.append(e)
    if errors:
        raise errors[0]
    pairs = []
    for line in text.decode().splitlines():
        n_s, _, word = line.strip().partition(" ")
        if word:
            pairs.append((int(n_s), word))
    pairs.sort(key=lambda p: (-p[0], p[1]))
    return pairs


def count_file(ctx: context.Context, path: str) -> Result:
    """Read path and count its words; failures are reported in the Result."""
    try:
        return Result(path, count_words(ctx, gos.read_file(path)))
    except Exception as e:  # noqa: BLE001 - reported per file
        return Result(path, error=e)


def main(paths: list[str], timeout: float = 10.0, top: int = 5) -> list[Result]:
    """Count every file concurrently under one deadline; print and return the results in order."""
    ctx, cancel = context.with_timeout(context.background(), timeout)
    try:
        results: list[Chan[Result]] = []
        for p in paths:
            ch: Chan[Result] = Chan(1)
            go(lambda p=p, ch=ch: ch.send(count_file(ctx, p)))
            results.append(ch)
        out = [r for ch in results if (r := ch.recv()) is not None]
    finally:
        cancel()
    for r in out:
        if r.error is not None:
            print(f"{r.path}: error: {r.error}")
            continue
        words = ", ".join(f"{w} {n}" for n, w in r.counts[:top])
        print(f"{r.path}: {sum(n for n, _ in r.counts)} words; top: {words}")
    return out


def _parse(argv: list[str]) -> tuple[list[str], float, int]:
    timeout, top, paths = 10.0, 5, []
    it = iter(argv)
    for a in it:
        if a in ("-timeout", "-top"):
            v = next(it, None)
            if v is None:
                raise SystemExit(f"usage: {a} needs a value")
            if a == "-timeout":
                timeout = float(v)
            else:
                top = int(v)
        else:
            paths.append(a)
    return paths or [__file__], timeout, top


if __name__ == "__main__":
    files, secs, n = _parse(sys.argv[1:])
    res = main(files, secs, n)
    sys.exit(1 if any(r.error is not None for r in res) else 0)
