"""The docs hold: their links resolve inside the repository a reader has, and the generation
example does what the text says it does."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...
PLATFORM_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def unresolved_links(document: Path, root: Path) -> list[str]:
    """The relative links of `document` that point to nothing, or outside `root`."""
    wrong = []
    for target in MARKDOWN_LINK.findall(document.read_text(encoding="utf-8")):
        if EXTERNAL.match(target) or target.startswith("#"):
            continue
        path = (document.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(root.resolve()) or not path.exists():
            wrong.append(target)
    return wrong


@pytest.mark.parametrize("document", PLATFORM_DOCS, ids=lambda path: path.name)
def test_the_platform_docs_link_only_inside_the_repository(document: Path) -> None:
    assert unresolved_links(document, ROOT) == []


@pytest.mark.parametrize("answers", [{}, {"trigger": "sqs", "reads": "dynamodb:billing-invoices"}])
def test_the_team_readme_links_only_inside_the_generated_repository(bake, answers) -> None:
    result = bake(**answers)
    assert result.exit_code == 0, result.exception
    readme = result.project_path / "README.md"
    assert MARKDOWN_LINK.search(readme.read_text())  # the check below has links to check
    assert unresolved_links(readme, result.project_path) == []


def test_unresolved_links_are_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("x")
    readme = tmp_path / "README.md"
    readme.write_text(
        "[a](docs/a.md#x) [b](https://example.com) [c](#here) [d](../shared/DESIGN.md) "
        '[e](docs/missing.md "title")'
    )
    assert unresolved_links(readme, tmp_path) == ["../shared/DESIGN.md", "docs/missing.md"]


def no_input_example(document: Path) -> list[str]:
    """The `cookiecutter --no-input` command of the document's first sh block that has one."""
    for block in re.findall(r"```sh\n(.*?)```", document.read_text(encoding="utf-8"), re.S):
        command = block.replace("\\\n", " ")
        if "cookiecutter --no-input" in command:
            return shlex.split(command)
    raise AssertionError(f"no cookiecutter --no-input example in {document}")


def test_the_no_input_example_makes_what_the_guide_says(tmp_path: Path) -> None:
    guide = ROOT / "docs" / "team-template.md"
    command = no_input_example(guide)
    assert command[:3] == ["cookiecutter", "--no-input", "gh:org/slackgate"]
    template = command.index("gh:org/slackgate")
    command[0], command[template] = str(Path(sys.executable).parent / "cookiecutter"), str(ROOT)
    made = subprocess.run(
        [*command, "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr

    # What the guide says right after the example.
    text = guide.read_text(encoding="utf-8")
    assert 'makes `search-digest-report/`: project name "Search digest report"' in text
    assert "package\n`search_digest_report`, function and role `slackgate-search-digest`" in text
    project = tmp_path / "search-digest-report"
    readme = (project / "README.md").read_text()
    assert readme.splitlines()[0] == "# Search digest report"
    assert "| function and role | `slackgate-search-digest` |" in readme
    assert (project / "src" / "search_digest_report" / "handler.py").is_file()
