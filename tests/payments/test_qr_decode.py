"""Every QR image the app renders decodes, with an independent decoder (zxing-cpp), to exactly
its payload: the PNG endpoints and data URLs, and the SVGs, rasterised from their own path data
(the SVG is one path of unit squares in module coordinates: docs/qr.md)."""

import base64
import io
import re
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from payments import codes, keys, qr
from tests.payments.pay_fixtures import new_pem

pytest_plugins = ["tests.payments.pay_fixtures"]

_SQUARE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H(\d+)z")
_VIEWBOX = re.compile(r'viewBox="0 0 (\d+) (\d+)"')
SCALE = 8


def decode_png(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data))
    return [
        r.text
        for r in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ]


def rasterise_svg(svg: str) -> bytes:
    """Draw the SVG's path (unit squares in module units) black on white, as a PNG."""
    viewbox = _VIEWBOX.search(svg)
    drawn = re.search(r' d="([^"]+)"', svg)
    assert viewbox is not None
    assert drawn is not None
    width, height = map(int, viewbox.groups())
    image = Image.new("L", (width * SCALE, height * SCALE), 255)
    draw = ImageDraw.Draw(image)
    path = drawn.group(1)
    squares = _SQUARE.findall(path)
    assert len(squares) == path.count("z")  # every drawn module was read
    for x, y, x2, y2, _x3 in squares:
        draw.rectangle(
            [int(x) * SCALE, int(y) * SCALE, int(x2) * SCALE - 1, int(y2) * SCALE - 1], fill=0
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def decode_svg(svg: str) -> list[str]:
    return decode_png(rasterise_svg(svg))


def from_data_url(url: str) -> bytes:
    return base64.b64decode(url.split(",", 1)[1])


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def payloads(settings):
    settings.PAYMENT_SIGNING_KEY = new_pem()
    request = codes.request_encode(
        codes.SignedRequest(
            key_id=keys.signing_key_id(),
            shop_id=123456,
            amount=987654,
            currency="HEITJE",
            nonce=codes.nonce_new(),
            expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        )
    )
    return {
        "resident": codes.pay_code_encode(codes.token_new()),
        "request": request,
        "poster": codes.shop_encode(123456),
    }


@pytest.mark.parametrize("kind", ["resident", "request", "poster"])
def test_each_payload_type_decodes_from_png_and_svg(payloads, kind):
    payload = payloads[kind]
    assert decode_png(qr.qr_png(payload)) == [payload]
    assert decode_svg(qr.qr_svg(payload)) == [payload]
    assert decode_svg(qr.svg_inline(payload)) == [payload]
    assert decode_png(from_data_url(qr.data_url_png(payload))) == [payload]
    assert decode_svg(from_data_url(qr.data_url_svg(payload)).decode()) == [payload]


def test_the_rasteriser_is_not_fooled():
    # a different payload's image does not decode to ours
    assert decode_svg(qr.qr_svg("HEITJE:1:S:1")) != ["HEITJE:1:S:2"]


def test_the_pay_code_endpoint_images_decode_to_its_payload(shop, anna):
    body = client_for(anna).post("/api/v1/wallet/pay-codes/", {}, format="json").json()
    assert decode_png(from_data_url(body["qr_png"])) == [body["payload"]]
    assert decode_svg(from_data_url(body["qr_svg"]).decode()) == [body["payload"]]


def test_the_payment_request_images_decode_to_its_payload(shop, cashier):
    till = client_for(cashier)
    made = till.post(
        f"/api/v1/shops/{shop.pk}/payment-requests/", {"amount": 1250}, format="json"
    ).json()
    assert decode_png(from_data_url(made["qr_png"])) == [made["payload"]]
    assert decode_svg(from_data_url(made["qr_svg"]).decode()) == [made["payload"]]
    base = f"/api/v1/shops/{shop.pk}/payment-requests/{made['id']}"
    assert decode_png(till.get(f"{base}/qr.png").content) == [made["payload"]]
    assert decode_svg(till.get(f"{base}/qr.svg").content.decode()) == [made["payload"]]


def test_the_poster_images_decode_to_the_shop_code(shop, owner):
    client = client_for(owner)
    expected = [f"HEITJE:1:S:{shop.pk}"]
    assert decode_png(client.get(f"/api/v1/shops/{shop.pk}/poster.png").content) == expected
    assert (
        decode_svg(client.get(f"/api/v1/shops/{shop.pk}/poster.svg").content.decode()) == expected
    )
