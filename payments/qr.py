"""QR images of the payment codes, as SVG and PNG, built with the qrcode library.

Error correction M (15 %); a quiet zone of 4 modules, as the standard asks, so phone cameras and
independent decoders (tests use zxing-cpp) read them."""

import base64
import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

BORDER = 4


def _code(payload: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=BORDER
    )
    code.add_data(payload.encode("utf-8"), optimize=0)
    code.make(fit=True)
    return code


def qr_svg(payload: str, *, box_size: int = 10) -> str:
    """An SVG document (one path, black on white, scalable) of the payload."""
    image = _code(payload, box_size).make_image(image_factory=SvgPathImage)
    return image.to_string(encoding="unicode")


def qr_png(payload: str, *, box_size: int = 8) -> bytes:
    """A PNG of the payload, black on white."""
    image = _code(payload, box_size).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def data_url_svg(payload: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(payload).encode()).decode()


def data_url_png(payload: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(payload)).decode()


def svg_inline(payload: str) -> str:
    """The SVG markup to place inline in an HTML page (no XML declaration), with a title for
    screen readers left to the page around it."""
    return qr_svg(payload)
