"""Benchmarks of rl_lstm against sb3-contrib's RecurrentPPO.

``python -m train.benchmark speed`` runs both agents on masked CartPole at identical
hyperparameters (rl-zoo3's CartPoleNoVel-v1 preset), alternating them in one process:
env-steps/s over the same step budget, time to solve, and the compute floor.

``python -m train.benchmark trials`` trains rl_lstm on trial tasks with ``memory="trial"`` and
with ``memory="episode"`` and prints the mean return of each episode position within a trial:
MemoryMaze kept for several episodes (later episodes should score higher only when the state is
carried across them) and the 5-arm trial bandit (against random play and the Bayes-optimal total).

``python -m train.benchmark suite`` trains every task with its preset for rl_lstm and the
baselines over seeds and tabulates what each reaches (see train/suite.py).

``python -m train.benchmark memory`` trains them on MemoryChain over a range of gap lengths and
shows the longest gap each learns (see train/memory_probe.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sb3_contrib
import torch as th
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecNormalize, sync_envs_normalization

import envs  # noqa: F401  (registers MaskedCartPole-v0)
import rl_lstm
from rl_lstm.buffer import SequenceLayout
from train import env_factory, memory_probe, suite
from train.algos import make_model
from train.config import TrainConfig
from train.evaluation import play_episodes
from train.presets import preset_for
from train.trial_curves import TrialTracker

ENV_ID = "MaskedCartPole-v0"
SOLVED_RETURN = 475.0
AGENTS: dict[str, type[BaseAlgorithm]] = {
    "sb3-contrib": sb3_contrib.RecurrentPPO,
    "rl_lstm": rl_lstm.RecurrentPPO,
}
# rl-zoo3's CartPoleNoVel-v1 preset for ppo_lstm; config b: longer sequences.
CONFIGS: dict[str, dict[str, int]] = {
    "a": {"n_steps": 32, "batch_size": 256},
    "b": {"n_steps": 128, "batch_size": 512},
}
N_ENVS = 8


def hyperparameters(config: str) -> dict[str, Any]:
    """Constructor arguments shared by both agents for ``config``."""
    return {
        **CONFIGS[config],
        "n_epochs": 20,
        "gamma": 0.98,
        "gae_lambda": 0.8,
        "learning_rate": LinearSchedule(1e-3, 0.0, 1.0),
        "clip_range": LinearSchedule(0.2, 0.0, 1.0),
        "ent_coef": 0.0,
        "policy_kwargs": {
            "lstm_hidden_size": 64,
            "enable_critic_lstm": True,
            "activation_fn": th.nn.ReLU,
            "ortho_init": False,
            "net_arch": {"pi": [64], "vf": [64]},
        },
    }


def make_env(seed: int, training: bool = True) -> VecNormalize:
    """Masked CartPole, 8 envs, normalised observations and rewards as in rl-zoo3."""
    venv = make_vec_env(ENV_ID, n_envs=N_ENVS if training else 1, seed=seed)
    return VecNormalize(venv, gamma=0.98, training=training, norm_reward=training)


def make_agent(name: str, config: str, seed: int, device: str = "cpu") -> BaseAlgorithm:
    return AGENTS[name](
        "MlpLstmPolicy", make_env(seed), seed=seed, device=device, **hyperparameters(config)
    )


class TrainingClock(BaseCallback):
    """Times training only; every ``eval_every`` steps pauses to evaluate, stops when solved."""

    def __init__(self, eval_env: VecNormalize | None, eval_every: int, eval_episodes: int) -> None:
        super().__init__()
        self.eval_env, self.eval_every, self.eval_episodes = eval_env, eval_every, eval_episodes
        self.training_seconds = 0.0
        self.solved_at: int | None = None
        self._next_eval = eval_every

    def _on_training_start(self) -> None:
        self._resumed = time.perf_counter()

    def _on_step(self) -> bool:
        if self.eval_env is None or self.num_timesteps < self._next_eval:
            return True
        self.training_seconds += time.perf_counter() - self._resumed
        self._next_eval += self.eval_every
        sync_envs_normalization(self.training_env, self.eval_env)
        mean_return, _ = evaluate_policy(
            self.model, self.eval_env, n_eval_episodes=self.eval_episodes, deterministic=True
        )
        self._resumed = time.perf_counter()
        if mean_return >= SOLVED_RETURN:
            self.solved_at = self.num_timesteps
            return False
        return True

    def _on_training_end(self) -> None:
        if self.solved_at is None:
            self.training_seconds += time.perf_counter() - self._resumed


def steps_per_second(
    name: str, config: str, seed: int, steps: int, device: str, min_seconds: float = 0.0
) -> tuple[float, float, int]:
    """Train fresh agents for ``steps`` steps each until they have trained ``min_seconds`` in
    all; return (env-steps/s over all runs, training seconds, runs)."""
    total_steps, seconds, runs = 0, 0.0, 0
    while runs == 0 or seconds < min_seconds:
        agent = make_agent(name, config, seed, device)
        clock = TrainingClock(None, 0, 0)
        agent.learn(steps, callback=clock)
        total_steps += agent.num_timesteps
        seconds += clock.training_seconds
        runs += 1
    return total_steps / seconds, seconds, runs


def time_to_solve(
    name: str, seed: int, max_steps: int, eval_every: int, eval_episodes: int, device: str
) -> tuple[int | None, float]:
    """Env steps and training seconds until a deterministic evaluation reaches 475."""
    agent = make_agent(name, "a", seed, device)
    clock = TrainingClock(make_env(seed + 1000, training=False), eval_every, eval_episodes)
    agent.learn(max_steps, callback=clock)
    return clock.solved_at, clock.training_seconds


def median_seconds(fn: Callable[[], Any], repeats: int, device: th.device) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if device.type == "cuda":  # kernels run asynchronously: wait for them
            th.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compute_floor(config: str, device: str, repeats: int = 25) -> float:
    """Env-steps/s if a rollout cost only its forwards and each epoch one forward+backward
    of the whole buffer in whole-sequence calls (rl_lstm's own networks, no env, no
    optimizer, no resets)."""
    agent = make_agent("rl_lstm", config, seed=0, device=device)
    policy, on = agent.policy, agent.device
    n_steps, n_envs, n_epochs = agent.n_steps, agent.n_envs, agent.n_epochs
    obs = th.randn(n_envs, *agent.observation_space.shape, device=on)
    states = policy.initial_state(n_envs)

    def rollout_forwards() -> None:
        with th.no_grad():
            state = states
            for _ in range(n_steps):
                state = policy.act(obs, state).states

    buffer_obs = th.randn(n_steps * n_envs, *agent.observation_space.shape, device=on)
    actions = th.randint(0, 2, (n_steps * n_envs,), device=on)
    layout = SequenceLayout(
        step_positions=th.arange(n_steps * n_envs, device=on),
        reset_positions=th.zeros(0, dtype=th.long, device=on),
        n_time=n_steps,
        n_columns=n_envs,
    )

    def epoch_forward_backward() -> None:
        values, log_prob, entropy = policy.evaluate_sequences(buffer_obs, actions, layout, states)
        (values.mean() + log_prob.mean() + entropy.mean()).backward()

    rollout_forwards(), epoch_forward_backward()  # warm-up
    seconds = median_seconds(rollout_forwards, repeats, on) + n_epochs * median_seconds(
        epoch_forward_backward, repeats, on
    )
    return n_steps * n_envs / seconds


def round_ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    """Ratios of runs made side by side in each round: their median is robust to the
    machine's load drifting, their spread shows how far it moves them."""
    return [n / d for n, d in zip(numerators, denominators, strict=True)]


