"""QR images of the payment codes, as SVG and PNG, from one module matrix per payload.

Error correction M (15 %); a quiet zone of 4 modules, as the standard asks, so phone cameras and
independent decoders (tests use zxing-cpp) read them. The matrix is built once per image pair,
with a fixed mask pattern: every one of the standard's eight masks is valid for any reader, and
trying all eight for the lowest penalty cost more than the rest of a pay code's request
(docs/performance.md). The qrcode library encodes; the SVG path and the PNG are written here,
which is a tenth of the cost of its image classes."""

import base64
import functools
import struct
import zlib

import qrcode
import qrcode.constants
import qrcode.util

BORDER = 4
MASK = 0  # (row + column) mod 2: breaks long runs of one colour
SVG_BOX = 10  # kept for callers; an SVG scales, its units are modules
PNG_BOX = 8  # pixels per module


Matrix = list[list[bool]]


# The smallest version (size) that holds a payload depends only on its encoding mode and its
# length (the library's best_fit measures nothing else): found once per pair, not per code.
_versions: dict[tuple[int, int], int] = {}


def matrix(payload: str) -> Matrix:
    """The modules of the payload's QR code, dark = True, quiet zone included."""
    data = payload.encode("utf-8")
    key = (qrcode.util.optimal_mode(data), len(data))
    version = _versions.get(key)
    code = qrcode.QRCode(
        version=version,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=BORDER,
        mask_pattern=MASK,
    )
    code.add_data(data, optimize=0)
    code.make(fit=version is None)
    _versions[key] = code.version
    return code.get_matrix()


@functools.lru_cache(maxsize=8)
def _squares(size: int) -> list[list[str]]:
    """Each module's unit square as path data, by row and column (made once per code size)."""
    return [[f"M{x},{y}H{x + 1}V{y + 1}H{x}z" for x in range(size)] for y in range(size)]


def svg_from(modules: Matrix) -> str:
    """An SVG document: one path of unit squares in module coordinates, black, no background."""
    size = len(modules)
    table = _squares(size)
    squares = "".join(
        [
            square
            for row, row_squares in zip(modules, table, strict=True)
            for dark, square in zip(row, row_squares, strict=True)
            if dark
        ]
    )
    return (
        f'<svg width="{size}mm" height="{size}mm" version="1.1" viewBox="0 0 {size} {size}" '
        f'xmlns="http://www.w3.org/2000/svg"><path d="{squares}" id="qr-path" fill="#000000" '
        'fill-opacity="1" fill-rule="nonzero" stroke="none" /></svg>'
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_from(modules: Matrix, box_size: int = PNG_BOX) -> bytes:
    """A 1-bit greyscale PNG, black on white, `box_size` pixels per module."""
    size = len(modules) * box_size
    rows = []
    if box_size % 8 == 0:  # a module is whole bytes: no bits to shift (PNG_BOX)
        black, white = b"\x00" * (box_size // 8), b"\xff" * (box_size // 8)
        for row in modules:
            line = b"\x00" + b"".join([black if dark else white for dark in row])
            rows.append(line * box_size)  # filter type 0
    else:
        white_bits, black_bits = "1" * box_size, "0" * box_size
        width_bytes = (size + 7) // 8
        for row in modules:
            bits = "".join(black_bits if dark else white_bits for dark in row)
            line = b"\x00" + int(bits.ljust(width_bytes * 8, "1"), 2).to_bytes(width_bytes, "big")
            rows.append(line * box_size)
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6)),
            _png_chunk(b"IEND", b""),
        )
    )


def qr_svg(payload: str, *, box_size: int = SVG_BOX) -> str:
    """An SVG document (one path, black, scalable) of the payload."""
    return svg_from(matrix(payload))


def qr_png(payload: str, *, box_size: int = PNG_BOX) -> bytes:
    """A PNG of the payload, black on white."""
    return png_from(matrix(payload), box_size)


def _svg_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _png_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def data_url_svg(payload: str) -> str:
    return _svg_url(qr_svg(payload))


def data_url_png(payload: str) -> str:
    return _png_url(qr_png(payload))


def data_urls(payload: str) -> tuple[str, str]:
    """The SVG and PNG data URLs of one payload, from one matrix."""
    modules = matrix(payload)
    return _svg_url(svg_from(modules)), _png_url(png_from(modules))


def svg_inline(payload: str) -> str:
    """The SVG markup to place inline in an HTML page (no XML declaration), with a title for
    screen readers left to the page around it."""
    return qr_svg(payload)
