import numpy as np

from envs import rendering


def test_draw_tiles_paints_each_tile_and_the_gaps():
    colors = np.zeros((2, 3, 3), np.uint8)
    colors[1, 2] = (255, 0, 0)
    image = rendering.draw_tiles(colors, 4, 5, gap=1)
    assert image.shape == (2 * 5 + 1, 3 * 6 + 1, 3)
    assert (image[6:10, 13:18] == (255, 0, 0)).all()  # tile (1, 2)
    assert (image[0] == rendering.BACKGROUND).all() and (image[:, 6] == rendering.BACKGROUND).all()


def test_outline_and_mark_stay_inside_their_tile():
    image = rendering.draw_tiles(np.zeros((2, 2, 3), np.uint8), 9)
    rendering.outline_tile(image, 1, 0, 9, thickness=2)
    rendering.mark_tile_center(image, 1, 0, 9, color=rendering.WHITE)
    tile = image[9:18, 0:9]
    assert (tile[0] == rendering.HIGHLIGHT).all() and (tile[:, -1] == rendering.HIGHLIGHT).all()
    assert (tile[4, 4] == rendering.WHITE).all()
    assert (image[:9] == 0).all() and (image[:, 9:] == 0).all()


def test_palette_colors_stand_apart():
    palette = rendering.PALETTE.astype(int)
    distances = np.abs(palette[:, None] - palette[None]).sum(-1)
    assert distances[~np.eye(len(palette), dtype=bool)].min() >= 60
