"""LSTM actor-critic policies: one-step acting that exposes the gates, whole-sequence training."""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
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
from rl_lstm.torch_layers import CombinedExtractor, FlattenExtractor, ImageExtractor

LSTMState = tuple[th.Tensor, th.Tensor]


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


class StepWeights(NamedTuple):
    """One layer's weights for :func:`lstm_step`, those of several LSTMs stacked along the
    first axis: transposed, with the two biases summed (None without bias)."""

    w_ih: th.Tensor  # [n_lstms, input, 4 * units]
    w_hh: th.Tensor  # [n_lstms, units, 4 * units]
    bias: th.Tensor | None  # [n_lstms, 1, 4 * units]


def stacked_weights(lstms: Sequence[nn.LSTM]) -> list[StepWeights]:
    """Per layer, the weights of ``lstms`` stacked, so that one batched matmul steps them all."""
    layers = []
    for layer in range(lstms[0].num_layers):
        w_ih, w_hh, *biases = zip(*(lstm.all_weights[layer] for lstm in lstms), strict=True)
        layers.append(
            StepWeights(
                th.stack([w.t() for w in w_ih]),
                th.stack([w.t() for w in w_hh]),
                th.stack([(b_ih + b_hh)[None] for b_ih, b_hh in zip(*biases, strict=True)])
                if biases
                else None,
            )
        )
    return layers


def lstm_step(
    weights: Sequence[StepWeights], x: th.Tensor, state: LSTMState
) -> tuple[LSTMState, th.Tensor]:
    """One timestep of several LSTMs for a batch, computed by hand so the gates are visible
    (nn.LSTM's math).

    ``weights`` come from :func:`stacked_weights`; ``x`` is [batch, input], read by every
    LSTM, or [n_lstms, batch, input]; ``state`` is ``(h, c)`` of shape
    [layers, n_lstms, batch, units]. Returns the new ``(h, c)`` and the sigmoid of the top
    layer's gate pre-activations [n_lstms, batch, 4 * units] in PyTorch's gate order (i, f,
    g, o; the g slot is unused, g goes through tanh).
    """
    h_prev, c_prev = state
    units = h_prev.shape[-1]
    if x.dim() == 2:
        x = x.expand(h_prev.shape[1], *x.shape)
    h_layers, c_layers = [], []
    for layer, (w_ih, w_hh, bias) in enumerate(weights):
        gates = th.bmm(x, w_ih) if bias is None else th.baddbmm(bias, x, w_ih)
        gates.baddbmm_(h_prev[layer], w_hh)
        activations = gates.sigmoid()
        candidate = gates[..., 2 * units : 3 * units].tanh()
        forget_gate, input_gate = activations[..., units : 2 * units], activations[..., :units]
        c = th.addcmul(forget_gate * c_prev[layer], input_gate, candidate)
        x = activations[..., 3 * units :] * c.tanh()
        h_layers.append(x)
        c_layers.append(c)
    return (th.stack(h_layers), th.stack(c_layers)), activations


class SequenceLayout(NamedTuple):
    """Where the steps of a batch of sequences sit in a [n_time, n_columns] grid.

    One column per sequence. A *reset step* is an extra grid cell whose input drives the
    input, forget and output gates to exactly 0, so the state after it is exactly zero:
    that is how a state reset inside a sequence happens within one LSTM call.
    """

    step_positions: th.Tensor  # grid cell (time * n_columns + column) of each step
    reset_positions: th.Tensor  # grid cells of the reset steps
    n_time: int
    n_columns: int


class SequenceContext(NamedTuple):
    """The steps before a batch of sequences, run with gradient only: each sequence's start
    state keeps its value (acting's) and takes the gradient of the context's final state
    (see :meth:`RecurrentActorCriticPolicy.states_through_context`)."""

    observations: th.Tensor | dict[str, th.Tensor]
    layout: SequenceLayout  # one column per sequence, right-aligned, reset steps before
    states: RNNStates  # state at the start of each context
    keep: th.Tensor  # [n_columns] 1.0 where the context reaches the sequence, else 0.0


