"""RecurrentPPO: training sees what acting saw, memory modes, determinism, learning."""

from __future__ import annotations

import copy
from unittest import mock

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import sb3_contrib
import torch as th
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common import distributions as sb3_distributions
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import configure
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize, sync_envs_normalization

from rl_lstm import RecurrentPPO
from rl_lstm import distributions as rl_lstm_distributions
from rl_lstm.buffer import SequenceLayout
from tests.conftest import scheduled_vec_env

N_STEPS = 12
POLICY_VARIANTS = {
    "separate": {},
    "shared": {"shared_lstm": True, "enable_critic_lstm": False},
    "no-critic-lstm": {"enable_critic_lstm": False},
    "two-layers": {"n_lstm_layers": 2},
}


class RecordRollouts(BaseCallback):
    """At each rollout's end, before any gradient step: recompute the stored sequences."""

    def __init__(self) -> None:
        super().__init__()
        self.max_differences: list[tuple[float, float]] = []
        self.state_resets: list[np.ndarray] = []
        self.dones: list[np.ndarray] = []
        self.start_states: list[th.Tensor] = []
        self.end_states: list[th.Tensor] = []

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        batch = buffer.all_sequences()
        with th.no_grad():
            values, log_prob, _ = self.model.policy.evaluate_sequences(
                batch.observations, batch.actions, batch.layout, batch.states, batch.context
            )
        self.max_differences.append(
            (
                (values - batch.old_values).abs().max().item(),
                (log_prob - batch.old_log_prob).abs().max().item(),
            )
        )
        self.state_resets.append(buffer.state_resets.copy())
        self.dones.append(self.locals["dones"].copy())
        self.start_states.append(buffer.start_states.pi[1][:, : buffer.n_envs].clone())
        self.end_states.append(self.model.training_progress().lstm_states.pi[1].clone())


def small_model(
    memory: str,
    seq_len: int | None = None,
    device: str = "cpu",
    context: int = 0,
    **policy_kwargs,
) -> RecurrentPPO:
    return RecurrentPPO(
        "MlpLstmPolicy",
        scheduled_vec_env(),
        n_steps=N_STEPS,
        batch_size=24,
        n_epochs=2,
        memory=memory,
        seq_len=seq_len,
        context=context,
        policy_kwargs={"lstm_hidden_size": 16, "net_arch": [16], **policy_kwargs},
        device=device,
        seed=0,
    )


