"""`python -m train.tune --env ID`: an Optuna study of recurrent PPO settings, one machine or many.

Every flag of `python -m train.ppo` is accepted: a flag given fixes that setting, and the
searchable settings that are not fixed are searched (TPE sampling, median pruning on the
evaluation returns). Each trial trains ordinary run directories under `<run-dir>/<study>/`. The
study lives in an SQLite file, `<run-dir>/tune.db`, or with `--storage postgresql://...` in a
database that workers on many machines share.

Examples::

    python -m train.tune --env TMaze-v0 --n-trials 50 --total-timesteps 20000
    python -m train.tune --env TMaze-v0 --seeds 3 --search learning_rate n_steps gamma
    python -m train.tune --env TMaze-v0 --storage postgresql://tune@db-host/optuna
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import re
import shlex
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import sqlalchemy
from optuna.trial import TrialState
from stable_baselines3.common.callbacks import BaseCallback

from train.arguments import Arguments, config_problem, parse_args, positive_int
from train.config import TrainConfig
from train.errors import UsageError, exits_on_usage_error
from train.presets import DEFAULTS, Hyperparams
from train.training import train

# What each searched setting may take. Floats are sampled on a log scale and kept to three
# significant digits, so that the best trial's command and preset entry read well and are exact.
N_STEPS = (16, 32, 64, 128, 256, 512)
N_MINIBATCHES = (1, 2, 4, 8)  # batch_size = n_steps * n_envs / this: always a valid batch
CHOICES: dict[str, tuple] = {
    "n_epochs": (1, 2, 4, 8, 16),
    "gamma": (0.9, 0.95, 0.98, 0.99, 0.995, 0.999),
    "gae_lambda": (0.8, 0.9, 0.95, 0.98, 1.0),
    "clip_range": (0.1, 0.2, 0.3),
    "lstm_hidden_size": (16, 32, 64, 128, 256),
    "seq_len": (None, 8, 16, 32, 64),  # at most n_steps; None: whole rollouts
    "refresh_states": (False, True),
}
LOG_RANGES = {"learning_rate": (1e-5, 3e-3), "ent_coef": (1e-5, 0.1)}
# In the order they are sampled: batch_size and seq_len depend on n_steps.
SEARCHABLE = (
    "learning_rate", "n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda", "ent_coef",
    "clip_range", "lstm_hidden_size", "seq_len", "refresh_states",
)  # fmt: skip
LSTM_SETTINGS = frozenset({"lstm_hidden_size", "seq_len", "refresh_states"})
RL_LSTM_SETTINGS = frozenset({"seq_len", "refresh_states"})
PRESET_LABEL = "preset (train/presets.py PRESETS)"
TABLE_ATTEMPTS = 5
HEARTBEAT_S = 60  # a worker that dies without a word has its trial failed after 2 beats missed


def searchable_for(algo: str) -> tuple[str, ...]:
    """The settings a study can search for ``algo``: the memory ones only where they exist."""
    if algo == "rl_lstm":
        excluded = frozenset()
    elif algo == "sb3-contrib":
        excluded = RL_LSTM_SETTINGS
    else:
        excluded = LSTM_SETTINGS
    return tuple(name for name in SEARCHABLE if name not in excluded)


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """The settings a study searches, sampled around the fixed ones of ``base``."""

    base: TrainConfig
    names: tuple[str, ...]

    @classmethod
    def choose(cls, args: Arguments, search: Sequence[str] | None) -> SearchSpace:
        """Searchable settings not fixed by a flag, or those of ``--search``; refuses the rest."""
        cfg, allowed = args.config, searchable_for(args.config.algo)
        for name in search or ():
            if name not in allowed:
                raise UsageError(
                    f"--search {name}: cannot be searched with --algo {cfg.algo}; "
                    f"searchable: {' '.join(allowed)}"
                )
            if name in args.given:
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"--search {name}: {flag} fixes it; give one of the two")
        names = tuple(n for n in allowed if n in (search or allowed) and n not in args.given)
        if not names:
            raise UsageError(
                f"nothing to search: every searchable setting is fixed by a flag "
                f"({' '.join(allowed)})"
            )
        space = cls(cfg, names)
        if "n_steps" in names and not space.n_steps_choices():
            raise UsageError(
                f"no n_steps in {N_STEPS} fits --batch-size {cfg.batch_size} with "
                f"--n-envs {cfg.n_envs} and --seq-len {cfg.seq_len}: fix --n-steps too"
            )
        # The rules between settings, on a config whose searched ones take their widest values.
        widest = {"n_steps": max(space.n_steps_choices()), "seq_len": None}
        widest = {name: value for name, value in widest.items() if name in names}
        n_steps = widest.get("n_steps", cfg.n_steps)
        if "batch_size" in names:
            widest["batch_size"] = n_steps * cfg.n_envs
        if problem := config_problem(dataclasses.replace(cfg, **widest)):
            raise UsageError(problem)
        return space

    def n_steps_choices(self) -> tuple[int, ...]:
        """Rollout lengths that hold a fixed batch size and sequence length."""
        batch = 1 if "batch_size" in self.names else self.base.batch_size
        seq_len = 1 if "seq_len" in self.names else (self.base.seq_len or 1)
        return tuple(n for n in N_STEPS if n * self.base.n_envs >= batch and n >= seq_len)

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Sample the searched settings of one trial, each a valid value for train.ppo."""
        settings: dict[str, Any] = {}
        for name in self.names:
            if name == "n_steps":
                value = trial.suggest_categorical(name, self.n_steps_choices())
            elif name == "batch_size":
                n_steps = settings.get("n_steps", self.base.n_steps)
                minibatches = trial.suggest_categorical("n_minibatches", N_MINIBATCHES)
                value = max(1, n_steps * self.base.n_envs // minibatches)
            elif name in LOG_RANGES:
                low, high = LOG_RANGES[name]
                value = float(f"{trial.suggest_float(name, low, high, log=True):.3g}")
            else:
                value = trial.suggest_categorical(name, CHOICES[name])
            if name == "seq_len" and value is not None:
                value = min(value, settings.get("n_steps", self.base.n_steps))
            settings[name] = value
        return settings


def flag_words(settings: dict[str, Any]) -> list[str]:
    """The train.ppo flags that set ``settings``."""
    words = []
    for name, value in settings.items():
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, list):
            value = " ".join(map(str, value))
        words += ["--" + name.replace("_", "-"), "none" if value is None else str(value)]
    return words


