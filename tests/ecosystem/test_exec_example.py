# examples/exec_pipeline.py: word counts through a four-command pipeline, per file, concurrently.
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, SUB_ENV

from gonet import context

sys.path.insert(0, str(ROOT / "examples"))

import exec_pipeline  # noqa: E402


def test_counts_words_of_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.txt"
    a.write_text("Go go GO, gopher! go-routine\nchannel channel")
    b = tmp_path / "b.txt"
    b.write_text("one two two three three three " * 1000)
    res = exec_pipeline.main([str(a), str(b), str(tmp_path / "missing")], top=2)
    assert [r.path for r in res] == [str(a), str(b), str(tmp_path / "missing")]
    assert res[0].counts == [(4, "go"), (2, "channel"), (1, "gopher"), (1, "routine")]
    assert res[1].counts == [(3000, "three"), (2000, "two"), (1000, "one")]
    assert isinstance(res[2].error, FileNotFoundError)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{a}: 8 words; top: go 4, channel 2"
    assert out[1] == f"{b}: 6000 words; top: three 3000, two 2000"
    assert out[2] == f"{tmp_path / 'missing'}: error: open {tmp_path / 'missing'}: no such file or directory"


def test_an_ended_context_stops_the_pipeline() -> None:
    ctx, cancel = context.with_cancel(context.background())
    cancel()
    with pytest.raises(context.Canceled, match=r"^context canceled$"):
        exec_pipeline.count_words(ctx, b"never counted")


def test_runs_as_a_script(tmp_path: Path) -> None:
    f = tmp_path / "w.txt"
    f.write_text("b a b")
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "exec_pipeline.py"), "-top", "1", str(f)],
        capture_output=True,
        text=True,
        timeout=30,
        env=SUB_ENV,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{f}: 3 words; top: b 2\n"
