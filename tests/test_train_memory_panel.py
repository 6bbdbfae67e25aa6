"""Tests of the memory panel: env picture beside recent cell state and gates, boundaries marked."""

from __future__ import annotations

import numpy as np
import pytest

from rl_lstm import RecurrentPPO
from rl_lstm.inspection import MemoryTrace, trace_rollout
from train.env_factory import make_vec_env
from train.memory_panel import GATES, MemoryPanel, position_in_trial, running_returns


def hand_made_trace(steps: int = 30, units: int = 8) -> MemoryTrace:
    """A trace of two trials, the second of two episodes (the state carried across them)."""
    rng = np.random.default_rng(0)
    episode_starts = np.zeros(steps, bool)
    episode_starts[[0, 10, 20]] = True
    trial_starts = np.zeros(steps, bool)
    trial_starts[[0, 10]] = True
    gates = {
        name: rng.random((steps, units)) for name in ("input_gate", "forget_gate", "output_gate")
    }
    return MemoryTrace(
        frames=[np.full((40, 60, 3), t * 8, np.uint8) for t in range(steps)],
        cell=rng.normal(size=(steps, units)),
        hidden=rng.normal(size=(steps, units)),
        rewards=np.ones(steps),
        episode_starts=episode_starts,
        trial_starts=trial_starts,
        state_resets=trial_starts,
        episode_returns=[10.0, 10.0, 10.0],
        **gates,
    )


def test_running_returns_restart_at_episode_starts():
    starts = np.array([True, False, False, True, False])
    np.testing.assert_allclose(running_returns(np.arange(5.0), starts), [0, 1, 3, 3, 7])


def test_panel_draws_one_image_per_step_with_boundaries_marked():
    trace = hand_made_trace()
    panel = MemoryPanel(trace, window=16)
    images = panel.draw_all()
    assert len(images) == 30
    assert images[0].shape == images[-1].shape and images[0].shape[2] == 3
    assert images[0].dtype == np.uint8
    assert not np.array_equal(images[5], images[6])
    # At step 25 the window (steps 10..25) holds a trial start (10) with the state zeroed and an
    # episode start (20): one mark each in the cell heatmap and the three gate heatmaps.
    panel.draw(25)
    assert panel.marks(25) == [(10, "trial start"), (10, "state reset"), (20, "episode start")]
    assert len(panel.boundaries) == 3 * 4
    assert {line.get_linestyle() for line in panel.boundaries} == {"-", "--", "None"}


def pixels_near(image: np.ndarray, axes, x: float, color: tuple[int, int, int]) -> int:
    """How many pixels of ``color`` (within 40 per channel) lie in the column of data
    coordinate ``x``, within the vertical span of ``axes``, or just above it."""
    height = image.shape[0]
    column, _ = axes.transData.transform((x, 0)).round().astype(int)
    bottom, top = axes.bbox.y0, axes.bbox.y1
    rows = image[int(height - top) - 12 : int(height - bottom), column - 1 : column + 2]
    return int((np.abs(rows.astype(int) - color).max(-1) <= 40).sum())


def test_marks_are_drawn_at_the_trial_episode_and_reset_columns():
    trace = hand_made_trace()
    trace.state_resets = trace.episode_starts.copy()  # as memory="episode" would zero it
    panel = MemoryPanel(trace, window=20)
    image = panel.draw(25)  # window: steps 6..25; trial start at 10, episode starts 10 and 20
    axes = panel.heatmaps["cell"].axes
    black, orange, red = (0, 0, 0), (255, 127, 14), (255, 0, 0)
    trial_x, episode_x, plain_x = 10 - 25 - 0.5, 20 - 25 - 0.5, 15 - 25 - 0.5
    assert pixels_near(image, axes, trial_x, black) > 40
    assert pixels_near(image, axes, episode_x, orange) > 40
    assert pixels_near(image, axes, trial_x, red) > 5 and pixels_near(image, axes, episode_x, red)
    for color in (black, orange, red):
        assert pixels_near(image, axes, plain_x, color) == 0


@pytest.mark.parametrize(("memory", "reset_every"), [("trial", 3), ("episode", 1)])
def test_panel_of_a_trial_task_marks_its_episodes_trials_and_resets(memory, reset_every):
    env = make_vec_env(
        "TrialBandit-5arm-v0", {"episodes_per_trial": 3}, 1, seed=0, render_mode="rgb_array"
    )
    model = RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_hidden_size": 4}, memory=memory)
    trace = trace_rollout(model, env, n_episodes=9)  # one-pull episodes, 3 per trial
    panel = MemoryPanel(trace, window=9)
    kinds = {step: kind for step, kind in panel.marks(8) if kind != "state reset"}
    assert kinds == {step: "trial start" if step % 3 == 0 else "episode start" for step in range(9)}
    resets = [step for step, kind in panel.marks(8) if kind == "state reset"]
    assert resets == list(range(0, 9, reset_every))
    panel.draw(8)
    assert panel.title.get_text().startswith("step 8   trial 3, episode 3")


