"""The starting library: the Markdown files in helpcenter/content/, as the seed loads them.

Each file: front matter between `---` lines (slug, topic, categories as comma-separated
category codes, popular yes/no, title_en, title_zh), then `<!-- en -->` and the English
body, then `<!-- zh -->` and the Chinese body.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONTENT = Path(__file__).resolve().parent / "content"


@dataclass(frozen=True)
class LibraryArticle:
    slug: str
    topic: str
    categories: tuple[str, ...]
    popular: bool
    title_en: str
    title_zh: str
    body_en: str
    body_zh: str


def parse(text: str) -> LibraryArticle:
    lines = text.split("\n")
    if lines[0] != "---":
        raise ValueError("an article starts with front matter between '---' lines")
    end = lines.index("---", 1)
    meta = dict(line.split(": ", 1) for line in lines[1:end] if ": " in line)
    rest = "\n".join(lines[end + 1 :])
    english, chinese = rest.split("<!-- zh -->", 1)
    return LibraryArticle(
        slug=meta["slug"],
        topic=meta["topic"],
        categories=tuple(c.strip() for c in meta.get("categories", "").split(",") if c.strip()),
        popular=meta.get("popular") == "yes",
        title_en=meta["title_en"],
        title_zh=meta.get("title_zh", ""),
        body_en=english.replace("<!-- en -->", "", 1).strip(),
        body_zh=chinese.strip(),
    )


def load(folder: Path = CONTENT) -> list[LibraryArticle]:
    return [parse(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.md"))]
