"""Recurrent PPO: sb3-contrib's ``RecurrentPPO`` interface, whole-sequence updates."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
from gymnasium import spaces
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common.callbacks import BaseCallback, CallbackList, ConvertCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.utils import FloatSchedule, explained_variance, obs_as_tensor
from stable_baselines3.common.vec_env import VecEnv

from rl_lstm import checkpoint
from rl_lstm.buffer import SequenceRolloutBuffer
from rl_lstm.checkpoint import TrainingProgress
from rl_lstm.gate_init import GateInit
from rl_lstm.hyperparameters import check_hyperparameters, minibatch_problem
from rl_lstm.inspection import memory_horizon
from rl_lstm.memory import MemoryMode, StateResetRule
from rl_lstm.policies import (
    CnnLstmPolicy,
    MlpLstmPolicy,
    MultiInputLstmPolicy,
    RecurrentActorCriticPolicy,
)
from rl_lstm.progress import StepProgressBar
from rl_lstm.spaces import SUPPORTED_ACTION_SPACES, check_action_space, check_observation_space

SelfRecurrentPPO = TypeVar("SelfRecurrentPPO", bound="RecurrentPPO")
# Constructor arguments kept as attributes of the same name (the schedules aside).
SETTINGS = (
    "n_steps",
    "batch_size",
    "n_epochs",
    "gamma",
    "gae_lambda",
    "normalize_advantage",
    "ent_coef",
    "vf_coef",
    "max_grad_norm",
    "target_kl",
    "seq_len",
    "refresh_states",
    "trial_returns",
    "context",
    "seed",
    "verbose",
)


def _approx_kl(ratio: th.Tensor) -> th.Tensor:
    """KL(old || new) estimated from the ratios new/old of sampled actions' probabilities."""
    return th.mean((ratio - 1) - th.log(ratio))