def speed(args: argparse.Namespace) -> None:
    th.set_num_threads(args.threads)
    device = args.device
    if device == "auto":
        device = "cuda" if th.cuda.is_available() else "cpu"
    print(
        f"torch {th.__version__}, {th.get_num_threads()} torch thread(s), device {device}, "
        f"env {ENV_ID}"
    )
    print(
        f"\n## Env-steps/s over the first {args.steps} steps: medians over {args.repeats} rounds "
        "(ratios: median of each round's ratio); in a round, sb3-contrib trains once and rl_lstm "
        "as many times as it takes to train as long\n"
    )
    print("| config | sb3-contrib | rl_lstm | ratio | compute floor | rl_lstm / floor |")
    print("|---|---|---|---|---|---|")
    spreads, rl_lstm_runs = [], []
    for config in CONFIGS:
        runs: dict[str, list[float]] = {name: [] for name in [*AGENTS, "floor"]}
        for repeat in range(args.repeats):
            # Alternated, so the agents and the floor see the same machine load. The machine's
            # speed swings within seconds: rl_lstm, several times faster, trains again until it
            # has trained as long as sb3-contrib, so both rates average over as long a stretch.
            rate, seconds, _ = steps_per_second("sb3-contrib", config, repeat, args.steps, device)
            runs["sb3-contrib"].append(rate)
            rate, _, n_runs = steps_per_second(
                "rl_lstm", config, repeat, args.steps, device, min_seconds=seconds
            )
            runs["rl_lstm"].append(rate)
            rl_lstm_runs.append(n_runs)
            runs["floor"].append(compute_floor(config, device))
        ours, theirs, floor = (
            statistics.median(runs[name]) for name in ("rl_lstm", "sb3-contrib", "floor")
        )
        ratios = round_ratios(runs["rl_lstm"], runs["sb3-contrib"])
        of_floor = round_ratios(runs["rl_lstm"], runs["floor"])
        ratio, floor_share = statistics.median(ratios), statistics.median(of_floor)
        print(
            f"| {config} {CONFIGS[config]} | {theirs:.0f} | {ours:.0f} "
            f"| {ratio:.1f}x | {floor:.0f} | {floor_share:.2f} |"
        )
        spreads.append(
            f"{config}: ratio {', '.join(f'{r:.1f}x' for r in ratios)}, "
            f"rl_lstm / floor {', '.join(f'{r:.2f}' for r in of_floor)}"
        )
    print("\nRound by round: " + "; ".join(spreads))
    print(f"rl_lstm runs per round: {min(rl_lstm_runs)} to {max(rl_lstm_runs)}")
    if args.solve_seeds == 0:
        return
    print(f"\n## Time to solve config a (deterministic eval of {args.eval_episodes} episodes")
    print(f"every {args.eval_every} steps reaches {SOLVED_RETURN:.0f}; training time only)\n")
    print("| agent | seed | env steps | seconds |")
    print("|---|---|---|---|")
    solve_seconds: dict[str, list[float]] = {name: [] for name in AGENTS}
    trained = {name: [0, 0.0] for name in AGENTS}  # env steps and seconds over all runs
    for seed in range(args.solve_seeds):
        for name in AGENTS:
            steps, seconds = time_to_solve(
                name, seed, args.max_solve_steps, args.eval_every, args.eval_episodes, device
            )
            solve_seconds[name].append(seconds if steps is not None else float("inf"))
            trained[name][0] += steps or args.max_solve_steps
            trained[name][1] += seconds
            shown = f"{steps}" if steps is not None else f"not solved in {args.max_solve_steps}"
            print(f"| {name} | {seed} | {shown} | {seconds:.1f} |")
    # Steps to solve vary a lot from seed to seed (for both agents alike): the mean over
    # seeds is shown beside the median.
    for statistic in (np.median, np.mean):
        ours, theirs = (statistic(solve_seconds[n]) for n in ("rl_lstm", "sb3-contrib"))
        with np.errstate(invalid="ignore"):  # inf / inf when neither solved: nan
            share = ours / theirs
        print(
            f"\n{statistic.__name__} seconds to solve: rl_lstm {ours:.1f}, sb3-contrib "
            f"{theirs:.1f}; rl_lstm takes {share:.2f} of sb3-contrib's time"
        )
    ours, theirs = (1e3 * trained[n][1] / trained[n][0] for n in ("rl_lstm", "sb3-contrib"))
    print(
        f"\ntraining ms per env step over all runs (less seed luck): rl_lstm {ours:.3f}, "
        f"sb3-contrib {theirs:.3f}; ratio {ours / theirs:.3f}"
    )


