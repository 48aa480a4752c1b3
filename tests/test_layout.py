"""The shape of the code base, held by tests: no import cycles, marts on staging views, modules and
functions a reader can take in at once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cx_nlp"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
# A longer function says why on the line above its `def` (or its first decorator).
LONG_REASON = re.compile(r"^\s*# Long: .+")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Module -> the cx_nlp modules it imports anywhere in its body, function-level imports included."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import module` imports the module; `from module import name`, the module.
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                ]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_cx_nlp_imports_itself_through_others():
    graph = import_graph()
    assert graph["cx_nlp.pipeline"], "the import graph found no imports at all"
    assert cycles(graph) == []


def test_nlp_stages_import_no_database_and_no_airflow():
    """Stages are plain functions over typed records: the warehouse and Airflow stay outside them."""
    stages = ["cx_nlp.feedback", "cx_nlp.normalise", "cx_nlp.pii", "cx_nlp.sentiment", "cx_nlp.embeddings"]
    stages += [
        "cx_nlp.touchpoints",
        "cx_nlp.taxonomy",
        "cx_nlp.kpis",
        "cx_nlp.records",
        "cx_nlp.segments",
        "cx_nlp.tone",
    ]
    stages += [name for name in _modules() if name.startswith("cx_nlp.issues")]
    for name in stages:
        source = _modules()[name].read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) (sqlalchemy|airflow|cx_nlp\.warehouse)\b", source, re.M), name


def test_marts_read_staging_views_only():
    read = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)", re.IGNORECASE)
    marts = sorted((ROOT / "sql" / "marts").glob("*.sql"))
    assert marts
    for path in marts:
        sql = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        sources = set(read.findall(sql))
        assert sources and all(name.startswith("stg_") for name in sources), (path.name, sources)


def test_modules_and_functions_are_short_enough_to_read():
    long_modules, long_functions = [], []
    for name, path in _modules().items():
        if ".migrations." in name:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_MODULE_LINES:
            long_modules.append(f"{name}: {len(lines)} lines")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if length > MAX_FUNCTION_LINES and not LONG_REASON.match(lines[first - 2]):
                    long_functions.append(f"{name}.{node.name}: {length} lines")
    # Tests, DAGs and benchmarks are read too (the data generators under data/ are mostly literal text).
    for folder in ("tests", "dags", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            count = len(path.read_text(encoding="utf-8").splitlines())
            if count > MAX_MODULE_LINES:
                long_modules.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert long_modules == []
    assert long_functions == []
