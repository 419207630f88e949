"""A video for Chromium's fake camera: a QR code of a payload, held still, as a .y4m file.

Chromium plays the file in a loop as the camera when started with
--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<file>. YUV4MPEG2 is a
plain format: one text header line, then per frame "FRAME\\n" and the planes Y (one byte per
pixel), U and V (a quarter each, C420). A black-on-white code needs only luma; chroma is 128
(no colour)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image

WIDTH = 640
HEIGHT = 480


def qr_frame(payload: str, *, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """A greyscale picture of the payload's QR code, centred on white with a quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the border
    modules = len(matrix)
    side = min(width, height) - 40
    scale = max(1, side // modules)
    small = Image.new("L", (modules, modules), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    big = small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(big, ((width - big.width) // 2, (height - big.height) // 2))
    return frame


def y4m_write(path: Path, frame: Image.Image, *, frames: int = 10, fps: int = 10) -> Path:
    """Write `frame` (greyscale, even width and height) `frames` times as a C420 YUV4MPEG2 file."""
    grey = frame.convert("L")
    width, height = grey.size
    if width % 2 or height % 2:
        raise ValueError("4:2:0 needs even sides")
    luma = grey.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(luma)
            out.write(chroma)
            out.write(chroma)
    return path


def qr_video(path: Path, payload: str) -> Path:
    """A fake-camera video at `path` showing the QR code of `payload`."""
    return y4m_write(path, qr_frame(payload))
