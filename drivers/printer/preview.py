"""A picture of the receipt for the till's screen, drawn from the same layout as the printout.

Text is set in DejaVu Sans Mono, the monospace font python-barcode ships (python-barcode and
qrcode are python-escpos dependencies, so the preview needs nothing beyond the printer's own
library and works offline); codes are drawn with the same libraries python-escpos prints with.
"""
import io
from collections.abc import Mapping
from functools import cache

import barcode
import qrcode
from barcode.writer import ImageWriter
from PIL import Image, ImageDraw, ImageFont

from . import receipt

FONT_SIZE = 20
LINE_HEIGHT = 26
MARGIN = 16
_PAPER, _INK = "white", "black"


def render_preview(document: Mapping, width: int = 42, code: str = "code128") -> bytes:
    """The receipt as a PNG; InvalidReceipt if the document is malformed."""
    lines = receipt.layout(document, width, code)
    font = _font(FONT_SIZE)
    column = font.getlength("M")
    paper_width = round(width * column) + 2 * MARGIN
    strips = [_strip(line, paper_width, column) for line in lines]
    image = Image.new("RGB", (paper_width, sum(s.height for s in strips) + 2 * MARGIN), _PAPER)
    y = MARGIN
    for strip in strips:
        image.paste(strip, (0, y))
        y += strip.height
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(ImageWriter().font_path, size)


def _strip(line: receipt.Line, paper_width: int, column: float) -> Image.Image:
    """One line drawn across the paper's width."""
    if line.style in ("barcode", "qr"):
        return _code_strip(line, paper_width)
    big = line.style == "title"
    height = 2 * LINE_HEIGHT if big else LINE_HEIGHT
    strip = Image.new("RGB", (paper_width, height), _PAPER)
    draw = ImageDraw.Draw(strip)
    font = _font(2 * FONT_SIZE) if big else _font(FONT_SIZE)
    text = line.text.strip() if big else line.text
    x = (paper_width - font.getlength(text)) / 2 if big else MARGIN
    ink = _INK
    if line.style == "banner":
        text = line.text.strip()
        x = MARGIN + (len(line.text) - len(text)) * column
        draw.rectangle((x - 4, 0, x + font.getlength(text) + 4, height - 1), fill=_INK)
        ink = _PAPER
    for dx in (0, 1) if line.style != "normal" else (0,):  # bold: overstrike one pixel right
        draw.text((x + dx, (height - font.size) / 2), text, font=font, fill=ink)
    return strip


def _code_strip(line: receipt.Line, paper_width: int) -> Image.Image:
    """A Code 128 with its text underneath, or a QR code, centred on the paper."""
    if line.style == "barcode":
        # 0.2 mm modules at 254 dpi are 2 pixels, as on an 80 mm printer.
        options = {"module_width": 0.2, "module_height": 8, "quiet_zone": 2, "dpi": 254,
                   "write_text": False}
        symbol = barcode.get("code128", line.data, writer=ImageWriter()).render(options)
    else:
        qr = qrcode.QRCode(box_size=6, border=2)
        qr.add_data(line.data)
        symbol = qr.make_image().get_image()
    symbol = symbol.convert("RGB")
    if symbol.width > paper_width:
        symbol = symbol.resize((paper_width, symbol.height * paper_width // symbol.width),
                               Image.Resampling.NEAREST)
    text_height = LINE_HEIGHT if line.style == "barcode" else 0
    strip = Image.new("RGB", (paper_width, symbol.height + text_height), _PAPER)
    strip.paste(symbol, ((paper_width - symbol.width) // 2, 0))
    if text_height:
        font = _font(FONT_SIZE)
        x = (paper_width - font.getlength(line.data)) / 2
        ImageDraw.Draw(strip).text((x, symbol.height), line.data, font=font, fill=_INK)
    return strip
