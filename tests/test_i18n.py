"""Dutch (the default), German and English: the translations are complete and compiled."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
TRANSLATED = ["nl", "de"]  # English is the source language


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language):
    catalog = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert len(catalog.translated_entries()) > 100
    assert missing == []
    assert fuzzy == []


SOURCES = (
    "accounts",
    "config",
    "core",
    "demo",
    "impact",
    "ledger",
    "payments",
    "rewards",
    "templates",
)


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is needed to extract")
def test_every_marked_string_is_in_the_catalogs(tmp_path, settings, monkeypatch):
    """Extract the marked strings afresh (as makemessages does) from a copy of the sources, so
    the committed catalogs are not touched: every one must already be in them."""
    for name in SOURCES:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("makemessages", locale=["nl"], verbosity=0)
    extracted = {
        entry.msgid for entry in polib.pofile(str(tmp_path / "locale/nl/LC_MESSAGES/django.po"))
    }
    for language in TRANSLATED:
        catalog = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
        known = {entry.msgid for entry in catalog if not entry.obsolete}
        assert sorted(extracted - known) == [], language


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "1.234,50"), ("de", "1.234,50"), ("en", "1,234.50")],
)
def test_amounts_are_formatted_per_language(language, expected):
    from accounts.templatetags.heitje import tokens

    with translation.override(language):
        assert tokens(123450) == expected