@dataclasses.dataclass(frozen=True)
class TrialTask:
    """A trial task of the ``trials`` benchmark: env, its options, changes to its preset, how it
    is evaluated and the scores of reference policies."""

    env: str
    env_kwargs: dict[str, Any]
    episodes_per_trial: int
    changes: dict[str, Any]
    deterministic: bool
    references: tuple[tuple[str, float], ...] = ()


TRIAL_TASKS = {
    # Short episodes, so a first episode is mostly exploring; a smaller LSTM to fit the budget;
    # sampled actions, since a deterministic policy unsure of its way repeats its loops.
    "maze": TrialTask(
        "MemoryMaze-9x9-v0",
        {"episodes_per_trial": 3, "episode_steps": 100},
        3,
        dict(
            total_timesteps=1_000_000,
            n_steps=300,
            batch_size=1200,
            learning_rate=5e-4,
            lstm_hidden_size=128,
        ),
        deterministic=False,
    ),
    "bandit": TrialTask(
        "TrialBandit-5arm-v0",
        {},
        10,
        {},
        deterministic=True,
        references=(("random", 5.0), ("win-stay lose-shift", 6.3), ("Bayes-optimal", 6.66)),
    ),
}


def trial_config(task: TrialTask, memory: str, seed: int, steps: int | None) -> TrainConfig:
    """The env's preset with the task's changes, ``memory`` and the step budget if given."""
    hyperparams = {**dataclasses.asdict(preset_for(task.env)), **task.changes, "memory": memory}
    if steps:
        hyperparams["total_timesteps"] = steps
    return TrainConfig(
        env=task.env, env_kwargs=task.env_kwargs, seed=seed, device="cpu", **hyperparams
    )