@pytest.mark.skipif(not th.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("variant", POLICY_VARIANTS)
@pytest.mark.parametrize("memory", ["episode", "trial"])
def test_on_cuda_buffer_and_update_stay_on_the_device(memory, variant):
    model = small_model(memory, seq_len=5, device="cuda", **POLICY_VARIANTS[variant])
    recorder = RecordRollouts()
    model.learn(2 * N_STEPS * model.n_envs, callback=recorder)
    assert model.rollout_buffer.values.is_cuda and model.rollout_buffer.actions.is_cuda
    assert max(max(pair) for pair in recorder.max_differences) <= 1e-5


@pytest.mark.parametrize("variant", POLICY_VARIANTS)
@pytest.mark.parametrize(("seq_len", "context"), [(None, 0), (5, 0), (None, 7), (5, 3)])
@pytest.mark.parametrize("memory", ["episode", "trial", "never"])
def test_training_recomputes_what_acting_recorded(memory, seq_len, context, variant):
    model = small_model(memory, seq_len, context=context, **POLICY_VARIANTS[variant])
    recorder = RecordRollouts()
    model.learn(3 * N_STEPS * model.n_envs, callback=recorder)
    assert len(recorder.max_differences) == 3
    assert max(max(pair) for pair in recorder.max_differences) <= 1e-5


def test_recomputation_holds_with_refreshed_states_and_box_actions():
    env = make_vec_env("Pendulum-v1", n_envs=3, seed=0)
    model = RecurrentPPO(
        "MlpLstmPolicy",
        env,
        n_steps=20,
        seq_len=6,
        batch_size=30,
        n_epochs=3,
        refresh_states=True,
        policy_kwargs={"lstm_hidden_size": 8},
        seed=0,
    )
    recorder = RecordRollouts()
    model.learn(120, callback=recorder)
    assert max(max(pair) for pair in recorder.max_differences) <= 1e-5


def test_with_a_context_the_gradient_reaches_back_past_the_rollout_start():
    model = small_model("never", context=N_STEPS)
    _, callback = model._setup_learn(10 * N_STEPS, None)
    for _ in range(2):  # no update between them: acting's states are the current weights'
        model.collect_rollouts(model.env, callback, model.rollout_buffer, N_STEPS)
    batch, policy = model.rollout_buffer.all_sequences(), model.policy
    context = batch.context
    n_columns = batch.layout.n_columns
    assert context.keep.tolist() == [1.0] * n_columns and context.layout.n_time == N_STEPS

    def gradients(observations, actions, layout, states, context=None):
        """Weight gradients of the rollout's losses, and the observations' gradient."""
        policy.zero_grad()
        observations = observations.clone().requires_grad_(True)
        if context is not None:
            context = context._replace(observations=observations)
            observations = batch.observations
        values, log_prob, _ = policy.evaluate_sequences(
            observations, actions, layout, states, context
        )
        n_losses = len(batch.actions)  # the rollout's steps come last
        (values[-n_losses:].sum() + log_prob[-n_losses:].sum()).backward()
        weights = [p.grad.clone() for p in policy.parameters() if p.grad is not None]
        return weights, (context.observations if context else observations).grad

    through, observations_grad = gradients(
        context.observations, batch.actions, batch.layout, batch.states, context
    )
    # The same as back-propagating through the previous rollout's last steps and this one,
    # run as one sequence from the state before them (the context's actions are not scored).
    n_time = N_STEPS + batch.layout.n_time
    unrolled, _ = gradients(
        th.cat([context.observations, batch.observations]),
        th.cat([batch.actions[: len(context.observations)], batch.actions]),
        SequenceLayout(
            th.arange(n_time * n_columns), th.zeros(0, dtype=th.long), n_time, n_columns
        ),
        context.states,
    )
    for expected, actual in zip(unrolled, through, strict=True):
        assert th.allclose(actual, expected, atol=1e-5)
    # The inputs N_STEPS steps before the rollout start get a gradient in every column...
    assert (observations_grad[:n_columns].abs().sum(1) > 0).all()
    # ... and exactly none where the context does not reach its sequence.
    cut = context._replace(keep=th.zeros(n_columns))
    _, cut_grad = gradients(context.observations, batch.actions, batch.layout, batch.states, cut)
    assert th.equal(cut_grad, th.zeros_like(cut_grad))
    without, _ = gradients(batch.observations, batch.actions, batch.layout, batch.states)
    assert not all(th.allclose(a, b, atol=1e-5) for a, b in zip(without, through, strict=True))


def expected_resets(memory: str, dones_before: np.ndarray, trial_starts: np.ndarray) -> np.ndarray:
    if memory == "episode":
        return dones_before
    if memory == "trial":
        return dones_before & trial_starts
    return np.zeros_like(dones_before)


@pytest.mark.parametrize("memory", ["episode", "trial", "never"])
def test_state_is_zeroed_exactly_where_the_memory_mode_says(memory):
    model = small_model(memory)
    recorder = RecordRollouts()
    model.learn(2 * N_STEPS * model.n_envs, callback=recorder)
    resets = np.concatenate(recorder.state_resets)  # [2 * N_STEPS, n_envs]
    # Env 0: every episode lasts 1 step, trials of 2 episodes; env 1: 12-step episodes;
    # env 3 never ends. Before step t the state is zeroed if step t-1 ended the episode.
    steps = np.arange(1, 2 * N_STEPS)
    assert (
        resets[1:, 0].tolist()
        == expected_resets(memory, np.ones(len(steps), bool), steps % 2 == 0).tolist()
    )
    ends_env1 = steps % 12 == 0
    assert resets[1:, 1].tolist() == expected_resets(memory, ends_env1, steps % 24 == 0).tolist()
    assert not resets[1:, 3].any()
    # The first step after the env's reset starts from zeros unless memory is never reset.
    assert resets[0].tolist() == [memory != "never"] * model.n_envs


def test_state_is_carried_across_rollout_boundaries():
    model = small_model("never")
    recorder = RecordRollouts()
    model.learn(3 * N_STEPS * model.n_envs, callback=recorder)
    for previous_end, next_start in zip(
        recorder.end_states[:-1], recorder.start_states[1:], strict=True
    ):
        assert th.equal(previous_end, next_start)
    assert recorder.end_states[0].abs().sum() > 0


def test_same_seed_gives_identical_parameters_and_another_seed_differs():
    def trained(seed: int) -> list[th.Tensor]:
        env = make_vec_env("CartPole-v1", n_envs=2, seed=seed)
        model = RecurrentPPO(
            "MlpLstmPolicy",
            env,
            n_steps=16,
            batch_size=16,
            n_epochs=2,
            policy_kwargs={"lstm_hidden_size": 8},
            seed=seed,
        )
        model.learn(64)
        return [p.detach().clone() for p in model.policy.parameters()]

    first, again, other = trained(3), trained(3), trained(4)
    assert all(th.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(th.equal(a, b) for a, b in zip(first, other, strict=True))


def test_constructor_names_the_bad_hyperparameter():
    with pytest.raises(ValueError, match="seq_len=50 is invalid"):
        RecurrentPPO("MlpLstmPolicy", "CartPole-v1", n_steps=16, seq_len=50)
    with pytest.raises(ValueError, match=r"context=20 is invalid: must be 0..seq_len \(here 16\)"):
        RecurrentPPO("MlpLstmPolicy", "CartPole-v1", n_steps=16, context=20)
    with pytest.raises(ValueError, match=r"context=-1 is invalid"):
        RecurrentPPO("MlpLstmPolicy", "CartPole-v1", n_steps=16, seq_len=8, context=-1)
    with pytest.raises(ValueError, match=r"gamma=1\.5"):
        RecurrentPPO("MlpLstmPolicy", "CartPole-v1", gamma=1.5)
    with pytest.raises(ValueError, match=r"memory='forever'.*'episode', 'trial', 'never'"):
        RecurrentPPO("MlpLstmPolicy", "CartPole-v1", memory="forever")
    for learning_rate in (0.0, -1e-3, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=rf"learning_rate={learning_rate} is invalid"):
            RecurrentPPO("MlpLstmPolicy", "CartPole-v1", learning_rate=learning_rate)
    with pytest.raises(ValueError, match=r"clip_range=nan is invalid"):
        RecurrentPPO("MlpLstmPolicy", "CartPole-v1", clip_range=float("nan"))


def test_a_minibatch_larger_than_the_rollout_trains_on_the_whole_rollout_with_a_warning(tmp_path):
    model = RecurrentPPO("MlpLstmPolicy", "CartPole-v1", n_envs=2, n_steps=8, batch_size=16)
    model.save(tmp_path / "model.zip")
    # As in SB3: loaded into one env, each minibatch is the whole 8-step rollout.
    loaded = RecurrentPPO.load(tmp_path / "model.zip", env=make_vec_env("CartPole-v1"))
    with pytest.warns(UserWarning, match=r"batch_size=16 is more than .* n_steps \* n_envs = 8"):
        loaded.learn(16)
    assert loaded.training_progress().n_updates == 2 * loaded.n_epochs


def test_unsupported_spaces_are_named():
    class TupleEnv(gym.Env):
        observation_space = gym.spaces.Tuple((gym.spaces.Discrete(2), gym.spaces.Discrete(3)))
        action_space = gym.spaces.Discrete(2)

    with pytest.raises(TypeError, match=r"observation space Tuple.*supported: Box"):
        RecurrentPPO("MlpLstmPolicy", TupleEnv())


def test_trial_mode_without_trial_key_warns_once_and_runs():
    env = make_vec_env("CartPole-v1", n_envs=2, seed=0)
    model = RecurrentPPO("MlpLstmPolicy", env, n_steps=64, batch_size=64, memory="trial", seed=0)
    with pytest.warns(UserWarning, match="no 'trial_start' key") as caught:
        model.learn(128)
    assert sum("trial_start" in str(w.message) for w in caught) == 1


def test_memory_statistics_and_gradient_norm_are_logged(tmp_path):
    model = small_model("episode")
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(3 * N_STEPS * model.n_envs)
    logged = pd.read_csv(tmp_path / "progress.csv").iloc[-1]
    for gate in ("input", "forget", "output"):
        assert 0 < logged[f"memory/{gate}_gate"] < 1
    assert logged["memory/cell_abs_mean"] > 0
    assert logged["train/grad_norm"] > 0
    assert 0 <= logged["train/clip_fraction"] < 1 and logged["train/approx_kl"] > 0


ROLLOUT_FIELDS = ("observations", "actions", "rewards", "returns", "advantages", "values")
ROLLOUT_FIELDS += ("log_probs", "episode_starts", "hidden_states_pi", "cell_states_pi")
ROLLOUT_FIELDS += ("hidden_states_vf", "cell_states_vf")


# SGD steps each parameter (it is not on the flat buffer), Adam the flat buffer.
OPTIMIZERS = {
    "adam": {},
    "sgd": {"optimizer_class": th.optim.SGD, "optimizer_kwargs": {"momentum": 0.9}},
}


@pytest.mark.parametrize(
    ("variant", "optimizer"),
    [(variant, "adam") for variant in POLICY_VARIANTS] + [("separate", "sgd")],
)
def test_an_update_equals_sb3_contribs_on_the_same_rollout(variant, optimizer):
    settings = dict(n_steps=N_STEPS, batch_size=4 * N_STEPS, n_epochs=4, ent_coef=0.01, seed=0)
    policy_kwargs = {
        "lstm_hidden_size": 16,
        "net_arch": [16],
        **POLICY_VARIANTS[variant],
        **OPTIMIZERS[optimizer],
    }
    theirs = sb3_contrib.RecurrentPPO(
        "MlpLstmPolicy", scheduled_vec_env(), policy_kwargs=policy_kwargs, **settings
    )
    _, callback = theirs._setup_learn(10 * N_STEPS, None)
    theirs.collect_rollouts(theirs.env, callback, theirs.rollout_buffer, N_STEPS)
    rollout = {name: getattr(theirs.rollout_buffer, name).copy() for name in ROLLOUT_FIELDS}
    weights_before = copy.deepcopy(theirs.policy.state_dict())
    with mock.patch("numpy.random.randint", return_value=0):  # no random cut of a sequence
        theirs.train()

    ours = RecurrentPPO(
        "MlpLstmPolicy", scheduled_vec_env(), policy_kwargs=policy_kwargs, **settings
    )
    ours.policy.load_state_dict(weights_before)
    ours.set_logger(configure(None, []))
    buffer, starts = ours.rollout_buffer, rollout["episode_starts"].astype(bool)
    for step in range(N_STEPS):
        buffer.add(
            step,
            th.as_tensor(rollout["observations"][step]),
            th.as_tensor(rollout["actions"][step, :, 0]).long(),
            th.as_tensor(rollout["values"][step]),
            th.as_tensor(rollout["log_probs"][step]),
            rollout["rewards"][step],
            np.zeros(buffer.n_envs, dtype=bool),  # returns are sb3-contrib's, set below
            starts[step],
        )
    keep = th.as_tensor(~starts[0], dtype=th.float32).view(1, -1, 1)
    start = [th.as_tensor(rollout[name][0]) * keep for name in ROLLOUT_FIELDS[-4:]]
    buffer.store_start_states(0, RNNStates(start[:2], start[2:]))
    buffer.finish(th.zeros(buffer.n_envs))
    buffer.advantages = th.as_tensor(rollout["advantages"])
    buffer.returns = th.as_tensor(rollout["returns"])
    ours.train()

    ours_after = ours.policy.state_dict()
    for name, expected in theirs.policy.state_dict().items():
        assert not th.equal(expected, weights_before[name]), name
        assert th.allclose(ours_after[name], expected, atol=1e-6), name


@pytest.mark.parametrize("variant", POLICY_VARIANTS)
def test_training_with_argmax_actions_follows_sb3_contrib(variant):
    settings = dict(n_steps=N_STEPS, batch_size=4 * N_STEPS, n_epochs=2, seed=0)
    policy_kwargs = {"lstm_hidden_size": 16, "net_arch": [16], **POLICY_VARIANTS[variant]}
    agents = [
        agent_class("MlpLstmPolicy", scheduled_vec_env(), policy_kwargs=policy_kwargs, **settings)
        for agent_class in (sb3_contrib.RecurrentPPO, RecurrentPPO)
    ]
    agents[1].policy.load_state_dict(agents[0].policy.state_dict())
    rollouts = []
    for agent, distribution in zip(agents, (sb3_distributions, rl_lstm_distributions), strict=True):
        _, callback = agent._setup_learn(10 * N_STEPS, None)
        rollouts.append([])
        with (
            mock.patch.object(distribution.CategoricalDistribution, "sample", lambda d: d.mode()),
            mock.patch("numpy.random.randint", return_value=0),  # no random cut of a sequence
        ):
            for _ in range(3):  # states carried across rollouts and updates
                agent.collect_rollouts(agent.env, callback, agent.rollout_buffer, N_STEPS)
                buffer = agent.rollout_buffer
                fields = ("values", "log_probs", "rewards", "advantages", "returns")
                rollouts[-1].append([th.as_tensor(getattr(buffer, f)).clone() for f in fields])
                agent.train()
    for theirs, ours in zip(*rollouts, strict=True):
        for expected, actual in zip(theirs, ours, strict=True):
            assert th.allclose(actual, expected.view(actual.shape), atol=1e-5)


class RecordTopLayer(BaseCallback):
    """The top actor layer's gate activations and cell state at every acting step."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: list[th.Tensor] = []
        self.cells: list[th.Tensor] = []

    def _on_step(self) -> bool:
        out = self.locals["out"]
        self.gates.append(out.gate_activations.clone())
        self.cells.append(out.states.pi[1][-1].clone())
        return True


def test_memory_statistics_are_the_rollout_means(tmp_path):
    model = small_model("episode")
    model.set_logger(configure(str(tmp_path), ["csv"]))
    recorder = RecordTopLayer()
    model.learn(N_STEPS * model.n_envs, callback=recorder)
    logged = pd.read_csv(tmp_path / "progress.csv").iloc[-1]
    gates = th.stack(recorder.gates)  # [steps, envs, 4 (i, f, g, o), hidden]
    for index, gate in ((0, "input"), (1, "forget"), (3, "output")):
        assert logged[f"memory/{gate}_gate"] == pytest.approx(gates[:, :, index].mean().item())
    expected_cell = th.stack(recorder.cells).abs().mean().item()
    assert logged["memory/cell_abs_mean"] == pytest.approx(expected_cell)


def test_memory_horizon_is_the_median_over_units_of_one_over_one_minus_the_forget_gate(tmp_path):
    model = small_model("episode")
    model.set_logger(configure(str(tmp_path), ["csv"]))
    units = model.policy.lstm_actor.hidden_size
    # Forget gates that read nothing and have bias log(k): f = k / (1 + k), horizon 1 + k.
    for lstm, scale in ((model.policy.lstm_actor, 1.0), (model.policy.lstm_critic, 2.0)):
        forget = slice(units, 2 * units)
        with th.no_grad():
            lstm.weight_ih_l0[forget] = 0.0
            lstm.weight_hh_l0[forget] = 0.0
            lstm.bias_ih_l0[forget] = th.log(scale * th.arange(1.0, units + 1))
            lstm.bias_hh_l0[forget] = 0.0
    model.learn(N_STEPS * model.n_envs)
    logged = pd.read_csv(tmp_path / "progress.csv").iloc[-1]
    middle = units / 2  # the median of 1 + k over k = 1..units
    assert logged["memory/horizon"] == pytest.approx(1 + middle + 0.5, rel=1e-5)
    assert logged["memory/horizon_critic"] == pytest.approx(1 + 2 * middle + 1, rel=1e-5)
    shared = small_model("episode", shared_lstm=True, enable_critic_lstm=False)
    shared.set_logger(configure(str(tmp_path / "shared"), ["csv"]))
    shared.learn(N_STEPS * shared.n_envs)
    logged = pd.read_csv(tmp_path / "shared" / "progress.csv").iloc[-1]
    assert logged["memory/horizon"] > 1 and "memory/horizon_critic" not in logged


def value_gradient_on_shared_lstm(critic_trains_shared_lstm: bool) -> th.Tensor:
    """Gradient of the summed values of one rollout on the shared LSTM's weights."""
    model = small_model(
        "episode",
        shared_lstm=True,
        enable_critic_lstm=False,
        critic_trains_shared_lstm=critic_trains_shared_lstm,
    )
    model.learn(N_STEPS * model.n_envs)
    batch = model.rollout_buffer.all_sequences()
    model.policy.zero_grad()
    values, _, _ = model.policy.evaluate_sequences(
        batch.observations, batch.actions, batch.layout, batch.states, batch.context
    )
    values.sum().backward()
    lstm = model.policy.lstm_actor.parameters()
    return th.cat([th.zeros(p.numel()) if p.grad is None else p.grad.flatten() for p in lstm])


def test_the_critic_trains_a_shared_lstm_only_when_asked(tmp_path):
    # sb3-contrib's semantics by default: the value loss leaves the shared LSTM alone.
    assert value_gradient_on_shared_lstm(False).abs().max() == 0
    assert value_gradient_on_shared_lstm(True).abs().max() > 0
    model = small_model(
        "episode", shared_lstm=True, enable_critic_lstm=False, critic_trains_shared_lstm=True
    )
    model.save(tmp_path / "model.zip")
    assert RecurrentPPO.load(tmp_path / "model.zip").policy.critic_trains_shared_lstm
    with pytest.raises(ValueError, match=r"critic_trains_shared_lstm=True needs shared_lstm"):
        small_model("episode", critic_trains_shared_lstm=True)


def test_target_kl_stops_the_epochs_early():
    model = small_model("episode")
    model.n_epochs, model.target_kl = 10, 1e-9
    model.learn(N_STEPS * model.n_envs)
    # The first minibatch is taken (its ratios are 1); a later one's KL exceeds 1.5e-9.
    stopped_after = model.training_progress().n_updates
    assert stopped_after < 10
    model.target_kl = None
    model.learn(N_STEPS * model.n_envs, reset_num_timesteps=False)
    assert model.training_progress().n_updates - stopped_after == 10


class EvaluateUntilSolved(BaseCallback):
    """Stops training once a deterministic 20-episode evaluation reaches ``target``."""

    def __init__(self, eval_env: VecNormalize, every: int, target: float) -> None:
        super().__init__()
        self.eval_env, self.every, self.target = eval_env, every, target
        self.best = -np.inf

    def _on_step(self) -> bool:
        if self.num_timesteps % self.every >= self.training_env.num_envs:
            return True
        sync_envs_normalization(self.training_env, self.eval_env)
        mean_return, _ = evaluate_policy(
            self.model, self.eval_env, n_eval_episodes=20, deterministic=True
        )
        self.best = max(self.best, mean_return)
        return self.best < self.target


def masked_cartpole(n_envs: int, seed: int) -> VecNormalize:
    def hide_velocities(env: gym.Env) -> gym.Env:
        return gym.wrappers.TransformObservation(
            env, lambda obs: obs[[0, 2]], gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
        )

    venv = make_vec_env("CartPole-v1", n_envs=n_envs, seed=seed, wrapper_class=hide_velocities)
    return VecNormalize(VecMonitor(venv), gamma=0.98, training=n_envs > 1, norm_reward=n_envs > 1)


@pytest.mark.slow
def test_learns_cartpole_without_velocities():
    model = RecurrentPPO(
        "MlpLstmPolicy",
        masked_cartpole(8, seed=0),
        n_steps=32,
        batch_size=256,
        n_epochs=20,
        gamma=0.98,
        gae_lambda=0.8,
        learning_rate=LinearSchedule(1e-3, 0.0, 1.0),
        clip_range=LinearSchedule(0.2, 0.0, 1.0),
        policy_kwargs={
            "lstm_hidden_size": 64,
            "activation_fn": th.nn.ReLU,
            "ortho_init": False,
            "net_arch": {"pi": [64], "vf": [64]},
        },
        seed=0,
    )
    solved = EvaluateUntilSolved(masked_cartpole(1, seed=100), every=4096, target=475)
    model.learn(100_000, callback=solved)
    assert solved.best >= 475


def memory_chain_success(context: int, seed: int, steps: int) -> float:
    """Deterministic success rate of rl_lstm on MemoryChain with a 20-step gap and 16-step
    rollouts after ``steps`` of training: the cue always lies in an earlier rollout."""
    import envs  # noqa: F401  (registers MemoryChain-v0)

    def chain(env_seed: int):
        return make_vec_env("MemoryChain-v0", n_envs=8, seed=env_seed, env_kwargs={"length": 20})

    model = RecurrentPPO("MlpLstmPolicy", chain(seed), n_steps=16, batch_size=128,
                         learning_rate=1e-3, ent_coef=0.01, context=context, seed=seed,
                         policy_kwargs={"lstm_hidden_size": 32, "gate_init": "chrono:32",
                                        "net_arch": [32]})  # fmt: skip
    model.learn(steps)
    mean_return, _ = evaluate_policy(model, chain(seed + 100), 64, deterministic=True)
    return (mean_return + 1) / 2  # each episode returns +1 or -1


def test_context_learns_a_gap_longer_than_a_rollout_that_is_chance_without_it():
    # Measured at these settings: with context 16 seeds 0, 1, 2 and 6 of 0-6 reached 1.0 by
    # 12-14k steps (seeds 3, 4, 5 stayed near chance for 40k); without context every seed of
    # 0-3 stayed at chance for 30k steps, as did the sb3 gate initialisation with context.
    assert memory_chain_success(context=16, seed=1, steps=16_384) >= 0.9
    assert memory_chain_success(context=0, seed=1, steps=16_384) <= 0.7
