"""Tests of writing frames to mp4 and gif files, and of the playback speed taken from an env."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

from train.video import frames_per_second, write_video

COLORS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]


def solid_frames(height: int = 30, width: int = 50) -> list[np.ndarray]:
    """One frame of each colour: a size that is even but not a multiple of 16."""
    return [np.full((height, width, 3), color, np.uint8) for color in COLORS]


def test_mp4_keeps_every_frame_its_size_colours_and_speed(tmp_path):
    frames = solid_frames()
    path = write_video(frames, tmp_path / "a" / "b" / "eval.mp4", fps=12.5)
    assert path == tmp_path / "a" / "b" / "eval.mp4"
    back = imageio.mimread(path, memtest=False)
    assert len(back) == len(frames)
    assert all(frame.shape == (30, 50, 3) for frame in back)  # not padded to 32 x 64
    for written, read in zip(frames, back, strict=True):
        # H.264 stores colours lossily in YUV 4:2:0; a solid frame comes back within a few levels.
        np.testing.assert_allclose(read.reshape(-1, 3).mean(0), written[0, 0], atol=8)
    with imageio.get_reader(path) as reader:
        assert reader.get_meta_data()["fps"] == 12.5


def test_gif_keeps_every_frame_exactly_and_loops_forever_at_the_given_speed(tmp_path):
    frames = solid_frames()
    path = write_video(frames, tmp_path / "nested" / "watch.gif", fps=20)
    assert path == tmp_path / "nested" / "watch.gif"
    back = imageio.mimread(path)
    assert len(back) == len(frames)
    for written, read in zip(frames, back, strict=True):
        np.testing.assert_array_equal(read[..., :3], written)  # few colours: no palette loss
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
    assert durations == [1000 / 20] * len(frames)


def test_writing_into_an_existing_directory_overwrites_a_video_of_the_same_name(tmp_path):
    path = tmp_path / "eval.gif"
    write_video(solid_frames(), path, fps=10)
    write_video(solid_frames()[:2], path, fps=10)
    assert len(imageio.mimread(path)) == 2


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"render_fps": 50}, 50.0),
        ({"render_fps": 12.5}, 12.5),
        ({}, 30.0),
        ({"render_fps": None}, 30.0),
    ],
)
def test_frames_per_second_is_the_envs_render_fps_or_30(metadata, expected):
    fps = frames_per_second(metadata)
    assert fps == expected and type(fps) is float


def test_frames_per_second_falls_back_to_the_given_default():
    assert frames_per_second({"render_modes": ["rgb_array"]}, default=4) == 4.0
    assert frames_per_second({"render_fps": 8}, default=4) == 8.0
