"""The import structure DESIGN.md draws, read from the source (every import, including those inside
functions, which can hide a circle but not remove it):
- no circle between the project's modules;
- `crm` imports none of `actions`, `console`, `recommender`, `retrieval`, `bot` (the recommender reads the
  CRM, not the other way round), `recommender` none of `actions`, `console`, `bot`, `retrieval` (text
  retrieval and the FAQ) nothing of the project but `kelian`, and `bot` none of the services' packages;
- `kelian` (the ground floor) imports nothing of the project."""

from __future__ import annotations

import ast
from pathlib import Path

from devstack.config import ROOT

PACKAGES = ("actions", "bot", "console", "crm", "recommender", "retrieval", "kelian", "devstack")
FORBIDDEN = {
    "crm": {"actions", "console", "recommender", "retrieval", "bot", "devstack"},
    "recommender": {"actions", "console", "bot", "devstack"},
    "retrieval": set(PACKAGES) - {"retrieval", "kelian"},
    "bot": {"actions", "console", "crm", "recommender", "retrieval", "devstack"},
    "kelian": set(PACKAGES) - {"kelian"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts
    }


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports anywhere in its code (`from x import y` counts `x.y` when that
    is a module, else `x`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    edges = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    # a module imports its package's __init__ when Python loads it: that is no dependency of the code
    return {
        name: {target for target in targets if not name.startswith(target + ".")} for name, targets in edges.items()
    }


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_reader_sees_imports_inside_functions_and_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    modules = project_modules()
    assert "actions.questions" in modules and "kelian.language" in modules
    assert "actions.orders" in imports_of(modules["actions.forms.order_number"], modules)


def test_no_module_of_the_project_imports_itself_back_through_others():
    assert circles(graph()) == []


def test_imports_point_the_way_design_md_draws_them():
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in graph().items()
        for target in targets
        if target.split(".")[0] in FORBIDDEN.get(name.split(".")[0], set())
    )
    assert wrong == []


ROOMS = ("recommender.serving", "recommender.training", "recommender.evaluation")
RECOMMENDER_COMMANDS = {"recommender.__main__", "recommender.evaluate"}


def _room(module: str) -> str | None:
    return next((room for room in ROOMS if module == room or module.startswith(room + ".")), None)


def test_the_recommender_keeps_its_rooms_apart():
    """The recommender's serving code (what the action server and the console load) imports nothing of
    training or evaluation; what the rooms share (records, catalogue, settings, the trained model, its
    artifacts) imports no room; only its one bridge, `recommender.crm_source`, imports `crm`."""
    wrong = []
    for name, targets in graph().items():
        if not name.startswith("recommender.") or name in RECOMMENDER_COMMANDS:
            continue
        room = _room(name)
        for target in targets:
            if target.split(".")[0] == "crm" and name != "recommender.crm_source":
                wrong.append(f"{name} -> {target}")
            elif room == "recommender.serving" and _room(target) in ("recommender.training", "recommender.evaluation"):
                wrong.append(f"{name} -> {target}")
            elif room is None and _room(target) is not None:
                wrong.append(f"{name} -> {target}")
    assert sorted(wrong) == []
