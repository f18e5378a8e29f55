"""Stateless workers, with real processes: two `rag serve` on different ports share one
index, and a document indexed through one of them (its /add_document API, what the
documents panel does) is found through the other without a restart.

Two ways to share: the on-disk FAISS index in one folder (each worker reloads when the
manifest changes), and a Milvus server (`python -m milvus_lite server`, which speaks the
Milvus protocol: the same code path as a Milvus cluster) with no folder shared at all.
"""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEEDS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
RAG = [sys.executable, "-m", "rag.cli"]
NEW_DOC = "# 卫星\n\n重庆启动低轨卫星互联网星座地面站建设，首批接入十二个区县。\n"
QUERY = "低轨卫星互联网星座地面站"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, env, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def search(port: int, timeout: float = 60.0) -> list[dict]:
    """Top passages from a worker's /search API, waiting for the worker to come up."""
    from gradio_client import Client

    end = time.monotonic() + timeout
    while True:
        try:
            rows = json.loads(Client(f"http://127.0.0.1:{port}/", verbose=False).predict(QUERY, 3, api_name="/search"))
            if isinstance(rows, list):
                return rows
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > end:
            raise AssertionError(f"worker on port {port} did not answer /search within {timeout} s")
        time.sleep(0.5)


def add_through(port: int) -> dict:
    from gradio_client import Client

    out = json.loads(Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
        "sat.md", NEW_DOC, api_name="/add_document"))
    assert out.get("added") == ["uploads/sat.md"], out
    return out


def found(port: int) -> bool:
    return search(port)[0]["source"] == "uploads/sat.md"


def wait_for_doc(port: int, timeout: float = 20.0) -> float:
    t0 = time.monotonic()
    while not found(port):
        assert time.monotonic() - t0 < timeout, f"worker on port {port} never saw the new document"
        time.sleep(0.3)
    return time.monotonic() - t0


def base_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_EMBEDDER="hash", RAG_GENERATOR="extractive", RAG_INDEX_CHECK_SECONDS="0.5",
               PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False", **extra)
    return env


def two_workers(tmp_path, env_a, env_b):
    ports = free_port(), free_port()
    procs = [start(RAG + ["serve", "--port", str(p)], e, tmp_path / f"worker{i}.log")
             for i, (p, e) in enumerate(zip(ports, (env_a, env_b)))]
    return ports, procs


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def test_two_workers_share_an_index_folder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in SEEDS.iterdir():
        (corpus / f.name).write_bytes(f.read_bytes())
    env = base_env(tmp_path, RAG_CORPUS_DIR=str(corpus), RAG_INDEX_DIR=str(tmp_path / "index"))
    subprocess.run(RAG + ["index"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    ports, procs = two_workers(tmp_path, env, env)
    try:
        assert not any(found(p) for p in ports)
        add_through(ports[0])
        assert found(ports[0])  # searchable at once where it was added
        seen = wait_for_doc(ports[1])
        assert all(p.poll() is None for p in procs)  # no restart
        print(f"new document visible through the other worker after {seen:.1f} s")
    finally:
        stop(procs)


def test_two_workers_share_a_milvus_server(tmp_path):
    pytest.importorskip("milvus_lite", reason="the milvus extra: pip install '.[milvus]'")
    mport = free_port()
    server = start([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus"),
                    "--host", "127.0.0.1", "--port", str(mport)], os.environ.copy(), tmp_path / "milvus.log")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in SEEDS.iterdir():
        (corpus / f.name).write_bytes(f.read_bytes())
    common = dict(RAG_VECTOR_STORE="milvus", RAG_MILVUS_URI=f"http://127.0.0.1:{mport}")
    indexer = base_env(tmp_path, RAG_CORPUS_DIR=str(corpus), RAG_INDEX_DIR=str(tmp_path / "indexer"), **common)
    procs = []
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(RAG + ["index"], cwd=ROOT, env=indexer, capture_output=True, timeout=120).returncode:
            assert time.monotonic() < deadline, (tmp_path / "milvus.log").read_text()[-2000:]
            time.sleep(1)
        # no folder in common: each worker has its own index folder (local caches only); the
        # first has a copy of the documents to add to, the second none at all
        envs = [base_env(tmp_path, RAG_CORPUS_DIR=str(c), RAG_INDEX_DIR=str(tmp_path / f"w{i}"), **common)
                for i, c in enumerate((corpus, tmp_path / "none"))]
        ports, procs = two_workers(tmp_path, *envs)
        assert not any(found(p) for p in ports)
        add_through(ports[0])
        assert found(ports[0])
        seen = wait_for_doc(ports[1])
        assert all(p.poll() is None for p in procs)
        print(f"new document visible through the other worker after {seen:.1f} s")
    finally:
        stop(procs + [server])
