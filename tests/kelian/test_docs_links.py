"""The README stays short and true: every relative link in README.md and docs/*.md resolves, the
README is at most 15,000 bytes, and its folder map names only paths that exist and misses no folder."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_BYTES = 15_000

# [text](target) and ![alt](target); the target ends at whitespace or ")" (an optional "title" follows).
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
MAP_HEADING = "## Map of the folders"


def _without_code(text: str) -> str:
    """Markdown without fenced code blocks and inline code, where brackets are not links."""
    text = FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def relative_links(path: Path) -> list[str]:
    targets = []
    for target in LINK.findall(_without_code(path.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # http:, https:, mailto:, same-page anchors
        targets.append(target)
    return targets


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for target in relative_links(path):
        file_part = target.split("#", 1)[0].split("?", 1)[0]
        if not file_part:
            continue
        if not (path.parent / file_part).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"


def test_readme_is_short() -> None:
    size = len(README.read_bytes())
    assert size <= MAX_README_BYTES, f"README.md is {size} bytes; move detail into docs/ (limit {MAX_README_BYTES})"


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = FENCE.search(text)
    assert first_block is not None
    before = text[: first_block.start()]
    assert "\n## " not in before, "the two commands come before any section"
    assert "make run" in first_block.group(0) and "make test" in first_block.group(0)


def folder_map_paths() -> list[str]:
    text = README.read_text(encoding="utf-8")
    assert MAP_HEADING in text, f"README.md has no '{MAP_HEADING}' section"
    section = text.split(MAP_HEADING, 1)[1].split("\n## ", 1)[0]
    paths = []
    for line in section.splitlines():
        if not line.startswith("|") or line.startswith("| ---"):
            continue
        first_cell = line.split("|")[1]
        paths += re.findall(r"`([^`]+)`", first_cell)
    assert paths, "the folder map lists no paths"
    return paths


def test_folder_map_paths_exist() -> None:
    missing = [p for p in folder_map_paths() if not (ROOT / p).exists()]
    assert not missing, f"README.md's folder map names paths that do not exist: {missing}"


def _tracked_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git is not available")
    return out.splitlines()


def test_folder_map_misses_no_folder() -> None:
    """Every tracked top-level folder and every folder of tests/ appears in the map."""
    named = {p.rstrip("/") for p in folder_map_paths()}
    folders = set()
    for f in _tracked_files():
        parts = f.split("/")
        if len(parts) > 1 and not parts[0].startswith("."):
            folders.add(parts[0])
        if parts[0] == "tests" and len(parts) > 2:
            folders.add("tests/" + parts[1])
    missing = sorted(f for f in folders if not any(n == f or n.startswith(f + "/") for n in named))
    assert not missing, f"README.md's folder map misses: {missing}"


def test_every_doc_is_linked_from_the_readme() -> None:
    linked = {(ROOT / t.split("#", 1)[0]).resolve() for t in relative_links(README)}
    unlinked = [d.name for d in DOCS if d.resolve() not in linked]
    assert not unlinked, f"docs not linked from README.md: {unlinked}"


def phony_targets() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (line,) = [line for line in makefile.splitlines() if line.startswith(".PHONY:")]
    return line.split(":", 1)[1].split()


def test_make_help_and_the_operations_table_list_every_target() -> None:
    """`make help` prints the targets with a `## ` description; docs/operations.md has a row for each."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    described = set(re.findall(r"^([a-z0-9-]+):.*## ", makefile, flags=re.MULTILINE))
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    targets = phony_targets()
    assert "profile" in targets and "test-e2e" in targets
    assert [t for t in targets if t not in described] == []
    assert [t for t in targets if f"| `make {t}" not in operations] == []