class RecurrentPPO(OnPolicyAlgorithm):
    """PPO with an LSTM actor-critic, a drop-in for ``sb3_contrib.RecurrentPPO``.

    Same constructor, ``learn``, ``predict``, ``save`` and ``load``. On top:

    :param memory: when the LSTM state is zeroed: ``"episode"``, ``"trial"`` or ``"never"``
        (see :class:`rl_lstm.memory.MemoryMode`).
    :param seq_len: truncated-BPTT length; default: the whole rollout, cut only where
        the state is zeroed.
    :param refresh_states: before each epoch after the first, recompute every sequence's
        start state with the current weights instead of the stale one from acting.
    :param trial_returns: with ``memory="trial"``, returns and advantages run across the
        episodes of a trial and end at its end (the RL² objective).
    :param context: steps before each training sequence (from the previous rollout for the
        first) that the gradient flows through, without their losses: a cue seen up to
        ``context`` steps before a sequence's start can be credited. 0..seq_len.
    :param n_envs: number of environments when ``env`` is an id string.
    """

    policy_aliases: ClassVar[dict[str, type[RecurrentActorCriticPolicy]]] = {
        "MlpLstmPolicy": MlpLstmPolicy,
        "CnnLstmPolicy": CnnLstmPolicy,
        "MultiInputLstmPolicy": MultiInputLstmPolicy,
    }
    policy: RecurrentActorCriticPolicy
    rollout_buffer: SequenceRolloutBuffer

    def __init__(
        self,
        policy: str | type[RecurrentActorCriticPolicy],
        env: GymEnv | str | None,
        learning_rate: float | Schedule = 3e-4,
        n_steps: int = 128,
        batch_size: int = 128,
        n_epochs: int = 10,
        gamma: float = 0.99,
        gae_lambda: float = 0.95,
        clip_range: float | Schedule = 0.2,
        clip_range_vf: float | Schedule | None = None,
        normalize_advantage: bool = True,
        ent_coef: float = 0.0,
        vf_coef: float = 0.5,
        max_grad_norm: float = 0.5,
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        target_kl: float | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        memory: str | MemoryMode = "episode",
        seq_len: int | None = None,
        refresh_states: bool = False,
        trial_returns: bool = True,
        context: int = 0,
        n_envs: int = 1,
        _init_setup_model: bool = True,
    ) -> None:
        if use_sde:
            raise ValueError("use_sde=True is invalid: the LSTM policies have no gSDE; use False")
        settings = dict(
            n_steps=n_steps,
            batch_size=batch_size,
            n_epochs=n_epochs,
            learning_rate=learning_rate,
            gamma=gamma,
            gae_lambda=gae_lambda,
            clip_range=clip_range,
            clip_range_vf=clip_range_vf,
            ent_coef=ent_coef,
            vf_coef=vf_coef,
            max_grad_norm=max_grad_norm,
            target_kl=target_kl,
            seq_len=seq_len,
            context=context,
        )
        check_hyperparameters({**settings, "n_envs": n_envs} if isinstance(env, str) else settings)
        self.memory = MemoryMode.parse(memory)
        if isinstance(env, str):
            env = make_vec_env(env, n_envs=n_envs, seed=seed)
        if env is not None:
            check_observation_space(env.observation_space)
            check_action_space(env.action_space)
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=n_steps,
            gamma=gamma,
            gae_lambda=gae_lambda,
            ent_coef=ent_coef,
            vf_coef=vf_coef,
            max_grad_norm=max_grad_norm,
            use_sde=False,
            sde_sample_freq=sde_sample_freq,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            seed=seed,
            device=device,
            _init_setup_model=False,
            supported_action_spaces=SUPPORTED_ACTION_SPACES,
        )
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.clip_range = clip_range
        self.clip_range_vf = clip_range_vf
        self.normalize_advantage = normalize_advantage
        self.target_kl = target_kl
        self.seq_len = seq_len
        self.refresh_states = refresh_states
        self.trial_returns = trial_returns
        self.context = context
        if _init_setup_model:
            self._setup_model()

    def _setup_model(self) -> None:
        self._setup_lr_schedule()
        self.set_random_seed(self.seed)
        if "gate_init" in self.policy_kwargs:  # "chrono" alone: the training sequences' length
            gate_init = GateInit.parse(self.policy_kwargs["gate_init"])
            horizon = self.seq_len or self.n_steps
            self.policy_kwargs = {
                **self.policy_kwargs,
                "gate_init": str(gate_init.with_horizon(horizon)),
            }
        self.policy = self.policy_class(
            self.observation_space, self.action_space, self.lr_schedule, **self.policy_kwargs
        ).to(self.device)
        if not isinstance(self.policy, RecurrentActorCriticPolicy):
            raise TypeError(f"policy must subclass {RecurrentActorCriticPolicy.__name__}")
        lstm = self.policy.lstm_actor
        self.rollout_buffer = SequenceRolloutBuffer(
            self.n_steps,
            self.n_envs,
            self.observation_space,
            self.action_space,
            self.seq_len or self.n_steps,
            lstm.num_layers,
            lstm.hidden_size,
            self.device,
            self.gamma,
            self.gae_lambda,
            self.context,
        )
        self._reset_rule = StateResetRule(self.memory, self.trial_returns)
        # The states the next step acts from, already zeroed where ``_last_state_resets`` says.
        self._last_lstm_states, self._last_state_resets = self._reset_rule.after_reset(
            self.policy.initial_state(self.n_envs)
        )
        self.clip_range = FloatSchedule(self.clip_range)
        if self.clip_range_vf is not None:
            self.clip_range_vf = FloatSchedule(self.clip_range_vf)

    def _setup_learn(
        self,
        total_timesteps: int,
        callback: MaybeCallback = None,
        reset_num_timesteps: bool = True,
        tb_log_name: str = "run",
        progress_bar: bool = False,
    ) -> tuple[int, BaseCallback]:
        # Checked here, not at construction: a model may be loaded into fewer envs to act.
        if too_large := minibatch_problem(self.n_steps, self.n_envs, self.batch_size):
            warnings.warn(f"{too_large}: each minibatch is the whole rollout", stacklevel=4)
        env_will_reset = reset_num_timesteps or self._last_obs is None
        total_timesteps, callback = super()._setup_learn(
            total_timesteps, callback, reset_num_timesteps, tb_log_name, progress_bar
        )
        if env_will_reset:
            self._last_lstm_states, self._last_state_resets = self._reset_rule.after_reset(
                self._last_lstm_states
            )
        return total_timesteps, callback

    def collect_rollouts(
        self,
        env: VecEnv,
        callback: BaseCallback,
        rollout_buffer: SequenceRolloutBuffer,
        n_rollout_steps: int,
    ) -> bool:
        """Act ``n_rollout_steps`` steps in every env, one batched forward per step."""
        assert self._last_obs is not None, "No previous observation was provided"
        self.policy.set_training_mode(False)
        callback.on_rollout_start()
        states = self._last_lstm_states
        rollout_buffer.begin_rollout()
        # Kept per step and reduced once at the end: cheaper than summing at every step.
        gate_activations, top_cells, critic_forget_gates = [], [], []

        for step in range(n_rollout_steps):
            state_resets = self._last_state_resets  # zeroed in ``states`` before this step
            if step % rollout_buffer.seq_len == 0:
                rollout_buffer.store_start_states(step, states)
            rollout_buffer.store_context_states(step, states)
            with th.inference_mode():  # cheaper than no_grad; the buffer copies what it keeps
                obs_tensor = obs_as_tensor(self._last_obs, self.device)
                out = self.policy.act(obs_tensor, states)
            actions = out.actions.cpu().numpy()
            clipped_actions = actions
            if isinstance(self.action_space, spaces.Box):
                clipped_actions = np.clip(actions, self.action_space.low, self.action_space.high)

            new_obs, rewards, dones, infos = env.step(clipped_actions)
            self.num_timesteps += env.num_envs
            callback.update_locals(locals())
            if not callback.on_step():
                return False
            self._update_info_buffer(infos, dones)

            next_states, next_resets = self._reset_rule.after_step(
                out.states, dones, env.unwrapped.reset_infos
            )
            return_ends = self._reset_rule.return_ends(dones, next_resets)
            # A time limit that ends the return is bootstrapped with the value of the
            # observation it cut off (SB3's handling of truncation), from the states before
            # any reset.
            for env_idx in np.flatnonzero(return_ends):
                terminal_obs = infos[env_idx].get("terminal_observation")
                if terminal_obs is not None and infos[env_idx].get("TimeLimit.truncated", False):
                    env_states = RNNStates(
                        *(
                            (h[:, env_idx : env_idx + 1], c[:, env_idx : env_idx + 1])
                            for h, c in out.states
                        )
                    )
                    with th.no_grad():
                        terminal_value = self.policy.step_values(
                            self.policy.obs_to_tensor(terminal_obs)[0], env_states
                        )
                    rewards[env_idx] += self.gamma * terminal_value.item()

            rollout_buffer.add(
                step,
                obs_tensor,
                out.actions,
                out.values,
                out.log_probs,
                rewards,
                return_ends,
                state_resets,
            )
            gate_activations.append(out.gate_activations)
            if out.critic_forget_gate is not None:
                critic_forget_gates.append(out.critic_forget_gate)
            top_cells.append(out.states.pi[1][-1])
            self._last_obs = new_obs
            self._last_state_resets = next_resets
            states = next_states

        self._last_lstm_states = states
        with th.no_grad():
            last_values = self.policy.step_values(obs_as_tensor(new_obs, self.device), states)
        rollout_buffer.finish(last_values)
        self._record_memory_statistics(
            th.stack(gate_activations),
            th.stack(top_cells),
            th.stack(critic_forget_gates) if critic_forget_gates else None,
        )
        callback.update_locals(locals())
        callback.on_rollout_end()
        return True

    def _record_memory_statistics(
        self, gate_activations: th.Tensor, cells: th.Tensor, critic_forget_gate: th.Tensor | None
    ) -> None:
        """Mean |cell state|, mean gate activations and memory horizon of the top actor layer
        over a rollout, and the critic LSTM's horizon (``gate_activations``: [steps, envs, 4,
        hidden]; ``cells`` and ``critic_forget_gate``: [steps, envs, hidden])."""
        input_gate, forget_gate, _, output_gate = gate_activations.mean((0, 1, 3)).tolist()
        self.logger.record("memory/cell_abs_mean", cells.abs().mean().item())
        self.logger.record("memory/input_gate", input_gate)
        self.logger.record("memory/forget_gate", forget_gate)
        self.logger.record("memory/output_gate", output_gate)
        per_unit = gate_activations[:, :, 1].mean((0, 1))  # reduced on the device
        self.logger.record("memory/horizon", memory_horizon(per_unit.cpu().numpy()))
        if critic_forget_gate is not None:
            per_unit = critic_forget_gate.mean((0, 1))
            self.logger.record("memory/horizon_critic", memory_horizon(per_unit.cpu().numpy()))

    def train(self) -> None:
        """PPO update over whole sequences: n_epochs passes of shuffled minibatches."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        clip_range = self.clip_range(self._current_progress_remaining)
        clip_range_vf = None
        if self.clip_range_vf is not None:
            clip_range_vf = self.clip_range_vf(self._current_progress_remaining)
        buffer = self.rollout_buffer
        parameters = self.policy.flat_parameters
        parameters.attach()  # parameters replaced since the last update rejoin the flat buffers
        history: dict[str, list[th.Tensor]] = {
            name: [] for name in ("pg", "value", "entropy", "grad_norm")
        }
        ratios: list[th.Tensor] = []  # clip fraction and approximate KL come from them at the end
        continue_training = True

        for epoch in range(self.n_epochs):
            if epoch > 0 and self.refresh_states:
                buffer.refresh_start_states(self.policy)
            for batch in buffer.minibatches(self.batch_size, self.normalize_advantage):
                values, log_prob, entropy = self.policy.evaluate_sequences(
                    batch.observations, batch.actions, batch.layout, batch.states, batch.context
                )
                advantages = batch.advantages
                ratio = th.exp(log_prob - batch.old_log_prob)
                policy_loss = -th.min(
                    advantages * ratio, advantages * th.clamp(ratio, 1 - clip_range, 1 + clip_range)
                ).mean()

                values_pred = values
                if clip_range_vf is not None:
                    values_pred = batch.old_values + th.clamp(
                        values - batch.old_values, -clip_range_vf, clip_range_vf
                    )
                value_loss = th.nn.functional.mse_loss(batch.returns, values_pred)
                # No analytical entropy (e.g. squashed Gaussians): estimate it from log-probs.
                entropy_loss = -th.mean(-log_prob) if entropy is None else -th.mean(entropy)
                loss = policy_loss + self.vf_coef * value_loss
                if self.ent_coef:  # without an entropy bonus, no backward pass through it
                    loss = loss + self.ent_coef * entropy_loss

                if self.target_kl is not None:
                    approx_kl = _approx_kl(ratio.detach()).item()
                    if approx_kl > 1.5 * self.target_kl:
                        continue_training = False
                        if self.verbose >= 1:
                            print(f"Early stopping at epoch {epoch}: approx KL {approx_kl:.3f}")
                        break

                parameters.zero_grad()
                loss.backward()
                grad_norm = parameters.clip_grad_norm(self.max_grad_norm)
                self.policy.optimizer.step()

                history["pg"].append(policy_loss.detach())
                history["value"].append(value_loss.detach())
                history["entropy"].append(entropy_loss.detach())
                history["grad_norm"].append(grad_norm)
                ratios.append(ratio.detach())
            self._n_updates += 1
            if not continue_training:
                break

        means = {
            name: th.stack(values).mean().item() if values else float("nan")
            for name, values in history.items()
        }
        means["clip_fraction"] = means["approx_kl"] = float("nan")
        if ratios:
            all_ratios = th.cat(ratios)
            means["clip_fraction"] = ((all_ratios - 1).abs() > clip_range).float().mean().item()
            means["approx_kl"] = _approx_kl(all_ratios).item()
        self.logger.record("train/policy_gradient_loss", means["pg"])
        self.logger.record("train/value_loss", means["value"])
        self.logger.record("train/entropy_loss", means["entropy"])
        self.logger.record("train/clip_fraction", means["clip_fraction"])
        self.logger.record("train/approx_kl", means["approx_kl"])
        self.logger.record("train/grad_norm", means["grad_norm"])
        self.logger.record("train/loss", loss.item())
        self.logger.record(
            "train/explained_variance",
            explained_variance(
                buffer.values.flatten().cpu().numpy(), buffer.returns.flatten().cpu().numpy()
            ),
        )
        if hasattr(self.policy, "log_std"):
            self.logger.record("train/std", th.exp(self.policy.log_std).mean().item())
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/clip_range", clip_range)
        if clip_range_vf is not None:
            self.logger.record("train/clip_range_vf", clip_range_vf)

    def learn(
        self: SelfRecurrentPPO,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "RecurrentPPO",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfRecurrentPPO:
        return super().learn(
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )

    def predict(
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
        trial_start: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """Actions and the next actor state, the state zeroed as the memory mode says.

        ``"episode"``: where ``episode_start`` (sb3-contrib's ``predict``). ``"trial"``: where
        ``episode_start`` and ``trial_start``, read with
        ``rl_lstm.memory.trial_starts(env.unwrapped.reset_infos)``; without ``trial_start``,
        every episode start is taken as a trial start, with a warning. ``"never"``: nowhere.
        A ``state`` of None starts from zeros.
        """
        if episode_start is not None and self.memory is not MemoryMode.EPISODE:
            episode_start = self._reset_rule.resets(episode_start, trial_start)
        return self.policy.predict(observation, state, episode_start, deterministic)

    def _init_callback(self, callback: MaybeCallback, progress_bar: bool = False) -> BaseCallback:
        """SB3's, with a bar that counts env steps up to the step training really ends at."""
        if progress_bar:
            if isinstance(callback, list):
                callback = CallbackList(callback)
            elif callback is not None and not isinstance(callback, BaseCallback):
                callback = ConvertCallback(callback)
            others = [callback] if callback is not None else []
            callback = CallbackList([*others, StepProgressBar()])
        return super()._init_callback(callback)

    def settings(self) -> dict[str, Any]:
        """The constructor's keyword arguments that rebuild this model (env and device aside);
        schedules as the model holds them."""
        return {
            **{name: getattr(self, name) for name in SETTINGS},
            "stats_window_size": self._stats_window_size,
            "memory": self.memory.value,
            "policy_kwargs": self.policy_kwargs,
            "learning_rate": self.lr_schedule,
            "clip_range": self.clip_range,
            "clip_range_vf": self.clip_range_vf,
        }

    def training_progress(self) -> TrainingProgress:
        """Steps and updates done and the acting LSTM states, for a checkpoint."""
        return TrainingProgress(self.num_timesteps, self._n_updates, self._last_lstm_states)

    def restore_training_progress(self, progress: TrainingProgress) -> None:
        """Continue from ``progress``; its LSTM states are kept only if they fit ``n_envs``."""
        self.num_timesteps = progress.num_timesteps
        self._n_updates = progress.n_updates
        states = progress.lstm_states
        if states.pi[0].shape[1] == self.n_envs:
            self._last_lstm_states = RNNStates(
                *((h.to(self.device), c.to(self.device)) for h, c in states)
            )

    def save(self, path: Any, exclude: Any = None, include: Any = None) -> None:
        """Write a checkpoint: JSON config and tensors only, nothing that unpickles code."""
        checkpoint.save_model(self, path)

    @classmethod
    def load(
        cls: type[SelfRecurrentPPO],
        path: Any,
        env: GymEnv | None = None,
        device: th.device | str = "auto",
        custom_objects: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SelfRecurrentPPO:
        """Rebuild a model from :meth:`save`'s checkpoint.

        ``custom_objects`` and ``kwargs`` replace saved settings (e.g. a ``policy_kwargs``
        naming a custom feature extractor class, which a checkpoint cannot restore by itself).
        """
        overrides = {**(custom_objects or {}), **kwargs}
        return checkpoint.load_model(cls, path, env=env, device=device, overrides=overrides)
