"""Callbacks of a training run: periodic evaluation (best checkpoint, videos), returns by episode
position within a trial, and clean Ctrl-C."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, EventCallback
from stable_baselines3.common.vec_env import VecEnv, sync_envs_normalization
from tqdm import tqdm

from train.evaluation import play_episodes
from train.run_dir import RunDir, save_checkpoint
from train.tracking import Tracker
from train.trial_curves import TrialTracker
from train.video import frames_per_second, write_video


class Evaluation(EventCallback):
    """Every ``eval_freq`` env steps: evaluate with the LSTM state carried, save checkpoints, video.

    The latest checkpoint is refreshed at each evaluation and the best one when the mean return
    beats ``best_mean_return`` (a resumed run's best so far). With ``capture_video`` the first
    evaluation episode is saved under videos/ and sent to W&B. On an env with trials, whole
    trials are played and the mean return per episode position within a trial is logged.
    As with SB3's EvalCallback, ``callback_after_eval`` runs after each evaluation (its
    ``parent.last_mean_return`` is the result) and stops training by returning False.
    """

    def __init__(
        self,
        eval_env: VecEnv,
        run_dir: RunDir,
        eval_freq: int,
        n_episodes: int,
        capture_video: bool = False,
        tracker: Tracker | None = None,
        best_mean_return: float = -np.inf,
        callback_after_eval: BaseCallback | None = None,
    ) -> None:
        super().__init__(callback_after_eval)
        self.eval_env = eval_env
        self.run_dir = run_dir
        self.eval_freq = eval_freq
        self.n_episodes = n_episodes
        self.capture_video = capture_video
        self.tracker = tracker
        self.next_eval_at = 0
        self.last_eval_at: int | None = None
        self.best_mean_return = best_mean_return
        self.last_mean_return = -np.inf
        self.best_at: int | None = None
        self.keep_training = True
        self.videos: list[Path] = []

    def _on_training_start(self) -> None:
        super()._on_training_start()
        self.next_eval_at = (self.num_timesteps // self.eval_freq + 1) * self.eval_freq

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.next_eval_at:
            self.evaluate()
            while self.next_eval_at <= self.num_timesteps:
                self.next_eval_at += self.eval_freq
        return self.keep_training

    def evaluate(self) -> float:
        """Run the evaluation episodes now; log, checkpoint, run ``callback_after_eval`` and
        return the mean episodic return."""
        sync_envs_normalization(self.model.get_env(), self.eval_env)
        episodes = play_episodes(
            self.model,
            self.eval_env,
            self.n_episodes,
            filmed_episodes=int(self.capture_video),
            whole_trials=True,
        )
        returns, lengths, frames = episodes.returns, episodes.lengths, episodes.frames
        step = self.num_timesteps
        mean_return = float(np.mean(returns))
        self.logger.record("time/total_timesteps", step)
        self.logger.record("eval/mean_reward", mean_return)
        self.logger.record("eval/std_reward", float(np.std(returns)))
        self.logger.record("eval/mean_ep_length", float(np.mean(lengths)))
        for key, value in episodes.trials.metrics("eval").items():
            self.logger.record(key, value)
        if mean_return > self.best_mean_return:
            self.best_mean_return, self.best_at = mean_return, step
            save_checkpoint(self.model, self.run_dir.best)
        self.logger.record("eval/best_mean_reward", self.best_mean_return)
        save_checkpoint(self.model, self.run_dir.latest)
        if frames:
            fps = frames_per_second(self.eval_env.metadata)
            video = write_video(frames, self.run_dir.videos / f"eval_{step:09d}.mp4", fps)
            self.videos.append(video)
            if self.tracker:
                self.tracker.log_video("eval/video", video, step)
        self.logger.dump(step)
        self.last_eval_at, self.last_mean_return = step, mean_return
        self.keep_training = self._on_event()
        return mean_return


class TrialCurves(BaseCallback):
    """On an env with trials, logs the training episodes' mean return by position within a trial
    (``rollout/trial_episode_<k>_return``) and per trial, over the last ``window`` of each."""

    def __init__(self, window: int = 100) -> None:
        super().__init__()
        self.window = window
        self.trials: TrialTracker | None = None

    def _on_training_start(self) -> None:
        self.trials = TrialTracker(self.training_env.num_envs, self.window)

    def _on_step(self) -> bool:
        reset_infos = self.training_env.unwrapped.reset_infos
        self.trials.update(self.locals["dones"], self.locals["infos"], reset_infos)
        return True

    def _on_rollout_end(self) -> None:
        for key, value in self.trials.metrics("rollout").items():
            self.logger.record(key, value)


class StopOnInterrupt(BaseCallback):
    """The first Ctrl-C stops training after the current step (so a checkpoint can be saved).

    A second Ctrl-C aborts at once. The previous Ctrl-C handler comes back when training ends
    or aborts; SB3 skips the end of training when ``learn`` raises, so callers whose ``learn``
    may raise call :meth:`restore` themselves.
    """

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = False
        self._previous_handler = None

    def _on_training_start(self) -> None:
        self._previous_handler = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, _signum: int, _frame: object) -> None:
        if self.interrupted:
            self.restore()
            raise KeyboardInterrupt
        self.interrupted = True
        tqdm.write("Ctrl-C: stopping after this step and saving a checkpoint (again to abort)")

    def _on_step(self) -> bool:
        return not self.interrupted

    def _on_training_end(self) -> None:
        self.restore()

    def restore(self) -> None:
        """Put back the Ctrl-C handler that was in force before training (once)."""
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
            self._previous_handler = None
