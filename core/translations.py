"""The compiled message catalogs (locale/*/LC_MESSAGES/*.mo) are built from the committed .po
files at start-up, by whatever starts the service (`dev.py run`, `manage.py runserver`,
gunicorn, a container): without them every page would be in English."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from django.utils.translation.reloader import translation_file_changed

logger = logging.getLogger(__name__)


def catalogs_compile(*, locale_dirs: list[Path]) -> list[Path]:
    """Compile each .po under `locale_dirs` whose .mo is missing or older than it, with polib
    (no GNU gettext needed); returns the .mo files written. Several processes starting at once
    (gunicorn's workers) each write to a temporary file and rename it into place, so none reads
    a half-written catalog. A read-only tree (an image built with stale catalogs) is logged, not
    fatal: the old catalogs still serve."""
    import polib

    written: list[Path] = []
    for locale_dir in locale_dirs:
        for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            temporary = ""
            try:
                handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
                os.close(handle)
                polib.pofile(str(po_path)).save_as_mofile(temporary)
                # mkstemp's file is private (0600); the catalogs are read by whichever user
                # serves (the image compiles as root and serves as another user).
                os.chmod(temporary, 0o644)
                os.replace(temporary, mo_path)
            except OSError:
                logger.warning("Could not compile the translations %s", po_path, exc_info=True)
                if temporary:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary)
                continue
            written.append(mo_path)
    if written:
        # A message looked up while the apps loaded may have cached the catalogs as they were
        # (none): forget them, as Django's autoreloader does when a .mo file changes.
        translation_file_changed(sender=None, file_path=written[0])
    return written
