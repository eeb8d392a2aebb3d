"""Every link of README.md and docs/ resolves, and none leaves the repository.

A link is a relative path to a file of the repository (optionally with a `#anchor` that
must be a heading of that Markdown file, with GitHub's anchor rules) or an in-page
`#anchor`. http(s) URLs are allowed only to localhost / 127.0.0.1 (the local stack's
examples); any other scheme, an absolute path, or a path that climbs out of the
repository is refused. Code blocks and code spans are examples, not links, and are
skipped.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]+)>")
BARE_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>)\]`\"']+")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:[^>]*\s)?(?:id|name)=\"([^\"]+)\"")


@dataclass(frozen=True)
class Link:
    source: Path
    line: int
    target: str


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, with code spans blanked out."""
    lines: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opening = FENCE.match(line)
        if opening:
            if fence is None:
                fence = opening[1]
            elif opening[1] == fence:
                fence = None
            continue
        if fence is None:
            lines.append((number, CODE_SPAN.sub(lambda m: " " * len(m[0]), line)))
    return lines


def links_in(source: Path, text: str) -> list[Link]:
    found: list[Link] = []
    for number, line in prose_lines(text):
        targets = [m[1] for m in INLINE_LINK.finditer(line)]
        targets += [m[1] for m in REFERENCE_DEF.finditer(line)]
        targets += [m[1] for m in AUTOLINK.finditer(line)]
        rest = REFERENCE_DEF.sub(" ", AUTOLINK.sub(" ", INLINE_LINK.sub(" ", line)))
        targets += BARE_URL.findall(rest)
        found += [Link(source, number, target) for target in targets]
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text, lower-cased, punctuation but
    `-` and `_` dropped, spaces turned into `-`."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links -> their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors_of(text: str) -> set[str]:
    seen: Counter[str] = Counter()
    anchors: set[str] = set()
    for _, line in _lines_outside_fences(text):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading[2])
            anchors.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
            seen[base] += 1
        anchors.update(HTML_ANCHOR.findall(line))
    return anchors


def _lines_outside_fences(text: str) -> list[tuple[int, str]]:
    result: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opening = FENCE.match(line)
        if opening:
            fence = opening[1] if fence is None else (None if opening[1] == fence else fence)
            continue
        if fence is None:
            result.append((number, line))
    return result


def problem(link: Link, root: Path = ROOT) -> str | None:
    """Why a link is broken or not allowed, or None when it is fine."""
    target = link.target
    parts = urlsplit(target)
    if parts.scheme:
        if parts.scheme in ("http", "https") and parts.hostname in LOCAL_HOSTS:
            return None
        return "leaves the repository (only relative links, and http(s) to localhost)"
    if target.startswith("/") or parts.netloc:
        return "absolute path: use a path relative to this file"
    path, anchor = unquote(parts.path), unquote(parts.fragment)
    file = (link.source.parent / path).resolve() if path else link.source
    if not file.is_relative_to(root.resolve()):
        return "climbs out of the repository"
    if not file.exists():
        return f"{path} does not exist"
    if anchor:
        if file.suffix != ".md":
            return f"#{anchor}: anchors are checked in Markdown files only"
        if anchor not in anchors_of(file.read_text(encoding="utf-8")):
            return f"#{anchor} is not a heading of {file.relative_to(root.resolve())}"
    return None


def test_the_manual_exists() -> None:
    pages = {p.name for p in markdown_files()}
    expected = {
        "README.md",
        "index.md",
        "expressions.md",
        "api.md",
        "errors.md",
        "tasks.md",
        "events.md",
        "webhooks.md",
        "local-stack.md",
        "deploy.md",
        "operations.md",
        "design.md",
        "benchmarks.md",
        "troubleshooting.md",
    }
    assert expected <= pages, expected - pages


def test_every_link_resolves_and_stays_in_the_repository() -> None:
    links = [
        link
        for file in markdown_files()
        for link in links_in(file, file.read_text(encoding="utf-8"))
    ]
    assert len(links) > 50, "the link parser found almost nothing: is it broken?"
    broken = [
        f"{link.source.relative_to(ROOT)}:{link.line}: {link.target}: {why}"
        for link in links
        if (why := problem(link)) is not None
    ]
    assert not broken, "\n".join(broken)