# Pre-activation of the gates at a reset step: sigmoid of it is exactly 0.0 in float32.
RESET_PREACTIVATION = -1e6


@functools.cache
def _reset_weight(hidden_size: int, device: th.device, dtype: th.dtype) -> th.Tensor:
    """Weight of the reset channel: RESET_PREACTIVATION on the i, f and o gates, 0 on g."""
    weight = th.full((4 * hidden_size, 1), RESET_PREACTIVATION, device=device, dtype=dtype)
    weight[2 * hidden_size : 3 * hidden_size] = 0.0
    return weight


def to_grid(features: th.Tensor, layout: SequenceLayout) -> tuple[th.Tensor, th.Tensor]:
    """Per-step features placed in the grid with the reset channel appended, and that channel."""
    grid_cells = layout.n_time * layout.n_columns
    reset_channel = features.new_zeros(grid_cells, 1)
    reset_channel.index_fill_(0, layout.reset_positions, 1.0)
    grid = features.new_zeros(grid_cells, features.shape[1]).index_copy(
        0, layout.step_positions, features
    )
    return th.cat([grid, reset_channel], 1), reset_channel


@contextlib.contextmanager
def _cudnn_as_acting() -> Iterator[None]:
    """cuDNN's LSTM in full float32, as acting's matmuls are, so training recomputes what
    acting recorded (its TF32 default differs by ~1e-4); and without its warning that it
    copies non-contiguous weights: the reset column makes new ones each call (a few KB)."""
    allow_tf32 = th.backends.cudnn.allow_tf32
    th.backends.cudnn.allow_tf32 = False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="RNN module weights are not part of single")
            yield
    finally:
        th.backends.cudnn.allow_tf32 = allow_tf32


def run_lstm(
    lstm: nn.LSTM,
    grid_input: th.Tensor,
    reset_channel: th.Tensor,
    layout: SequenceLayout,
    state: LSTMState,
) -> tuple[th.Tensor, LSTMState]:
    """Run ``lstm`` over every sequence of ``layout`` (see :func:`to_grid`), one call per layer.

    Each layer's input carries the reset channel, whose fixed weight drives the input,
    forget and output gates to exactly 0 at reset steps. Returns the top layer's output
    for each step and the state at the grid's last time.
    """
    final_h, final_c = [], []
    x = grid_input
    with _cudnn_as_acting() if x.is_cuda else contextlib.nullcontext():
        for layer, (w_ih, *other_weights) in enumerate(lstm.all_weights):
            if layer > 0:
                x = th.cat([x, reset_channel], 1)
            reset_weight = _reset_weight(lstm.hidden_size, w_ih.device, w_ih.dtype)
            output, h, c = th.lstm(
                x.view(layout.n_time, layout.n_columns, -1),
                (state[0][layer : layer + 1], state[1][layer : layer + 1]),
                [th.cat([w_ih, reset_weight], 1), *other_weights],
                lstm.bias,
                1,  # layers
                0.0,  # dropout
                th.is_grad_enabled(),  # train: cuDNN keeps what backward needs only then
                False,  # bidirectional
                False,  # batch_first
            )
            x = output.view(-1, lstm.hidden_size)
            final_h.append(h)
            final_c.append(c)
    return x.index_select(0, layout.step_positions), (th.cat(final_h), th.cat(final_c))


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


def zero_states(states: RNNStates, resets: np.ndarray) -> RNNStates:
    """Copy of ``states`` with the environments marked in ``resets`` zeroed."""
    keep = th.as_tensor(~resets, dtype=th.float32, device=states.pi[0].device).view(1, -1, 1)
    return RNNStates(*((h * keep, c * keep) for h, c in states))


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
        """Actor-only step for ``predict``: zero the state at episode starts, then act."""
        keep = (1.0 - episode_starts).view(1, -1, 1)
        state = (lstm_states[0] * keep, lstm_states[1] * keep)
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
