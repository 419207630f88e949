"""Issue 11, point 12, over HTTP: everything on a page is in the page's language (password rules,
the photo help, what staff wrote about a task's materials, British English dates, amounts, the
languages' names), however the service was started."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from rewards import claims
from tests import helpers
from tests.rewards.core_helpers import funded_campaign, published_task, resident

ROOT = Path(settings.BASE_DIR)


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def signed_in(user, language: str) -> Client:
    type(user).objects.filter(pk=user.pk).update(preferred_language=language)
    client = client_in(language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "too_short", "too_similar"),
    [
        (
            "nl",
            "Dit wachtwoord is te kort. Het moet minstens 10 tekens bevatten.",
            "Het wachtwoord lijkt te veel op je e-mailadres of naam.",
        ),
        (
            "de",
            "Dieses Passwort ist zu kurz. Es muss mindestens 10 Zeichen enthalten.",
            "Das Passwort ist Ihrer E-Mail-Adresse oder Ihrem Namen zu ähnlich.",
        ),
    ],
)
def test_the_password_rules_speak_the_pages_language(db, language, too_short, too_similar):
    client = client_in(language)
    form = {"display_name": "Marieke", "language": language}
    short = client.post("/signup/", {**form, "email": "m@example.org", "password": "Ab9!"})
    assert too_short in short.content.decode()
    similar = client.post(
        "/signup/",
        {**form, "email": "mariekejansen@example.org", "password": "mariekejansen"},
    )
    assert too_similar in similar.content.decode()


@pytest.fixture
def task_and_claim(db):
    manager = helpers.make_user("mia@example.org", "task_manager")
    finance = helpers.make_user("fenna@example.org", "finance")
    approver = helpers.make_user("abel@example.org", "approver")
    task = published_task(
        manager,
        funded_campaign(manager, finance, approver),
        materials_where="Wijkcentrum, Akerstraat 10",
        materials_when="ma-vr 9:00-17:00",
        materials_where_de="Stadtteilzentrum, Akerstraat 10",
        materials_when_de="Mo-Fr 9:00-17:00",
        materials_where_en="Community centre, Akerstraat 10",
    )
    ria = resident("ria@example.org")
    claim = claims.claim_reserve(user=ria, task_id=task.pk)
    return ria, task, claim


@pytest.mark.parametrize(
    ("language", "where", "when", "photos"),
    [
        ("nl", "Wijkcentrum, Akerstraat 10", "ma-vr 9:00-17:00", "Maximaal 5 foto&#x27;s"),
        ("de", "Stadtteilzentrum, Akerstraat 10", "Mo-Fr 9:00-17:00", "Bis zu 5 Fotos"),
        # No English hours given: the Dutch ones stand in.
        ("en", "Community centre, Akerstraat 10", "ma-vr 9:00-17:00", "Up to 5 photos"),
    ],
)
def test_the_task_and_claim_pages_are_in_the_pages_language(
    task_and_claim, language, where, when, photos
):
    ria, task, claim = task_and_claim
    client = signed_in(ria, language)
    for path in (f"/wallet/tasks/{task.pk}/", f"/wallet/tasks/claims/{claim.pk}/"):
        page = client.get(path).content.decode()
        materials = re.search(r'<dd id="materials">(.*?)</dd>', page, re.S)
        assert materials, path
        assert materials.group(1) == f"{where}<br>{when}", path
    claim_page = client.get(f"/wallet/tasks/claims/{claim.pk}/").content.decode()
    assert photos in claim_page


def test_staff_give_the_materials_in_three_languages(task_and_claim):
    _ria, task, _claim = task_and_claim
    manager = type(task.created_by).objects.get(email="mia@example.org")
    client = client_in("en")
    helpers.staff_login(client, manager)
    page = client.get(f"/staff/rewards/campaigns/{task.campaign_id}/tasks/new/").content.decode()
    for name in ("materials_where_de", "materials_when_de", "materials_where_en"):
        assert f'name="{name}"' in page


def test_english_dates_are_british_and_amounts_follow_the_language(db):
    ria = resident("ria@example.org")
    from tests.browser.conftest import fund_wallet

    fund_wallet(ria, 123_456)
    english = signed_in(ria, "en").get("/wallet/").content.decode()
    # "7 Dec 2026, 15:46", not "Dec. 7, 2026, 3:46 p.m."
    assert re.search(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}\b", english)
    assert not re.search(r"\b[ap]\.m\.", english)
    assert "1,234.56" in english
    dutch = signed_in(ria, "nl").get("/wallet/").content.decode()
    assert "1.234,56" in dutch


@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_each_language_has_one_name_everywhere(db, language):
    page = client_in(language).get("/signup/").content.decode()
    names = re.findall(r'<option value="(nl|de|en)"[^>]*>([^<]+)</option>', page)
    # The footer's switcher and the sign-up form's language field.
    assert sorted(set(names)) == [("de", "Deutsch"), ("en", "English"), ("nl", "Nederlands")]
    assert len(names) == 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_a_plain_runserver_without_compiled_catalogs_serves_dutch(tmp_path):
    """`manage.py runserver` on a checkout whose catalogs were never compiled (no dev.py, no
    build step): the first page is in Dutch, and the catalogs are there afterwards."""
    for name in (
        "accounts",
        "config",
        "core",
        "demo",
        "impact",
        "ledger",
        "payments",
        "rewards",
        "shops",
    ):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("templates", "static"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    assert not list((tmp_path / "locale").glob("*/LC_MESSAGES/*.mo"))

    port = free_port()
    # The test database, reached the way this run reaches its server (TCP, or the embedded
    # server's socket as `dev.py` gives it).
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/heitje"
    test_database = urlunsplit(
        urlsplit(base)._replace(path=f"/{settings.DATABASES['default']['NAME']}")
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": test_database,
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(tmp_path),
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:
                    html = page.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert '<html lang="nl">' in html
    assert "<h1>Inloggen</h1>" in html
    catalog = tmp_path / "locale/nl/LC_MESSAGES/django.mo"
    # Readable by any user: an image compiles as root and serves as another.
    assert catalog.stat().st_mode & 0o444 == 0o444


def test_a_persons_language_ends_with_their_request(db, settings):
    """A German resident's request leaves nothing behind on the thread: what it serves next
    (another request's early refusal, a task run inline, a log line) is in the site's
    language again, not in German."""
    settings.LANGUAGE_CODE = "nl"
    user = helpers.make_user("greta@example.org")
    page = signed_in(user, "de").get("/account/")
    assert page.status_code == 200
    assert '<html lang="de">' in page.content.decode()
    assert translation.get_language() == "nl"
    assert translation.gettext("Wallet") == "Portemonnee"