def test_every_page_is_reachable_from_the_readme() -> None:
    reached: set[Path] = set()
    todo = [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        for link in links_in(page, page.read_text(encoding="utf-8")):
            path = urlsplit(link.target).path
            if path.endswith(".md") and not urlsplit(link.target).scheme:
                todo.append((page.parent / unquote(path)).resolve())
    orphans = [p.relative_to(ROOT) for p in markdown_files() if p.resolve() not in reached]
    assert not orphans, orphans


def test_no_file_refers_outside_the_repository() -> None:
    """The team's notes live outside the repository; the repository stands alone."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    forbidden = ("../" + "shared", "ARCHITECTURE" + ".md")
    offenders = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in (".png", ".zip", ".gz"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{name}: {word}" for word in forbidden if word in text]
    assert not offenders, offenders


def test_samconfig_points_at_a_page_that_exists() -> None:
    samconfig = (ROOT / "samconfig.toml").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\bdocs/[\w./-]+\.md\b", samconfig))
    assert mentioned, "samconfig.toml should point at the deploy guide"
    missing = [name for name in mentioned if not (ROOT / name).is_file()]
    assert not missing, missing


# --- the checker itself catches what it should -------------------------------------------


def _check(tmp_path: Path, text: str) -> list[str | None]:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## A `code` heading (x)\n")
    source = tmp_path / "docs" / "page.md"
    source.write_text(text)
    return [problem(link, tmp_path) for link in links_in(source, text)]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("see [x](missing.md)", "does not exist"),
        ("see [x](other.md#nope)", "is not a heading"),
        ("see [x](#nowhere)", "is not a heading"),
        ("see [x](https://github.com/a/b)", "leaves the repository"),
        ("see <https://example.com>", "leaves the repository"),
        ("see https://example.com/x.", "leaves the repository"),
        ("see [x](mailto:a@example.com)", "leaves the repository"),
        ("see [x](../../outside.md)", "climbs out"),
        ("see [x](/etc/passwd)", "absolute path"),
        ("[ref]: https://example.com", "leaves the repository"),
        ("see [x](//example.com/a)", "absolute path"),
    ],
)
def test_the_checker_refuses(tmp_path: Path, text: str, why: str) -> None:
    (problem_found,) = _check(tmp_path, text)
    assert problem_found is not None
    assert why in problem_found


def test_the_checker_accepts(tmp_path: Path) -> None:
    text = (
        "# Page\n\n## Two words\n\n"
        "[a](other.md) [b](other.md#a-code-heading-x) [c](#two-words) [d](#page) "
        "[e](http://127.0.0.1:3000/docs) http://localhost:3000/health\n"
        "```bash\ncurl https://example.com/ [x](missing.md)\n```\n"
        "`https://example.com` and `[y](missing.md)` are code\n"
    )
    assert _check(tmp_path, text) == [None] * 6


def test_slugs_follow_github() -> None:
    assert slug("The local stack (`make run`)") == "the-local-stack-make-run"
    assert slug("4a. JWT (Cognito)") == "4a-jwt-cognito"
    assert slug("schedule.created") == "schedulecreated"
    assert slug("Create: `POST /schedules` -> 201 + `Location`") == (
        "create-post-schedules---201--location"
    )
    assert anchors_of("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}


# A source path named in prose: `dal/runs.py`, `functions/api/routes/answers.py`,
# `template.yaml`. Relative to the repository, or to the package (`dal/...`) and the
# function and CLI folders the pages name files from.
SOURCE_PATH = re.compile(r"`((?:[\w.-]+/)*[\w.-]+\.(?:py|yaml|yml|json|toml|md|js|css|html))`")
PATH_ROOTS = (
    "",
    "layers/common/jobscheduler/",
    "layers/common/",
    "functions/",
    "functions/api/",
    "functions/api/routes/",
    "cli/",
    "cli/jobsched/",
    "tests/",
    "bench/",
    "local/",
)


def _third_party(path: str) -> bool:
    """A file of an installed library (`moto/dynamodb/models/table.py`)."""
    spec = importlib.util.find_spec(path.split("/", 1)[0])
    return spec is not None and "site-packages" in Path(spec.origin or "").parts


def _missing_source_paths(text: str) -> list[str]:
    missing = []
    for match in SOURCE_PATH.finditer(text):
        path = match.group(1)
        # Examples a reader creates (`schedules.yaml`, `samconfig.toml` exist, but
        # `my-schedules.yaml` need not): only paths with a folder, or known top-level files.
        if "/" not in path and not (ROOT / path).exists():
            continue
        if not any((ROOT / f"{prefix}{path}").exists() for prefix in PATH_ROOTS) and not (
            _third_party(path)
        ):
            missing.append(path)
    return missing


def test_every_source_path_the_manual_names_exists() -> None:
    """Module splits must carry the manual along: a page naming `logic/schedules.py`
    after it became a package is stale."""
    stale = {
        str(file.relative_to(ROOT)): missing
        for file in markdown_files()
        if (missing := _missing_source_paths(file.read_text(encoding="utf-8")))
    }
    assert stale == {}


def test_the_source_path_check_catches_a_stale_name() -> None:
    assert _missing_source_paths("see `logic/no_such_module.py` and `dal/runs.py`") == [
        "logic/no_such_module.py"
    ]


def test_every_path_of_the_readme_map_exists() -> None:
    """The README's "Where things are" block names files and folders; each one exists
    (an indented `jobscheduler/...` entry lives under layers/common/)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Where things are", 1)[1].split("```", 2)[1]
    # A line indented 4 or more spaces continues the description above it.
    named = [
        line.split()[0]
        for line in block.splitlines()[1:]
        if line.strip() and not line.startswith("    ")
    ]
    paths = [p for p in named if "/" in p or "." in p]
    assert len(paths) >= 15, paths
    missing = [
        p for p in paths if not (ROOT / p).exists() and not (ROOT / "layers/common" / p).exists()
    ]
    assert missing == []
