"""Load the desk's canned replies (desk/content/canned_replies.md); safe to run again.

Blocks are separated by `===` lines: `title: …`, `---`, `<!-- en -->` and the English
text, `<!-- zh -->` and the Chinese text. A reply is written only when its text changed.
"""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from tickets.models import CannedReply

SOURCE = Path(__file__).resolve().parents[2] / "content" / "canned_replies.md"


def parse(text: str) -> list[dict]:
    replies = []
    for block in text.split("\n===\n"):
        lines = block.strip("\n").split("\n")
        title = lines[0].removeprefix("title:").strip()
        rest = "\n".join(lines[1:]).replace("---\n", "", 1)
        english, chinese = rest.split("<!-- zh -->", 1)
        replies.append(
            {
                "title": title,
                "body_en": english.replace("<!-- en -->", "", 1).strip(),
                "body_zh": chinese.strip(),
            }
        )
    return replies


class Command(BaseCommand):
    help = "Load the canned replies in both languages (idempotent)."

    def handle(self, *args, **options):
        written = 0
        with transaction.atomic():
            for reply in parse(SOURCE.read_text(encoding="utf-8")):
                existing = CannedReply.objects.filter(title=reply["title"]).first()
                if existing and all(getattr(existing, k) == v for k, v in reply.items()):
                    continue
                CannedReply.objects.update_or_create(
                    title=reply["title"], defaults={**reply, "is_active": True}
                )
                written += 1
        total = CannedReply.objects.count()
        self.stdout.write(f"Desk: {total} canned replies ({written} written now).")
