"""README.md and docs/: every relative link leads to a file, and the README links every page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def relative_links(page: Path) -> list[str]:
    """The targets of the page's Markdown links that are paths in the repository."""
    targets = re.findall(r"\]\(([^)\s]+)\)", page.read_text())
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


def test_every_relative_link_leads_to_a_file():
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in PAGES
        for target in relative_links(page)
        if not (page.parent / target).exists()
    ]
    assert not broken, broken


def test_the_readme_links_every_docs_page_and_the_benchmarks():
    linked = {(ROOT / target).resolve() for target in relative_links(ROOT / "README.md")}
    wanted = {page.resolve() for page in PAGES[1:]} | {ROOT / "benchmarks" / "README.md"}
    assert wanted - linked == set()
