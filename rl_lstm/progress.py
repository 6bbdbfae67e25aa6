"""A progress bar over environment steps, whose total is the step training will really end at."""

from __future__ import annotations

import math

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm import tqdm


def final_step(model, start: int, total_timesteps: int) -> int:
    """The step ``learn`` stops at: on-policy training runs whole rollouts of n_steps x n_envs."""
    rollout = getattr(model, "n_steps", 1) * model.n_envs
    return start + max(0, math.ceil((total_timesteps - start) / rollout)) * rollout


class StepProgressBar(BaseCallback):
    """A tqdm bar counting env steps (its rate is the SPS) with the mean recent episode return."""

    def __init__(self) -> None:
        super().__init__()
        self.bar: tqdm | None = None

    def _on_training_start(self) -> None:
        start = self.model.num_timesteps
        self.bar = tqdm(
            total=final_step(self.model, start, self.locals["total_timesteps"]),
            initial=start,
            unit="step",
            unit_scale=True,
            dynamic_ncols=True,
            smoothing=0.05,
            mininterval=0.5,
        )

    def _on_step(self) -> bool:
        self.bar.update(self.num_timesteps - self.bar.n)
        return True

    def _on_rollout_end(self) -> None:
        if episodes := self.model.ep_info_buffer:
            self.bar.set_postfix(ret=f"{np.mean([info['r'] for info in episodes]):.3g}")

    def _on_training_end(self) -> None:
        self.bar.close()
