"""Simplified Chinese is complete: no string left untranslated or guessed, and compiled."""

import gettext
import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def entries():
    text = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    return [block for block in text.split("\n\n") if "msgid" in block][1:]  # skip the header


def test_no_entry_is_untranslated_or_fuzzy():
    untranslated, fuzzy = [], []
    for block in entries():
        msgid = re.search(r'^msgid "(.*)"', block, re.M).group(1)
        if re.search(r'^msgstr(\[0\])? ""\n(?!")', block + "\n", re.M):
            untranslated.append(msgid)
        if re.search(r"^#, .*fuzzy", block, re.M):
            fuzzy.append(msgid)
    assert untranslated == [] and fuzzy == []


def test_the_compiled_catalogue_matches_the_source():
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    # Every source entry is in the .mo (plurals add one key per form).
    assert len(catalog._catalog) >= len(entries())
    assert catalog.gettext("File the complaint") == "提交投诉"
