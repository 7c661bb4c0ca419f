"""The rich menu images, drawn with Pillow and the Sarabun font: one coloured tile per command with its
Thai label large and bold, and a small English line under it.

Thai needs real text shaping (vowels and tone marks stacked on their consonant), which Pillow does with
its raqm layout; without raqm the basic layout is used with a warning and marks may sit badly. The output
is deterministic (same layout, Pillow and font: same bytes) and within LINE's rules: PNG, 2500 px wide,
width/height >= 1.45, at most 1 MB.
"""

from __future__ import annotations

import functools
import io
import logging
import warnings
from dataclasses import dataclass

import fontpkg_sarabun
from PIL import Image, ImageDraw, ImageFont, features

from bot.richmenus import Cell, Layout, cells, menu_size

log = logging.getLogger("bot.richmenu_images")

BOLD_FONT = fontpkg_sarabun.ROOT / "files" / "Sarabun-Bold.ttf"
CAPTION_FONT = fontpkg_sarabun.ROOT / "files" / "Sarabun-Medium.ttf"
BACKGROUND = "#f3f0e8"
TEXT = "#ffffff"
CAPTION_TEXT = "#e8ecef"
GUTTER = 14  # px between tiles and around the edge (half on each side of a cell boundary)
CORNER_RADIUS = 44
PADDING = 48  # inside a tile, around its text
LABEL_SIZES = range(150, 70, -4)  # the largest that fits every label of a menu is used for all of them
LINE_PITCH = 1.35  # baseline to baseline of a label's lines, in ems
ABOVE_BASELINE = 0.75  # how far a Thai line reaches above its baseline (consonants and most marks), in ems
BELOW_BASELINE = 0.3  # and below it (ุ ู ฤ), in ems
CAPTION_SIZE = 64
CAPTION_GAP = 24  # from the label's lowest marks to the top of the caption's capitals (roughly)
MAX_BYTES = 1024 * 1024


Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class Text:
    """One line of text to draw, centred on its baseline at `anchor`."""

    anchor: tuple[float, int]
    text: str
    font: ImageFont.FreeTypeFont
    fill: str

    def ink(self) -> Box:
        """The box this text's ink covers."""
        return ImageDraw.Draw(Image.new("L", (1, 1))).textbbox(self.anchor, self.text, font=self.font, anchor="ms")


@dataclass(frozen=True)
class TilePlan:
    """One cell's tile and texts; `label_box` and `caption_box` are where their ink goes (for checks)."""

    cell: Cell
    tile_box: Box
    label_size: int
    label_lines: tuple[Text, ...]
    caption: Text

    @property
    def label_box(self) -> Box:
        return _union([line.ink() for line in self.label_lines])

    @property
    def caption_box(self) -> Box:
        return self.caption.ink()


@functools.cache
def layout_engine() -> ImageFont.Layout:
    """Raqm (HarfBuzz shaping) when Pillow has it, else the basic layout, with a warning."""
    if features.check("raqm"):
        return ImageFont.Layout.RAQM
    message = "Pillow has no raqm: Thai labels on the rich menus may be shaped badly"
    warnings.warn(message, RuntimeWarning, stacklevel=2)
    log.warning(message)
    return ImageFont.Layout.BASIC


@functools.cache
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=layout_engine())


def label_font(size: int) -> ImageFont.FreeTypeFont:
    return font(str(BOLD_FONT), size)


def tile_box(cell: Cell) -> tuple[int, int, int, int]:
    """The cell less half a gutter on each side, so neighbouring tiles are a whole gutter apart."""
    half = GUTTER // 2
    return cell.x + half, cell.y + half, cell.x + cell.width - half, cell.y + cell.height - half


def _baselines(size: int, lines: int, box: Box) -> tuple[list[int], int]:
    """The baselines of a label's lines and of the caption, the whole block centred in `box` from font
    metrics (not ink), so tiles with the same number of lines line up."""
    pitch, caption_drop = round(size * LINE_PITCH), round(size * BELOW_BASELINE) + CAPTION_GAP + CAPTION_SIZE
    block = round(size * ABOVE_BASELINE) + (lines - 1) * pitch + caption_drop
    first = round((box[1] + box[3] - block) / 2 + size * ABOVE_BASELINE)
    label_lines = [first + index * pitch for index in range(lines)]
    return label_lines, label_lines[-1] + caption_drop


def _union(boxes: list[Box]) -> Box:
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


def tile_plan(cell: Cell, size: int) -> TilePlan:
    """Where `cell`'s tile, label (at `size`) and caption go."""
    box = tile_box(cell)
    centre_x = (box[0] + box[2]) / 2
    lines = cell.tile.label.split("\n")
    label_baselines, caption_baseline = _baselines(size, len(lines), box)
    label = tuple(Text((centre_x, baseline), line, label_font(size), TEXT)
                  for line, baseline in zip(lines, label_baselines, strict=True))
    caption = Text((centre_x, caption_baseline), cell.tile.caption, font(str(CAPTION_FONT), CAPTION_SIZE),
                   CAPTION_TEXT)
    return TilePlan(cell, box, size, label, caption)


def _fits(tile: TilePlan) -> bool:
    left, top, right, bottom = _union([tile.label_box, tile.caption_box])
    box = tile.tile_box
    return (left >= box[0] + PADDING and right <= box[2] - PADDING and top >= box[1] + PADDING
            and bottom <= box[3] - PADDING)


def label_size(layout: Layout) -> int:
    """The largest label size at which every label and caption of the layout fits its tile."""
    placed = cells(layout)
    for size in LABEL_SIZES:
        if all(_fits(tile_plan(cell, size)) for cell in placed):
            return size
    return LABEL_SIZES[-1]


def plan(layout: Layout) -> list[TilePlan]:
    """Where every tile and text of `layout` goes."""
    size = label_size(layout)
    return [tile_plan(cell, size) for cell in cells(layout)]


def _draw_tile(draw: ImageDraw.ImageDraw, tile: TilePlan) -> None:
    draw.rounded_rectangle(tile.tile_box, CORNER_RADIUS, fill=tile.cell.tile.colour)
    for text in (*tile.label_lines, tile.caption):
        draw.text(text.anchor, text.text, font=text.font, fill=text.fill, anchor="ms")


@functools.cache  # deterministic, so drawn once per process
def render(layout: Layout) -> bytes:
    """The PNG of `layout`'s menu (RGB, no metadata)."""
    image = Image.new("RGB", menu_size(layout), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for tile in plan(layout):
        _draw_tile(draw, tile)
    output = io.BytesIO()
    image.save(output, format="PNG")
    data = output.getvalue()
    if len(data) > MAX_BYTES:
        raise ValueError(f"rich menu image for {layout.audience} is {len(data)} bytes (LINE allows {MAX_BYTES})")
    return data
