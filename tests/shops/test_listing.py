"""Where residents find a shop: the owner sets its neighbourhood and what it sells."""

import pytest

from accounts.errors import NotFound
from accounts.models import AuditEvent, Neighbourhood, Role
from shops import services as shop_services
from shops.errors import ShopRefused
from tests.helpers import make_user

GOOD = {
    "name": "Bakkerij Kerkrade",
    "address": "Saroleastraat 1, 6411 Heerlen",
    "category": "bakery",
    "iban": "nl91 abna 0417 1643 00",
}


@pytest.fixture
def owner(db):
    return make_user("owner@example.org", Role.RESIDENT)


@pytest.fixture
def shop(owner):
    return shop_services.shop_apply(owner=owner, **GOOD)


def test_the_owner_sets_the_neighbourhood_and_what_the_shop_sells(owner, shop):
    centrum = Neighbourhood.objects.create(name="Centrum")
    updated = shop_services.shop_listing_set(
        owner=owner,
        shop_id=shop.pk,
        neighbourhood_id=centrum.pk,
        what_we_sell="  Brood\nen vlaai ",
    )
    assert (updated.neighbourhood, updated.what_we_sell) == (centrum, "Brood en vlaai")
    event = AuditEvent.objects.get(action="shop.listing_change")
    assert event.detail["what_we_sell"] == {"from": "", "to": "Brood en vlaai"}
    # Saving the same again changes nothing and writes no second audit row.
    shop_services.shop_listing_set(
        owner=owner,
        shop_id=shop.pk,
        neighbourhood_id=centrum.pk,
        what_we_sell="Brood en vlaai",
    )
    assert AuditEvent.objects.filter(action="shop.listing_change").count() == 1


def test_only_the_owner_sets_it_and_the_words_are_limited(owner, shop):
    with pytest.raises(ShopRefused) as refused:
        shop_services.shop_listing_set(
            owner=owner, shop_id=shop.pk, neighbourhood_id=None, what_we_sell="x" * 201
        )
    assert refused.value.field == "what_we_sell"
    with pytest.raises(ShopRefused):
        shop_services.shop_listing_set(
            owner=owner, shop_id=shop.pk, neighbourhood_id=999_999, what_we_sell=""
        )
    stranger = make_user("stranger@example.org", Role.RESIDENT)
    with pytest.raises(NotFound):
        shop_services.shop_listing_set(
            owner=stranger, shop_id=shop.pk, neighbourhood_id=None, what_we_sell="Mine"
        )
