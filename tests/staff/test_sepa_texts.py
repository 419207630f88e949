"""SEPA details: the remittance text is in the shop owner's language with the shop's name, the
file id uses a 24-hour clock, and the message after making a file has the right plural."""

import re
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Role, User
from payments import sepa, settlement
from payments.models import SepaExport
from tests.factories import ShopFactory, UserFactory


def test_remittance_text_in_the_shops_language():
    assert sepa.remittance_text(number=12, shop_name="Bakkerij Bemelmans", language="nl") == (
        "Heitje afrekening 12 - Bakkerij Bemelmans"
    )
    assert sepa.remittance_text(number=12, shop_name="Bäckerei", language="de") == (
        "Heitje Abrechnung 12 - Bäckerei"
    )


def test_file_id_uses_a_24_hour_clock(settings):
    evening = datetime(2026, 12, 5, 19, 30, 5, tzinfo=ZoneInfo(settings.TIME_ZONE))
    with mock.patch.object(timezone, "localtime", return_value=evening):
        assert re.fullmatch(r"20261205193005-[0-9a-f]{12}", sepa.message_id_new())


def test_file_for_a_dutch_shop_and_one_transfer(client, staff_login, settings):
    settings.SETTLEMENT_IBAN_HOLD_DAYS = 0
    shop = ShopFactory.create(funded=20_000, name="Bakkerij Bemelmans")
    owner = shop.members.get().user
    User.objects.filter(pk=owner.pk).update(preferred_language="nl")
    owner.refresh_from_db()
    asked = settlement.settlement_request(owner=owner, shop_id=shop.pk, amount=5_000)
    settlement.settlement_approve(
        approver=UserFactory.create(roles=[Role.APPROVER]), settlement_id=asked.pk
    )
    finance = UserFactory.create(roles=[Role.FINANCE])
    staff_login(client, finance)
    response = client.post("/staff/payments/exports/new/", follow=True)
    assert "1 transfer." in response.content.decode()
    xml = SepaExport.objects.get().xml
    assert f"Heitje afrekening {asked.pk} - Bakkerij Bemelmans" in xml
