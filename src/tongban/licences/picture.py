"""The seal picture (印章图像): a red round seal with the organisation's name along the top arc and a star.

Drawn with Pillow into a transparent PNG, so it can be laid over a document. The drawing is deterministic (same name,
same bytes). A CJK TrueType font is needed, the same one the PDF notices embed (scripts/bootstrap.sh installs
WenQuanYi Zen Hei).
"""

from __future__ import annotations

import functools
import io
import math

from PIL import Image, ImageDraw, ImageFont

from tongban.core.fonts import MISSING_MESSAGE, CjkFontMissing, cjk_font_candidates

SEAL_RED = (220, 20, 30, 255)
SEAL_SIZE_PX = 480  # 42 mm at about 290 dpi: sharp when printed at the seal's real size
SEAL_SIZE_MM = 42  # the usual diameter of an official round seal


@functools.lru_cache(maxsize=1)
def font_path() -> str:
    """The path of a CJK TrueType font on this machine; CjkFontMissing when there is none."""
    candidates = cjk_font_candidates()
    if not candidates:
        raise CjkFontMissing(MISSING_MESSAGE)
    return candidates[0]


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size=size, index=0)


def _star(draw: ImageDraw.ImageDraw, centre: float, radius: float) -> None:
    """A filled five-pointed star, one point straight up."""
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * 0.382  # inner radius of a regular star: sin 18° / sin 126°
        angle = math.radians(-90 + k * 36)
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def _arc_text(image: Image.Image, text: str, *, radius: float, font_size: int) -> None:
    """Characters along the top arc, each turned so its top faces outwards, centred on the top of the circle.

    A long name keeps its height and closes up: the arc never passes 220° (the bottom stays free for the text
    under the star) and each glyph is narrowed to its share of the arc, as on engraved seals.
    """
    if not text:
        return
    centre = image.width / 2
    font = _font(font_size)
    count = len(text)
    step = min(28.0, 220.0 / max(count - 1, 1))  # degrees between characters
    first = -step * (count - 1) / 2
    box = int(font_size * 1.4)
    narrow = min(1.0, 0.92 * radius * math.radians(step) / font_size)
    for index, char in enumerate(text):
        angle = first + index * step  # clockwise from the top
        glyph = Image.new("RGBA", (box, box), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((box / 2, box / 2), char, font=font, fill=SEAL_RED, anchor="mm")
        if narrow < 1.0:
            glyph = glyph.resize((max(1, round(box * narrow)), box), resample=Image.Resampling.LANCZOS)
        turned = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True)
        x = centre + radius * math.sin(math.radians(angle))
        y = centre - radius * math.cos(math.radians(angle))
        image.alpha_composite(turned, (round(x - turned.width / 2), round(y - turned.height / 2)))


def seal_picture_png(name: str, *, below: str = "", size: int = SEAL_SIZE_PX) -> bytes:
    """A red round seal PNG (transparent background): ring, `name` along the top arc, a star, `below` under it."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ring = max(2, round(size * 0.035))
    draw.ellipse([ring / 2, ring / 2, size - ring / 2 - 1, size - ring / 2 - 1], outline=SEAL_RED, width=ring)
    _star(draw, size / 2, size * 0.17)
    font_size = round(size * 0.11)
    _arc_text(image, name, radius=size / 2 - ring - font_size * 0.72, font_size=font_size)
    if below:
        below_size = round(min(size * 0.07, size * 0.5 / len(below)))
        draw.text((size / 2, size * 0.74), below, font=_font(below_size), fill=SEAL_RED, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