def preset_entry(cfg: TrainConfig) -> str:
    """A `train/presets.py` PRESETS line for the env: the hyperparameters that differ from
    DEFAULTS."""
    changed = {
        field.name: getattr(cfg, field.name)
        for field in dataclasses.fields(Hyperparams)
        if getattr(cfg, field.name) != getattr(DEFAULTS, field.name)
    }
    values = ", ".join(f"{name}={value!r}" for name, value in changed.items())
    return f'"{cfg.env.split(":")[-1]}": dict({values}),'


class TrialReport(BaseCallback):
    """After each evaluation of a trial's run: report the return to the trial, and stop a run
    the pruner gives up on. Seed k of the trial reports at steps k * budget + step."""

    def __init__(
        self, trial: optuna.Trial, seed_index: int, budget: int, wandb_config: dict[str, Any]
    ) -> None:
        super().__init__()
        self.trial, self.seed_index, self.budget = trial, seed_index, budget
        self.wandb_config = wandb_config
        self.pruned_at: int | None = None

    def _on_training_start(self) -> None:
        if self.parent.tracker:
            self.parent.tracker.update_config({"tune": self.wandb_config})

    def _on_step(self) -> bool:
        step = self.parent.last_eval_at
        self.trial.report(self.parent.last_mean_return, self.seed_index * self.budget + step)
        if step < self.budget and self.trial.should_prune():
            self.pruned_at = step
            return False
        return True


