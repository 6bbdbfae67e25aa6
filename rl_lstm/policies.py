"""LSTM actor-critic policies: one-step acting that exposes the gates, whole-sequence training."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import torch as th
from gymnasium import spaces
from sb3_contrib.common.recurrent import policies as sb3_contrib_policies
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import Schedule

from rl_lstm.distributions import unvalidated
from rl_lstm.flat_parameters import ELEMENTWISE_OPTIMIZERS, FlatParameters
from rl_lstm.gate_init import GateInit
from rl_lstm.lstm import LSTMState, lstm_step, run_lstm, stacked_weights, to_grid
from rl_lstm.memory import reset_states
from rl_lstm.torch_layers import CombinedExtractor, FlattenExtractor, ImageExtractor

if TYPE_CHECKING:
    from rl_lstm.buffer import SequenceContext, SequenceLayout


class ActOutput(NamedTuple):
    """What one acting step produces for a batch of environments."""

    actions: th.Tensor
    values: th.Tensor
    log_probs: th.Tensor
    states: RNNStates
    # Sigmoid of the top actor layer's pre-activations [batch, 4, hidden], PyTorch gate
    # order (i, f, g, o); the g slot is unused (g goes through tanh).
    gate_activations: th.Tensor
    # The critic LSTM's top-layer forget gate [batch, hidden], None without a critic LSTM.
    critic_forget_gate: th.Tensor | None


class SequenceInputs(NamedTuple):
    """LSTM input grids of a batch of sequences (:func:`to_grid`) and the critic's features
    (for a critic without LSTM)."""

    vf_features: th.Tensor
    pi_grid: th.Tensor
    vf_grid: th.Tensor
    reset_channel: th.Tensor


SUPPORTED_LSTM_KWARGS = ("bias",)


def _optimizer_kwargs(
    optimizer_class: type[th.optim.Optimizer], optimizer_kwargs: dict[str, Any] | None
) -> dict[str, Any]:
    """SB3's defaults (Adam's eps 1e-5 when no kwargs are given), and Adam and AdamW on
    their fused kernels, several times faster on small nets (on CPU from torch 2.4 on)."""
    kwargs = dict(optimizer_kwargs or {})
    if optimizer_kwargs is None and optimizer_class is th.optim.Adam:
        kwargs["eps"] = 1e-5
    fused_on_cpu = tuple(int(part) for part in th.__version__.split(".")[:2]) >= (2, 4)
    fusable = optimizer_class in (th.optim.Adam, th.optim.AdamW)
    if fused_on_cpu and fusable and not {"fused", "foreach"} & set(kwargs):
        kwargs["fused"] = True
    return kwargs


class RecurrentActorCriticPolicy(sb3_contrib_policies.RecurrentActorCriticPolicy):
    """sb3-contrib's LSTM actor-critic (same modules and state dict) with fast paths.

    Acting steps actor and critic together by hand (:func:`lstm_step`), so gate activations
    come for free; training runs a minibatch of whole sequences, resets included, through
    each LSTM in one call (see :func:`run_lstm`).

    :param gate_init: how the LSTMs' gate biases start (:class:`rl_lstm.gate_init.GateInit`):
        ``"sb3"`` (sb3-contrib's), ``"forget:<bias>"`` or ``"chrono:<horizon>"``.
    :param critic_trains_shared_lstm: with ``shared_lstm``, the value loss trains the shared
        LSTM too, so what the critic needs to know (a cue that decides the return) stays in
        the state the actor reads; sb3-contrib's critic reads it without gradient (False).
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        *args: Any,
        features_extractor_class: type = FlattenExtractor,
        lstm_kwargs: dict[str, Any] | None = None,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
        gate_init: str | GateInit = "sb3",
        critic_trains_shared_lstm: bool = False,
        **kwargs: Any,
    ) -> None:
        self.gate_init = GateInit.parse(gate_init)
        if critic_trains_shared_lstm and not kwargs.get("shared_lstm", False):
            raise ValueError(
                "critic_trains_shared_lstm=True needs shared_lstm=True (and "
                "enable_critic_lstm=False): without a shared LSTM the critic trains its own"
            )
        self.critic_trains_shared_lstm = critic_trains_shared_lstm
        unsupported = sorted(set(lstm_kwargs or {}) - set(SUPPORTED_LSTM_KWARGS))
        if unsupported:
            raise ValueError(
                f"lstm_kwargs {unsupported} are not supported; "
                f"accepted: {list(SUPPORTED_LSTM_KWARGS)}"
            )
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            *args,
            features_extractor_class=features_extractor_class,
            lstm_kwargs=lstm_kwargs,
            optimizer_class=optimizer_class,
            optimizer_kwargs=_optimizer_kwargs(optimizer_class, optimizer_kwargs),
            **kwargs,
        )
        for lstm in (self.lstm_actor, self.lstm_critic):
            if lstm is not None:
                self.gate_init.apply(lstm)
        self.action_dist = unvalidated(self.action_dist)
        self._pack_parameters(keep_optimizer_state=False)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {
            **super()._get_constructor_parameters(),
            "gate_init": str(self.gate_init),
            "critic_trains_shared_lstm": self.critic_trains_shared_lstm,
        }

    def _pack_parameters(self, keep_optimizer_state: bool = True) -> None:
        """Put the parameters in :class:`FlatParameters` and rebuild the optimizer on them:
        on the flat buffer itself when it updates each element on its own."""
        previous = self.optimizer
        self.flat_parameters = FlatParameters(self.parameters())
        elementwise = issubclass(self.optimizer_class, ELEMENTWISE_OPTIMIZERS)
        parameters = [self.flat_parameters.data] if elementwise else self.flat_parameters.parameters
        self.optimizer = self.optimizer_class(
            parameters, lr=previous.param_groups[0]["lr"], **self.optimizer_kwargs
        )
        if keep_optimizer_state:
            self.optimizer.load_state_dict(previous.state_dict())
        # Views of the flat buffer: acting reads the current weights without copying them.
        with th.no_grad():
            self._actor_step_weights = stacked_weights([self.lstm_actor])
            self._step_weights = self._actor_step_weights
            if self.lstm_critic is not None:
                self._step_weights = stacked_weights([self.lstm_actor, self.lstm_critic])

    def _apply(self, fn: Any, recurse: bool = True) -> RecurrentActorCriticPolicy:
        # Moving to a device or dtype gives the parameters new storage: pack them again.
        super()._apply(fn, recurse)
        self._pack_parameters()
        return self

    def initial_state(self, n_envs: int) -> RNNStates:
        """Zero ``(h, c)`` for actor and critic, for ``n_envs`` environments."""
        lstm = self.lstm_actor
        shape = (lstm.num_layers, n_envs, lstm.hidden_size)

        def zeros() -> LSTMState:
            return th.zeros(shape, device=self.device), th.zeros(shape, device=self.device)

        return RNNStates(zeros(), zeros())

    def _split_features(self, obs: th.Tensor | dict[str, th.Tensor]) -> tuple[th.Tensor, th.Tensor]:
        features = self.extract_features(obs)
        if self.share_features_extractor:
            return features, features
        return features

    def act(
        self, obs: th.Tensor | dict[str, th.Tensor], states: RNNStates, deterministic: bool = False
    ) -> ActOutput:
        """One step for every environment: actions, values, log-probs and the next states.

        For acting only: no gradient reaches the weights.
        """
        pi_features, vf_features = self._split_features(obs)
        if self.lstm_critic is None:
            x, lstm_states = pi_features, (states.pi,)
        else:
            lstm_states = (states.pi, states.vf)
            x = (
                pi_features
                if self.share_features_extractor
                else th.stack([pi_features, vf_features])
            )
        stacked_state = tuple(th.stack(parts, 1) for parts in zip(*lstm_states, strict=True))
        (h, c), activations = lstm_step(self._step_weights, x, stacked_state)
        state_pi, state_vf = (h[:, 0], c[:, 0]), (h[:, -1], c[:, -1])
        latent_pi = h[-1, 0]
        # The critic has its own LSTM, reads the actor's without gradient, or is linear.
        if self.lstm_critic is not None:
            latent_vf = h[-1, 1]
        else:
            latent_vf = latent_pi if self.shared_lstm else self.critic(vf_features)
        distribution = self._get_action_dist_from_latent(
            self.mlp_extractor.forward_actor(latent_pi)
        )
        actions = distribution.get_actions(deterministic=deterministic)
        values = self.value_net(self.mlp_extractor.forward_critic(latent_vf)).flatten()
        units = h.shape[-1]
        return ActOutput(
            actions,
            values,
            distribution.log_prob(actions),
            RNNStates(state_pi, state_vf),
            activations[0].view(len(latent_pi), 4, -1),
            activations[1, :, units : 2 * units] if self.lstm_critic is not None else None,
        )

    def step_values(self, obs: th.Tensor | dict[str, th.Tensor], states: RNNStates) -> th.Tensor:
        """Values of ``obs`` one step on from ``states`` (bootstrap of a rollout's end)."""
        return self.act(obs, states, deterministic=True).values

    def evaluate_sequences(
        self,
        obs: th.Tensor | dict[str, th.Tensor],
        actions: th.Tensor,
        layout: SequenceLayout,
        states: RNNStates,
        context: SequenceContext | None = None,
    ) -> tuple[th.Tensor, th.Tensor, th.Tensor | None]:
        """Values, log-probs and entropy of every step of whole sequences (whose gradient
        reaches into ``context`` when given)."""
        if context is not None:
            states = self.states_through_context(states, context)
        latent_pi, latent_vf, _ = self.run_sequences(obs, layout, states)
        distribution = self._get_action_dist_from_latent(
            self.mlp_extractor.forward_actor(latent_pi)
        )
        values = self.value_net(self.mlp_extractor.forward_critic(latent_vf)).flatten()
        return values, distribution.log_prob(actions), distribution.entropy()

    def states_through_context(self, states: RNNStates, context: SequenceContext) -> RNNStates:
        """``states`` as they are, with the gradient of the states that running ``context``
        ends in: ``h + (h_ctx - h_ctx.detach())``. The forward pass stays what acting computed
        (the context's recomputed end state may differ from the stored one, which acting had);
        the backward pass reaches the context's inputs and the state before it."""
        _, _, reached = self.run_sequences(context.observations, context.layout, context.states)
        keep = context.keep.view(1, -1, 1)
        return RNNStates(
            *(
                (h + (h_ctx - h_ctx.detach()) * keep, c + (c_ctx - c_ctx.detach()) * keep)
                for (h, c), (h_ctx, c_ctx) in zip(states, reached, strict=True)
            )
        )

    def _sequence_inputs(
        self, obs: th.Tensor | dict[str, th.Tensor], layout: SequenceLayout
    ) -> SequenceInputs:
        """LSTM input grids of a batch, and the critic's features."""
        pi_features, vf_features = self._split_features(obs)
        pi_grid, reset_channel = to_grid(pi_features, layout)
        vf_grid = pi_grid
        if self.lstm_critic is not None and vf_features is not pi_features:
            vf_grid = to_grid(vf_features, layout)[0]
        return SequenceInputs(vf_features, pi_grid, vf_grid, reset_channel)

    def run_sequences(
        self, obs: th.Tensor | dict[str, th.Tensor], layout: SequenceLayout, states: RNNStates
    ) -> tuple[th.Tensor, th.Tensor, RNNStates]:
        """Actor and critic latents per step, and the states at the end of the grid."""
        vf_features, pi_grid, vf_grid, reset_channel = self._sequence_inputs(obs, layout)
        latent_pi, final_pi = run_lstm(self.lstm_actor, pi_grid, reset_channel, layout, states.pi)
        if self.lstm_critic is not None:
            latent_vf, final_vf = run_lstm(
                self.lstm_critic, vf_grid, reset_channel, layout, states.vf
            )
            return latent_pi, latent_vf, RNNStates(final_pi, final_vf)
        if not self.shared_lstm:
            latent_vf = self.critic(vf_features)
        elif self.critic_trains_shared_lstm:
            latent_vf = latent_pi
        else:
            latent_vf = latent_pi.detach()
        return latent_pi, latent_vf, RNNStates(final_pi, final_pi)

    def _predict(
        self,
        observation: th.Tensor,
        lstm_states: LSTMState,
        episode_starts: th.Tensor,
        deterministic: bool = False,
    ) -> tuple[th.Tensor, LSTMState]:
        """Actor-only step for ``predict``: zero the state where ``episode_starts``, then act."""
        state = reset_states(lstm_states, episode_starts.bool().cpu().numpy())
        features = BasePolicy.extract_features(self, observation, self.pi_features_extractor)
        (h, c), _ = lstm_step(
            self._actor_step_weights, features, (state[0][:, None], state[1][:, None])
        )
        state = (h[:, 0], c[:, 0])
        distribution = self._get_action_dist_from_latent(
            self.mlp_extractor.forward_actor(state[0][-1])
        )
        return distribution.get_actions(deterministic=deterministic), state


class MlpLstmPolicy(RecurrentActorCriticPolicy):
    """LSTM policy for vector (and discrete) observations."""


class CnnLstmPolicy(RecurrentActorCriticPolicy):
    """LSTM policy for images; small images (under 36 px a side) get a 3x3-kernel CNN."""

    def __init__(self, *args: Any, features_extractor_class: type = ImageExtractor, **kwargs: Any):
        super().__init__(*args, features_extractor_class=features_extractor_class, **kwargs)


class MultiInputLstmPolicy(RecurrentActorCriticPolicy):
    """LSTM policy for Dict observations (images and vectors side by side)."""

    def __init__(
        self, *args: Any, features_extractor_class: type = CombinedExtractor, **kwargs: Any
    ):
        super().__init__(*args, features_extractor_class=features_extractor_class, **kwargs)
