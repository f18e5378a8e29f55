"""benchmarks/load.py against the library: every simulated user gets an answer, and the
run reports what the README quotes."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import load  # noqa: E402


def test_library_run_answers_every_user(env, capsys):
    out = env / "load.json"
    assert load.main(["--library", "--generator", "extractive", "--users", "3", "--questions", "2",
                      "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["answered"] == 6 and result["errors"] == 0
    assert result["total"]["max"] >= result["total"]["p50"] > 0
    assert result["memory_mb"]["start"] > 0 and result["cpu"]
    printed = capsys.readouterr().out
    assert "3 users x 2 question(s): 6/6 answered" in printed and "CPU:" in printed


@pytest.mark.parametrize("argv", [["--url", "http://10.0.0.1:7860"], ["--library", "--users", "65"],
                                  ["--library", "--max-seconds", "0"]])
def test_refuses_other_hosts_and_unbounded_runs(argv):
    with pytest.raises(SystemExit) as e:
        load.main(argv)
    assert e.value.code == 2


def test_finds_the_process_listening_on_a_port():
    import os
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert load.pid_listening_on(s.getsockname()[1]) == os.getpid()