class Objective:
    """Train one trial's configuration on each seed; its value is the mean final eval return."""

    def __init__(
        self, args: Arguments, space: SearchSpace, study: str, ppo_argv: Sequence[str], seeds: int
    ) -> None:
        self.args, self.space, self.study, self.seeds = args, space, study, seeds
        self.ppo_argv = list(ppo_argv)
        self.runs_parent = args.runs_parent / re.sub(r"[^A-Za-z0-9._-]+", "-", study)
        self.interrupted: optuna.Trial | None = None

    def __call__(self, trial: optuna.Trial) -> float:
        try:
            return self.run_trial(trial)
        except KeyboardInterrupt:
            self.interrupted = trial
            raise

    def run_trial(self, trial: optuna.Trial) -> float:
        """Train the trial's configuration on every seed, reporting evaluations to the pruner."""
        settings = self.space.suggest(trial)
        base = self.args.config
        exp = f"trial{trial.number}"
        cfg = dataclasses.replace(
            base,
            **settings,
            exp_name=f"{base.exp_name}-{exp}" if "exp_name" in self.args.given else exp,
            wandb_group=base.wandb_group or f"tune/{self.study}",
        )
        trial.set_user_attr("settings", settings)
        command = shlex.join(["python", "-m", "train.ppo", *self.ppo_argv, *flag_words(settings)])
        trial.set_user_attr("command", command)
        trial.set_user_attr("preset", preset_entry(cfg))
        returns, runs = [], []
        for k in range(self.seeds):
            wandb_config = dict(study=self.study, trial=trial.number, params=settings, seed_index=k)
            report = TrialReport(trial, k, cfg.total_timesteps, wandb_config)
            seeded = dataclasses.replace(cfg, seed=base.seed + k)
            run_args = Arguments(seeded, self.runs_parent, None, self.args.given)
            try:
                code = train(run_args, after_eval=report)
            finally:
                if report.parent is not None:  # the run directory was made
                    runs.append(str(report.parent.run_dir.path))
                    trial.set_user_attr("run_dirs", runs)
            if code == 130:
                raise KeyboardInterrupt
            if report.pruned_at is not None:
                raise optuna.TrialPruned(f"seed {base.seed + k} stopped at step {report.pruned_at}")
            returns.append(report.parent.last_mean_return)
            trial.set_user_attr("eval_returns", returns)
        return float(np.mean(returns))