def test_position_in_trial_counts_episodes_from_each_trial_start():
    trial_starts = np.array([True, False, False, False, True, False, False])
    episode_starts = np.array([True, False, True, True, True, False, True])
    assert position_in_trial(trial_starts, episode_starts).tolist() == [1, 1, 2, 3, 1, 1, 2]


def test_heatmaps_show_the_last_window_steps_newest_on_the_right_and_nothing_before_step_0():
    trace = hand_made_trace()
    panel = MemoryPanel(trace, window=16)
    for t in (5, 25):
        panel.draw(t)
        first = max(0, t + 1 - 16)
        shown = t + 1 - first
        for name, values in [("cell", trace.cell)] + [(n, getattr(trace, n)) for n, _ in GATES]:
            image = np.ma.getdata(panel.heatmaps[name].get_array())
            assert image.shape == (8, 16)
            assert np.isnan(image[:, : 16 - shown]).all()
            np.testing.assert_array_equal(image[:, 16 - shown :], values[first : t + 1].T)


def test_title_names_the_step_trial_episode_within_it_episode_overall_and_running_return():
    trace = hand_made_trace()  # trials start at 0 and 10, episodes at 0, 10 and 20; reward 1
    panel = MemoryPanel(trace, window=16)
    panel.draw(23)
    assert panel.title.get_text() == "step 23   trial 2, episode 2   (episode 3)   return 4"


def test_an_image_depends_only_on_its_step_not_on_the_steps_drawn_before():
    panel = MemoryPanel(hand_made_trace(), window=16)
    first = panel.draw(25)
    panel.draw(12)  # other frame, heatmaps and marks (episode start at 10 in view, not 20)
    np.testing.assert_array_equal(panel.draw(25), first)


def test_cell_scale_is_symmetric_about_zero_and_gates_span_zero_to_one():
    panel = MemoryPanel(hand_made_trace(), window=16)
    low, high = panel.heatmaps["cell"].get_clim()
    assert low == -high and high > 0
    for name, _ in GATES:
        assert panel.heatmaps[name].get_clim() == (0.0, 1.0)


def test_an_all_zero_cell_state_gets_a_unit_scale_instead_of_an_empty_one():
    trace = hand_made_trace()
    trace.cell = np.zeros_like(trace.cell)
    panel = MemoryPanel(trace, window=16)
    assert panel.heatmaps["cell"].get_clim() == (-1.0, 1.0)
    assert panel.draw(3).shape[2] == 3


def test_a_task_without_trials_is_drawn_with_episodes_only():
    trace = hand_made_trace()
    trace.trial_starts = trace.episode_starts.copy()  # each episode is a trial of its own
    trace.state_resets = trace.episode_starts.copy()
    panel = MemoryPanel(trace, window=16)
    panel.draw(23)
    assert panel.title.get_text() == "step 23   episode 3   return 4"
    marks = [(10, "episode start"), (10, "state reset"), (20, "episode start"), (20, "state reset")]
    assert panel.marks(23) == marks
    legend = [text.get_text() for text in panel.figure.legends[0].get_texts()]
    assert legend == ["episode start", "state zeroed"]


@pytest.mark.parametrize(("height", "width"), [(40, 600), (300, 300), (400, 600)])
def test_the_figure_fits_the_picture_in_sides_a_video_encoder_takes(height, width):
    trace = hand_made_trace()
    trace.frames = [np.zeros((height, width, 3), np.uint8)] * len(trace.frames)
    panel = MemoryPanel(trace)
    image = panel.draw(2)
    assert image.shape[0] % 16 == 0 and image.shape[1] % 16 == 0
    # A wide picture spans most of the width, any other most of the height.
    extent = panel.env_image.get_window_extent()
    assert max(extent.width / image.shape[1], extent.height / image.shape[0]) > 0.75


def test_the_forget_gate_shows_the_memory_horizon_of_the_window():
    trace = hand_made_trace()
    trace.forget_gate = np.full_like(trace.forget_gate, 0.5)
    trace.forget_gate[20:] = 0.9  # horizons 2 then 10 steps
    panel = MemoryPanel(trace, window=10)
    panel.draw(9)
    assert panel.horizon.get_text() == "memory horizon 2 steps"
    panel.draw(29)
    assert panel.horizon.get_text() == "memory horizon 10 steps"
    assert panel.horizon_at(24) == pytest.approx(1 / (1 - 0.7))  # half of each in the window