def trial_curve(
    cfg: TrainConfig, n_episodes: int, deterministic: bool
) -> tuple[TrialTracker, float]:
    """Train rl_lstm as ``cfg`` says; its evaluation returns by episode position within a trial
    (over at least ``n_episodes``, in whole trials), and the training seconds."""
    train_env = env_factory.make_vec_env(cfg.env, cfg.env_kwargs, cfg.n_envs, cfg.seed)
    model = make_model(cfg, train_env)
    started = time.perf_counter()
    model.learn(cfg.total_timesteps)
    seconds = time.perf_counter() - started
    eval_env = env_factory.make_vec_env(
        cfg.env, cfg.env_kwargs, 1, cfg.seed + 10_000, training=False
    )
    episodes = play_episodes(model, eval_env, n_episodes, deterministic, whole_trials=True)
    train_env.close()
    eval_env.close()
    return episodes.trials, seconds


def trials(args: argparse.Namespace) -> None:
    th.set_num_threads(args.threads)
    for name in args.tasks:
        task = TRIAL_TASKS[name]
        deterministic = task.deterministic if args.deterministic is None else args.deterministic
        play = "deterministic" if deterministic else "sampled"
        budget = trial_config(task, "trial", 0, args.steps).total_timesteps
        k = task.episodes_per_trial
        print(
            f"\n## {task.env} {task.env_kwargs or ''}: {budget:,} steps, {args.seeds} seed(s); "
            f"{args.eval_trials} evaluation trials of {k} episodes ({play} actions)\n"
        )
        positions = " | ".join(f"ep {i}" for i in range(1, k + 1))
        print(f"| memory | {positions} | trial total | last - first | train s |")
        print("|---|" + "---|" * (k + 3))
        for memory in ("trial", "episode"):
            by_position: list[list[float]] = [[] for _ in range(k)]
            totals, seconds = [], 0.0
            for seed in range(args.seeds):
                cfg = trial_config(task, memory, seed, args.steps)
                curve, run_seconds = trial_curve(cfg, args.eval_trials * k, deterministic)
                for position in range(k):
                    by_position[position] += curve.by_position[position + 1]
                totals.append(float(np.mean(curve.trial_returns)))
                seconds += run_seconds
            means = [float(np.mean(returns)) for returns in by_position]
            spread = f" ± {np.std(totals):.2f}" if args.seeds > 1 else ""
            cells = " | ".join(f"{mean:.2f}" for mean in means)
            print(
                f"| {memory} | {cells} | {np.mean(totals):.2f}{spread} | "
                f"{means[-1] - means[0]:+.2f} | {seconds / args.seeds:.0f} |"
            )
        for reference, total in task.references:
            print(f"| {reference} |{' |' * k} {total:.2f} | | |")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m train.benchmark", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    speed_parser = commands.add_parser(
        "speed", help="rl_lstm against sb3-contrib on masked CartPole"
    )
    speed_parser.add_argument("--steps", type=int, default=8192, help="step budget per run")
    speed_parser.add_argument("--repeats", type=int, default=3, help="rounds per config")
    speed_parser.add_argument("--solve-seeds", type=int, default=5, help="0 skips time to solve")
    speed_parser.add_argument("--max-solve-steps", type=int, default=150_000)
    speed_parser.add_argument("--eval-every", type=int, default=2048)
    speed_parser.add_argument("--eval-episodes", type=int, default=20)
    speed_parser.add_argument("--threads", type=int, default=1, help="torch threads")
    speed_parser.add_argument(
        "--device", default="cpu", help="cpu, cuda, or auto (cuda when present); both agents"
    )
    trials_parser = commands.add_parser(
        "trials", help="trial memory against episode memory on MemoryMaze and the trial bandit"
    )
    trials_parser.add_argument(
        "--tasks", nargs="+", choices=list(TRIAL_TASKS), default=list(TRIAL_TASKS)
    )
    trials_parser.add_argument("--steps", type=int, help="step budget per run (default: per task)")
    trials_parser.add_argument("--seeds", type=int, default=1, help="runs per task and memory")
    trials_parser.add_argument("--eval-trials", type=int, default=200)
    trials_parser.add_argument(
        "--deterministic",
        action=argparse.BooleanOptionalAction,
        help="evaluate with argmax actions, or sample them (default: per task)",
    )
    trials_parser.add_argument("--threads", type=int, default=1, help="torch threads")
    suite.add_parser(commands)
    memory_probe.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "speed":
        speed(args)
    elif args.command == "trials":
        trials(args)
    elif args.command == "suite":
        raise SystemExit(suite.suite(args))
    elif args.command == "memory":
        raise SystemExit(memory_probe.memory(args))


if __name__ == "__main__":
    main()