class _NoInterruptTraceback(logging.Filter):
    """Optuna logs a failed trial with its traceback; for Ctrl-C the one-line reason says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and issubclass(record.exc_info[0], KeyboardInterrupt):
            record.exc_info = None
        return True


NO_INTERRUPT_TRACEBACK = _NoInterruptTraceback()


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """The study database at ``url`` (SQLite or PostgreSQL), checked before anything is made."""
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError:
        parsed = None
    backend = parsed.get_backend_name() if parsed else None
    if backend not in ("sqlite", "postgresql"):
        raise UsageError(
            f"--storage {url}: unknown storage URL; accepted: sqlite:///PATH or "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        )
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername == "postgresql":  # the driver `.[postgres]` installs, whatever the default
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine_kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        if not parsed.database:
            raise UsageError(f"--storage {url}: an SQLite study needs a file, sqlite:///PATH")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine_kwargs = {"connect_args": {"timeout": 60}}  # workers wait for each other's writes
    attempts_left = TABLE_ATTEMPTS
    while True:
        attempts_left -= 1
        try:
            with warnings.catch_warnings():  # the heartbeat is marked experimental
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    parsed.render_as_string(hide_password=False),
                    engine_kwargs=engine_kwargs,
                    heartbeat_interval=HEARTBEAT_S,
                    grace_period=2 * HEARTBEAT_S,
                )
        except ImportError:
            raise UsageError(
                f"--storage {shown} needs the {parsed.drivername.split('+')[-1]} driver: "
                "pip install -e '.[postgres]'"
            ) from None
        except sqlalchemy.exc.SQLAlchemyError as error:
            # Workers started together on a new database race to make its tables: the ones
            # that lose find them made on the next attempt.
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            lost_race = (
                isinstance(error, sqlalchemy.exc.IntegrityError) or "already exists" in reason
            )
            if not (lost_race and attempts_left):
                raise UsageError(f"cannot open --storage {shown}: {reason}") from None
            time.sleep(1)


def load_study(storage: optuna.storages.RDBStorage, name: str, cfg: TrainConfig) -> optuna.Study:
    """The study ``name``, made if new; refused if it studies another env or algorithm."""
    try:
        attrs = storage.get_study_user_attrs(storage.get_study_id_from_name(name))
    except KeyError:
        attrs = {}
    if attrs and (attrs.get("env"), attrs.get("algo")) != (cfg.env, cfg.algo):
        raise UsageError(
            f"study {name!r} is a study of --env {attrs.get('env')} --algo {attrs.get('algo')}, "
            f"not --env {cfg.env} --algo {cfg.algo}: pass another --study-name"
        )
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="maximize",
        # The constant liar keeps workers that sample at once from picking the same point.
        sampler=optuna.samplers.TPESampler(constant_liar=True),
        pruner=optuna.pruners.MedianPruner(n_warmup_steps=cfg.total_timesteps // 3),
        load_if_exists=True,
    )
    if not attrs:
        study.set_user_attr("env", cfg.env)
        study.set_user_attr("algo", cfg.algo)
    return study


def top_table(study: optuna.Study, top: int = 10) -> str:
    """Markdown table of the best completed trials, their value and searched settings."""
    done = sorted(
        study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)),
        key=lambda t: t.value,
        reverse=True,
    )[:top]
    names = [n for n in SEARCHABLE if any(n in t.user_attrs.get("settings", {}) for t in done)]
    lines = [
        "| trial | mean eval return | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for t in done:
        settings = t.user_attrs.get("settings", {})
        cells = " | ".join(str(settings.get(n, "-")) for n in names)
        lines.append(f"| {t.number} | {t.value:.4g} | {cells} |")
    return "\n".join(lines)


def save_plots(study: optuna.Study, folder: Path) -> list[Path]:
    """Optuna's optimization history and parameter importance plots, as PNG files."""
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as optuna_plots

    plots = {
        "optimization_history.png": lambda: optuna_plots.plot_optimization_history(study),
        # PED-ANOVA needs no scikit-learn, unlike Optuna's default fANOVA.
        "param_importances.png": lambda: optuna_plots.plot_param_importances(
            study, evaluator=optuna.importance.PedAnovaImportanceEvaluator()
        ),
    }
    saved = []
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in plots.items():
        try:
            with warnings.catch_warnings():  # experimental plots, and few trials to tell apart
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                warnings.simplefilter("ignore", UserWarning)
                axes = draw()
        except (ValueError, RuntimeError) as error:  # too few trials to tell importance
            print(f"note: no {name} yet ({error})")
            continue
        # Written under a temporary name then moved: workers that finish together never
        # leave a half-written file.
        partial = folder / f".{name}.{os.getpid()}.png"
        axes.figure.tight_layout()
        axes.figure.savefig(partial, dpi=120)
        plt.close(axes.figure)
        os.replace(partial, folder / name)
        saved.append(folder / name)
    return saved


