"""The front ends (ui/, benchmarks/) use only the public API: what `rag/__init__.py` exports
and the `__all__` of the documented stage packages below. Everything else in rag/ is
internal and may change without notice, so a front end reaching into it would break
silently on the next refactor; this test makes such an import fail here instead.

Checked statically with `ast` (nothing is imported from ui/ or benchmarks/): every
`import rag...` / `from rag... import name`, and every attribute read through a name bound
to a rag module (`evaluation.run_eval` after `from rag import evaluation`)."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONT_ENDS = ("ui", "benchmarks")

# the documented APIs: the facade package and one package per pipeline stage
PUBLIC_MODULES = (
    "rag",
    "rag.ingest",
    "rag.retrieval",
    "rag.answering",
    "rag.answering.generators",
    "rag.evaluation",
    "rag.text",
    "rag.security",
)


def exports(module: str) -> set[str]:
    return set(getattr(importlib.import_module(module), "__all__", ()))  # no list: exports nothing


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_rag(module: str | None) -> bool:
    return module is not None and (module == "rag" or module.startswith("rag."))


def problems_in(source: str, filename: str) -> list[str]:
    """Every use of rag in `source` that goes past the public surface, as "file:line: why"."""
    tree = ast.parse(source, filename)
    found: list[str] = []
    bound: dict[str, str] = {}  # local name -> the public rag module it refers to

    def bad(node: ast.AST, why: str) -> None:
        found.append(f"{filename}:{node.lineno}: {why}")

    def check_module(node: ast.AST, module: str) -> bool:
        parts = module.split(".")
        if any(is_private(p) for p in parts):
            bad(node, f"imports the private module {module}")
            return False
        if module not in PUBLIC_MODULES:
            bad(node, f"imports {module}, which is not a public API module ({', '.join(PUBLIC_MODULES)})")
            return False
        return True

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not is_rag(alias.name) or not check_module(node, alias.name):
                    continue
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound["rag"] = "rag"  # `import rag.x` binds rag; rag.x.y is checked as an attribute chain
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and is_rag(node.module):
            if not check_module(node, node.module):
                continue
            for alias in node.names:
                name = alias.name
                sub = f"{node.module}.{name}"
                if name == "*":
                    bad(node, f"star import from {node.module}")
                elif is_private(name):
                    bad(node, f"imports the private name {name} from {node.module}")
                elif sub in PUBLIC_MODULES:
                    bound[alias.asname or name] = sub
                elif name not in exports(node.module):
                    bad(node, f"imports {name} from {node.module}, which does not export it (__all__)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
            chain_problem(node, bound[node.value.id], bad)
    return found


def chain_problem(node: ast.Attribute, module: str, bad) -> None:
    """`module.attr` (and `module.sub.attr`): attr must be exported or a public submodule."""
    attr = node.attr
    if attr.startswith("__") and attr.endswith("__"):
        return  # rag.__file__, rag.__version__
    if is_private(attr):
        bad(node, f"reads the private name {attr} of {module}")
    elif f"{module}.{attr}" in PUBLIC_MODULES:
        return  # the attribute read on the submodule is its own Attribute node, checked by the caller
    elif attr not in exports(module):
        bad(node, f"reads {module}.{attr}, which {module} does not export (__all__)")


def front_end_files() -> list[Path]:
    return sorted(p for d in FRONT_ENDS for p in (ROOT / d).rglob("*.py"))


def test_front_ends_import_only_the_public_api():
    assert front_end_files(), "no front-end files found: the test would check nothing"
    found = []
    for path in front_end_files():
        found += problems_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "front ends reach past the public API:\n" + "\n".join(found)


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_exported_name_exists_and_is_public(module):
    mod = importlib.import_module(module)
    assert mod.__doc__, f"{module} is a public API: its docstring says what it offers"
    assert getattr(mod, "__all__", None), f"{module} is a public API: its __all__ lists what it exports"
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert not missing, f"{module}.__all__ names what it does not define: {missing}"
    assert not [n for n in mod.__all__ if is_private(n)]


@pytest.mark.parametrize("source, expected", [
    ("from rag.retrieval.index import HybridIndex", "not a public API module"),
    ("from rag import _moved", "private name _moved"),
    ("import rag.retrieval.index as ix", "not a public API module"),
    ("from rag import evaluation\nevaluation.runner.run_eval", "does not export"),
    ("import rag\nrag.config.project_root()", "does not export"),
    ("from rag import NotAThing", "does not export"),
    ("from rag.evaluation import *", "star import"),
])
def test_the_checker_catches_private_uses(source, expected):
    found = problems_in(source, "x.py")
    assert found and expected in found[0], found


@pytest.mark.parametrize("source", [
    "import rag\nrag.Assistant.load\nrag.__file__",
    "from rag import Assistant, Settings",
    "from rag import answering\nanswering.AskOptions",
    "import rag.evaluation as ev\nev.run_eval",
    "from .render import esc\nimport json",
])
def test_the_checker_accepts_public_uses(source):
    assert problems_in(source, "x.py") == []
