"""LSTM actor-critic policies: one-step acting that exposes the gates, whole-sequence training."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import torch as th
from gymnasium import spaces
from sb3_contrib.common.recurrent import policies as sb3_contrib_policies
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common import distributions as sb3_distributions
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import Schedule
from torch import nn
from torch.optim import optimizer as torch_optimizer
from torch.optim.adam import adam

from rl_lstm.distributions import CategoricalDistribution
from rl_lstm.flat_parameters import ELEMENTWISE_OPTIMIZERS, FlatParameters
from rl_lstm.gate_init import GateInit
from rl_lstm.lstm import LSTMState, StepWeights, lstm_step, run_lstm, stacked_weights, to_grid
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


# Feature extractor parts that compute a fixed function of the observations.
FIXED_FEATURE_MODULES = (FlattenExtractor, CombinedExtractor, nn.Flatten, nn.ModuleDict)


@contextlib.contextmanager
def unchecked_distributions() -> Iterator[None]:
    """Skip torch.distributions' argument checks, which cost more than the math here.

    Inside the agent the arguments come from its own networks and buffer.
    """
    previous = th.distributions.Distribution._validate_args
    th.distributions.Distribution.set_default_validate_args(False)
    try:
        yield
    finally:
        th.distributions.Distribution.set_default_validate_args(previous)


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
        **kwargs: Any,
    ) -> None:
        self.gate_init = GateInit.parse(gate_init)
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
        if type(self.action_dist) is sb3_distributions.CategoricalDistribution:
            self.action_dist = CategoricalDistribution(self.action_dist.action_dim)
        self._step_weights_cache: dict[int, tuple[tuple, list[StepWeights]]] = {}
        extractors = (self.pi_features_extractor, self.vf_features_extractor)
        self._fixed_features = all(
            type(module) in FIXED_FEATURE_MODULES
            for extractor in extractors
            for module in extractor.modules()
        )
        self._inputs_memo: tuple[Any, SequenceLayout, SequenceInputs] | None = None
        self._pack_parameters(keep_optimizer_state=False)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "gate_init": str(self.gate_init)}

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
        # Fused and foreach optimizer kernels leave the weights' version counters as they
        # were, so an optimizer step clears the cache itself.
        self._clear_cache_hook = self.optimizer.register_step_post_hook(
            lambda *_: self._step_weights_cache.clear()
        )

    def optimizer_step(self) -> None:
        """``self.optimizer.step()``, with the same result. The default optimizer (a fused Adam of
        the flat buffer with no step hooks but the policy's own) goes through torch's functional
        ``adam``: the same kernel, without ``Optimizer.step``'s per-call wrapping, which costs
        about as much as the kernel on these small networks."""
        if not self._steps_as_plain_fused_adam():
            self.optimizer.step()
            return
        flat = self.flat_parameters.data
        group, state = self.optimizer.param_groups[0], self.optimizer.state[flat]
        beta1, beta2 = group["betas"]
        with th.no_grad():
            adam(
                [flat],
                [self.flat_parameters.grad],
                [state["exp_avg"]],
                [state["exp_avg_sq"]],
                [],
                [state["step"]],
                fused=True,
                amsgrad=False,
                beta1=beta1,
                beta2=beta2,
                lr=group["lr"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=False,
            )
        self._step_weights_cache.clear()

    def _steps_as_plain_fused_adam(self) -> bool:
        """Whether ``optimizer.step()`` would be exactly one fused Adam step of the flat buffer
        (with its state already made by a first step) and run no hooks of anyone else's."""
        optimizer = self.optimizer
        if type(optimizer) is not th.optim.Adam or len(optimizer.param_groups) != 1:
            return False
        group = optimizer.param_groups[0]
        flat = self.flat_parameters.data
        options = ("amsgrad", "maximize", "capturable", "differentiable", "decoupled_weight_decay")
        # Where torch keeps step hooks; a torch that keeps them elsewhere gets optimizer.step().
        hooks = [
            getattr(optimizer, "_optimizer_step_pre_hooks", None),
            getattr(torch_optimizer, "_global_optimizer_pre_hooks", None),
            getattr(torch_optimizer, "_global_optimizer_post_hooks", None),
        ]
        post_hooks = getattr(optimizer, "_optimizer_step_post_hooks", None)
        return (
            len(group["params"]) == 1
            and group["params"][0] is flat
            and bool(group.get("fused"))
            and not any(group.get(option) for option in options)
            and flat in optimizer.state
            and None not in hooks
            and not any(hooks)
            and post_hooks is not None
            and list(post_hooks) == [self._clear_cache_hook.id]
        )

    def _apply(self, fn: Any, recurse: bool = True) -> RecurrentActorCriticPolicy:
        # Moving to a device or dtype gives the parameters new storage: pack them again.
        super()._apply(fn, recurse)
        self._inputs_memo = None
        self._pack_parameters()
        return self

    def _step_weights(self, lstms: tuple[nn.LSTM, ...]) -> list[StepWeights]:
        """:func:`stacked_weights` of ``lstms``, rebuilt only when a weight changed
        (in place, by an optimizer step, or by being replaced, e.g. moved to a device)."""
        key = tuple((w._version, w.data_ptr()) for lstm in lstms for w in lstm._flat_weights)
        cached_key, weights = self._step_weights_cache.get(len(lstms), (None, []))
        if cached_key != key:
            with th.no_grad():  # built for acting, reused across steps
                weights = stacked_weights(lstms)
            self._step_weights_cache[len(lstms)] = (key, weights)
        return weights

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
            lstms, x, lstm_states = (self.lstm_actor,), pi_features, (states.pi,)
        else:
            lstms, lstm_states = (self.lstm_actor, self.lstm_critic), (states.pi, states.vf)
            x = (
                pi_features
                if self.share_features_extractor
                else th.stack([pi_features, vf_features])
            )
        stacked_state = tuple(th.stack(parts, 1) for parts in zip(*lstm_states, strict=True))
        (h, c), activations = lstm_step(self._step_weights(lstms), x, stacked_state)
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
        """LSTM input grids of a batch, and the critic's features. Kept for the next call with
        the same observations and layout when the features are a fixed function of the
        observations (no weights): a minibatch of the whole rollout is the same every epoch."""
        memo = self._inputs_memo
        if memo is not None and memo[0] is obs and memo[1] is layout:
            return memo[2]
        pi_features, vf_features = self._split_features(obs)
        pi_grid, reset_channel = to_grid(pi_features, layout)
        vf_grid = pi_grid
        if self.lstm_critic is not None and vf_features is not pi_features:
            vf_grid = to_grid(vf_features, layout)[0]
        inputs = SequenceInputs(vf_features, pi_grid, vf_grid, reset_channel)
        if self._fixed_features and not th.is_inference_mode_enabled():  # autograd can't use those
            self._inputs_memo = (obs, layout, inputs)
        return inputs

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
        else:
            final_vf = final_pi
            latent_vf = latent_pi.detach() if self.shared_lstm else self.critic(vf_features)
        return latent_pi, latent_vf, RNNStates(final_pi, final_vf)

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
            self._step_weights((self.lstm_actor,)), features, (state[0][:, None], state[1][:, None])
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
