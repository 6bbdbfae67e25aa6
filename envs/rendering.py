"""Small numpy drawing helpers for ``render_mode="rgb_array"``: boards of colored tiles."""

from __future__ import annotations

import numpy as np

# Colors that stand apart (Tableau 10), then lighter variants for larger sets.
PALETTE = np.array(
    [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (188, 189, 34),
        (23, 190, 207),
        (127, 127, 127),
    ],
    dtype=np.uint8,
)
BACKGROUND = np.array((24, 24, 32), dtype=np.uint8)
FLOOR = np.array((220, 220, 220), dtype=np.uint8)
WALL = np.array((60, 60, 70), dtype=np.uint8)
HIDDEN = np.array((40, 70, 140), dtype=np.uint8)
HIGHLIGHT = np.array((255, 215, 0), dtype=np.uint8)
AGENT = np.array((0, 0, 0), dtype=np.uint8)
WHITE = np.array((255, 255, 255), dtype=np.uint8)


class TextOrImageRender:
    """``render()`` for tasks drawn as text (``"ansi"``) and as a picture (``"rgb_array"``)."""

    render_mode: str | None

    def render(self) -> np.ndarray | str | None:
        if self.render_mode == "ansi":
            return self._render_text()
        if self.render_mode == "rgb_array":
            return self._render_image()
        return None

    def _render_text(self) -> str:
        raise NotImplementedError

    def _render_image(self) -> np.ndarray:
        raise NotImplementedError


def draw_tiles(
    colors: np.ndarray, tile_h: int, tile_w: int | None = None, gap: int = 0
) -> np.ndarray:
    """Paint an (rows, cols, 3) array of tile colors as an image, tiles separated by ``gap`` px."""
    tile_w = tile_h if tile_w is None else tile_w
    rows, cols = colors.shape[:2]
    image = np.empty((rows * (tile_h + gap) + gap, cols * (tile_w + gap) + gap, 3), np.uint8)
    image[:] = BACKGROUND
    for row in range(rows):
        top = gap + row * (tile_h + gap)
        tiles = np.repeat(colors[row], tile_w, axis=0)
        if gap:
            strip = image[top : top + tile_h, gap:].reshape(tile_h, cols, tile_w + gap, 3)
            strip[:, :, :tile_w] = tiles.reshape(cols, tile_w, 3)
        else:
            image[top : top + tile_h] = tiles
    return image


def _tile_corner(row: int, col: int, tile_h: int, tile_w: int, gap: int) -> tuple[int, int]:
    """Top-left pixel of tile (row, col) in an image made by ``draw_tiles``."""
    return gap + row * (tile_h + gap), gap + col * (tile_w + gap)


def outline_tile(
    image: np.ndarray,
    row: int,
    col: int,
    tile_h: int,
    tile_w: int | None = None,
    gap: int = 0,
    color: np.ndarray = HIGHLIGHT,
    thickness: int = 2,
) -> None:
    """Draw a frame on the border of one tile of an image made by ``draw_tiles``."""
    tile_w = tile_h if tile_w is None else tile_w
    top, left = _tile_corner(row, col, tile_h, tile_w, gap)
    t = max(1, min(thickness, tile_h // 3, tile_w // 3))
    image[top : top + t, left : left + tile_w] = color
    image[top + tile_h - t : top + tile_h, left : left + tile_w] = color
    image[top : top + tile_h, left : left + t] = color
    image[top : top + tile_h, left + tile_w - t : left + tile_w] = color


def mark_tile_center(
    image: np.ndarray,
    row: int,
    col: int,
    tile_h: int,
    tile_w: int | None = None,
    gap: int = 0,
    color: np.ndarray = AGENT,
) -> None:
    """Fill the middle third of one tile, e.g. to show where the agent stands."""
    tile_w = tile_h if tile_w is None else tile_w
    top, left = _tile_corner(row, col, tile_h, tile_w, gap)
    dh, dw = max(1, tile_h // 3), max(1, tile_w // 3)
    image[top + dh : top + tile_h - dh, left + dw : left + tile_w - dw] = color