def print_report(study: optuna.Study, folder: Path) -> None:
    """The state of the study: trial counts, the best trial (command and preset), top trials."""
    trials = study.get_trials(deepcopy=False)
    counts = {s.name.lower(): sum(t.state == s for t in trials) for s in TrialState}
    print(f"\nstudy {study.study_name}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    if not counts["complete"]:
        print("no trial has completed yet")
        return
    best = study.best_trial
    print(f"best trial: {best.number}, mean eval return {best.value:.4g}")
    lines = {"runs": " ".join(best.user_attrs.get("run_dirs", [])), **best.user_attrs}
    # A trial added to the study by other means may lack them.
    for key, label in (("runs", "runs"), ("command", "command"), ("preset", PRESET_LABEL)):
        if lines.get(key):
            print(f"  {label}: {lines[key]}")
    print(f"\ntop trials\n{top_table(study)}")
    for path in save_plots(study, folder):
        print(f"plot: {path}")


def parse_tune_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """The study's own flags, and the rest: the flags of train.ppo."""
    parser = argparse.ArgumentParser(
        prog="python -m train.tune",
        usage="%(prog)s --env ID [study options] [train.ppo options]",
        description="Tune recurrent PPO with an Optuna study (TPE sampling, median pruning).",
        epilog="Every flag of `python -m train.ppo` (see its --help) is accepted: a flag given "
        "fixes that setting, and the searchable settings not fixed are searched: "
        + " ".join(SEARCHABLE),
        allow_abbrev=False,  # --seed is train.ppo's, not an abbreviation of --seeds
    )
    parser.add_argument(
        "--n-trials",
        type=positive_int,
        default=20,
        metavar="N",
        help="trials this worker runs (each worker on a study runs its own)",
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    parser.add_argument(
        "--storage",
        metavar="URL",
        help="sqlite:///PATH or postgresql://... (default: <run-dir>/tune.db)",
    )
    parser.add_argument("--study-name", metavar="NAME", help="default: <env>__<algo>")
    parser.add_argument(
        "--seeds",
        type=positive_int,
        default=1,
        metavar="K",
        help="seeds per configuration; the objective is their mean eval return",
    )
    parser.add_argument(
        "--search",
        nargs="+",
        metavar="NAME",
        help="search only these settings (default: every searchable one)",
    )
    tune_args, ppo_argv = parser.parse_known_args(argv)
    if tune_args.timeout is not None and not tune_args.timeout > 0:
        parser.error("--timeout must be a positive number of seconds")
    if any(word == "--resume" or word.startswith("--resume=") for word in ppo_argv):
        raise UsageError("--resume continues one run; a study starts its own runs")
    return tune_args, ppo_argv


@exits_on_usage_error
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m train.tune`."""
    tune_args, ppo_argv = parse_tune_args(argv)
    args = parse_args(ppo_argv, check=False)
    cfg = args.config
    space = SearchSpace.choose(args, tune_args.search)
    storage = open_storage(tune_args.storage or f"sqlite:///{args.runs_parent / 'tune.db'}")
    name = tune_args.study_name or f"{cfg.env}__{cfg.algo}"
    study = load_study(storage, name, cfg)
    objective = Objective(args, space, name, ppo_argv, tune_args.seeds)
    for handler in logging.getLogger("optuna").handlers:  # Optuna's own console handler
        handler.addFilter(NO_INTERRUPT_TRACEBACK)  # once, however often main runs
    print(f"study {name} in {storage.url}: searching {' '.join(space.names)}")
    try:
        study.optimize(
            objective, n_trials=tune_args.n_trials, timeout=tune_args.timeout, catch=(ValueError,)
        )
    except KeyboardInterrupt:
        # Ctrl-C in the few moments between trials may leave one running: the heartbeat of the
        # next worker to start a trial fails it.
        if trial := objective.interrupted:
            running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if any(t.number == trial.number for t in running):  # it hit Optuna's own bookkeeping
                study.tell(trial.number, state=TrialState.FAIL)
            # Queued again so that the next worker on the study trains this configuration.
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
            print(f"\ntrial {trial.number} interrupted: marked failed, its parameters queued")
        print_report(study, objective.runs_parent)
        return 130
    print_report(study, objective.runs_parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
