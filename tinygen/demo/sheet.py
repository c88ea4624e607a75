"""A contact sheet: every image as a thumbnail with the board's answer under it, framed green when
the answer matches the image's folder label, red when it does not, grey for unlabelled images."""
from __future__ import annotations

import math
from pathlib import Path

from tinygen.errors import TinygenError
from tinygen.staging import staged_file

TILE = 144  # thumbnail box, pixels
CAPTION = 36
PAD = 6
BORDER = 4
COLUMNS = 8
GREEN, RED, GREY = (46, 160, 67), (207, 34, 46), (150, 150, 150)


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType
    except (TypeError, OSError):
        return ImageFont.load_default()


def _fit(text: str, draw, font, width: int, keep_start: bool = False) -> str:
    """The text, shortened with "..." (at the start, or at the end with keep_start) to fit `width`."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "..." if keep_start else "..." + text, font=font) > width:
        text = text[:-1] if keep_start else text[1:]
    return text + "..." if keep_start else "..." + text


def contact_sheet(results: list[dict], images_dir: Path, out: Path, title: str) -> Path:
    """results: per image {"file" (relative to images_dir), "score", "person", "truth" (None when
    unlabelled), "ms"}. Writes a PNG to `out` and returns its path."""
    from PIL import Image, ImageDraw

    if not results:
        raise TinygenError("no results to draw")
    columns = min(COLUMNS, len(results))
    rows = math.ceil(len(results) / columns)
    cell_w, cell_h = TILE + 2 * BORDER + PAD, TILE + 2 * BORDER + CAPTION + PAD
    header = 30
    sheet = Image.new("RGB", (columns * cell_w + PAD, header + rows * cell_h + PAD), "white")
    draw = ImageDraw.Draw(sheet)
    font, small, big = _font(13), _font(11), _font(16)
    legend = "   green: answer matches the folder label, red: it does not, grey: no label"
    draw.text((PAD, 7), _fit(title + legend, draw, big, sheet.width - 2 * PAD, keep_start=True), fill="black", font=big)
    for i, r in enumerate(results):
        x = PAD + (i % columns) * cell_w
        y = header + (i // columns) * cell_h
        truth = r.get("truth")
        color = GREY if truth is None else GREEN if truth == r["person"] else RED
        draw.rectangle([x, y, x + TILE + 2 * BORDER - 1, y + TILE + 2 * BORDER - 1], fill=color)
        try:
            with Image.open(images_dir / r["file"]) as opened:
                thumb = opened.convert("RGB")
                thumb.thumbnail((TILE, TILE))
        except OSError:
            thumb = Image.new("RGB", (TILE, TILE), (230, 230, 230))
        inner = Image.new("RGB", (TILE, TILE), (245, 245, 245))
        inner.paste(thumb, ((TILE - thumb.width) // 2, (TILE - thumb.height) // 2))
        sheet.paste(inner, (x + BORDER, y + BORDER))
        verdict = "" if truth is None else ("  ok" if truth == r["person"] else "  WRONG")
        label = f"{'person' if r['person'] else 'no person'} {r['score']:.2f}{verdict}"
        draw.text((x, y + TILE + 2 * BORDER + 2), label, fill=color if truth is not None else "black", font=font)
        draw.text((x, y + TILE + 2 * BORDER + 19), _fit(Path(r["file"]).name, draw, small, TILE + 2 * BORDER),
                  fill=(90, 90, 90), font=small)
    out = Path(out)
    with staged_file(out) as staging:
        sheet.save(staging)
    return out
