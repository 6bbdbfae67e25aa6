"""Command line of `python -m train.ppo`: flags whose defaults are the preset of the chosen env.

Parsing runs twice: first `--env`, `--algo` and `--resume` alone, to find the preset (or the
config of the run to resume); then every flag, with that preset as defaults, so that `--help`
shows the values in force. The env's own constructor arguments become flags too.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rl_lstm.gate_init import GateInit
from rl_lstm.hyperparameters import (
    RULES,
    HyperparameterError,
    check_hyperparameters,
    minibatch_problem,
    problem,
)
from rl_lstm.memory import MemoryMode
from train.config import ACTIVATIONS, ALGOS, RESUMABLE_FIELDS, TrainConfig, schedule_start
from train.env_factory import check_env, env_options, option_help, resolve_env_id
from train.errors import UsageError
from train.presets import Hyperparams, preset_for
from train.run_dir import RunDir

MEMORY_MODES = tuple(mode.value for mode in MemoryMode)

HELP = {
    "env": "Gymnasium id: ours, Gymnasium's, or 'module:Id' of an installed package",
    "algo": "rl_lstm (ours) | sb3-contrib (reference RecurrentPPO) | ppo | ppo-framestack",
    "exp_name": "experiment name, part of the W&B group <env>/<algo>/<exp>",
    "seed": "random seed of model and envs",
    "device": "auto | cpu | cuda[:N]",
    "threads": "torch CPU threads; 1 is fastest for small LSTMs and never oversubscribes cores",
    "vec_env": "run envs in this process (dummy) or one process each (subproc)",
    "n_envs": "parallel environments",
    "total_timesteps": "env steps to train, summed over envs",
    "n_steps": "steps per env per rollout",
    "batch_size": "minibatch size in env steps",
    "n_epochs": "passes over each rollout",
    "learning_rate": "Adam step size; lin_<x> decays linearly from x to 0",
    "gamma": "discount factor",
    "gae_lambda": "GAE bias/variance trade-off",
    "clip_range": "PPO clip range; lin_<x> decays linearly",
    "clip_range_vf": "value clip range, or none",
    "normalize_advantage": "normalise advantages per minibatch",
    "ent_coef": "entropy bonus coefficient",
    "vf_coef": "value loss coefficient",
    "max_grad_norm": "gradient norm clip",
    "target_kl": "stop an update early past this KL, or none",
    "lstm_hidden_size": "LSTM units",
    "n_lstm_layers": "stacked LSTM layers",
    "shared_lstm": "actor and critic share one LSTM (needs --enable-critic-lstm false)",
    "critic_trains_shared_lstm": "with --shared-lstm, the value loss trains the shared LSTM "
    "too (rl_lstm; sb3-contrib's critic reads it without gradient)",
    "enable_critic_lstm": "the critic has its own LSTM",
    "net_arch": "hidden layer sizes after the LSTM (or of the MLP for ppo)",
    "activation_fn": "activation of the hidden layers",
    "ortho_init": "orthogonal weight initialisation",
    "gate_init": "LSTM gate biases at the start: sb3 | forget:<bias> | chrono[:<horizon>] "
    "(rl_lstm)",
    "memory": "when the LSTM state is zeroed: every episode, every trial, never (rl_lstm)",
    "seq_len": "training sequence length in steps, or none for whole rollouts (rl_lstm)",
    "context": "steps before each training sequence the gradient reaches into, 0..seq_len "
    "(rl_lstm)",
    "refresh_states": "recompute stored LSTM states with current weights each epoch (rl_lstm)",
    "trial_returns": "with --memory trial, returns run across the episodes of a trial (rl_lstm)",
    "normalize": "normalise observations and rewards (VecNormalize)",
    "frame_stack": "frames stacked for ppo-framestack",
    "eval_freq": "evaluate every this many env steps",
    "eval_episodes": "episodes per evaluation",
    "capture_video": "record evaluation episodes (videos/ and W&B)",
    "track": "log to Weights & Biases",
    "wandb_project": "W&B project",
    "wandb_entity": "W&B entity (user or team)",
    "wandb_group": "W&B group (default: <env>/<algo>/<exp-name>)",
    "wandb_tags": "W&B tags",
}
NOT_FLAGS = {"env_kwargs", "wandb_run_id"}
CHOICES = {
    "algo": ALGOS,
    "vec_env": ("dummy", "subproc"),
    "activation_fn": tuple(ACTIVATIONS),
    "memory": MEMORY_MODES,
}


@dataclass(frozen=True)
class Arguments:
    """A parsed command line: the run's config, where runs go, the run to resume if any, and
    the settings whose flag was given (the others come from the preset)."""

    config: TrainConfig
    runs_parent: Path
    resume: RunDir | None
    given: frozenset[str] = frozenset()


def _checked(convert: Callable[[str], Any], ok: Callable[[Any], bool], why: str):
    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} {why}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{text!r} {why}")
        return value

    return parse


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(text)
    return lowered in ("true", "1", "yes")


def _schedule(text: str) -> float | str:
    if text.startswith("lin_"):
        schedule_start(text)  # refuses what does not decay from a positive finite number
        return text
    return float(text)


def _start(value: Any) -> Any:
    """A ``lin_<x>`` schedule is checked as the x it starts from."""
    return schedule_start(value) if isinstance(value, str) and value.startswith("lin_") else value


def _hyperparameter(name: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """The flag of a hyperparameter: parsed here, checked by the rule the library applies."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
            why = problem(name, _start(value))
        except ValueError:
            value, why = text, problem(name, text)
        if why:
            # On the command line a schedule is written lin_<x>, where the flag takes one.
            schedule = "or lin_<x> with x > 0" if convert is _schedule else ""
            why = why.replace(" (or a schedule)", f" {schedule}".rstrip())
            raise argparse.ArgumentTypeError(f"{text!r} is invalid: {why}")
        return value

    return parse


def _int_list(text: str) -> list[int]:
    # W&B sweeps write a list as one Python literal, `--net-arch=[64, 64]`.
    return [positive_int(part) for part in text.strip("[]").replace(",", " ").split()]


class _FlatList(argparse.Action):
    """Joins the values of a list flag, whether given as several values or as one list literal."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, [item for value in values for item in value])


def _optional(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda text: None if text.lower() == "none" else convert(text)


positive_int = _checked(int, lambda v: v > 0, "is not a positive integer")
boolean = _checked(_bool, lambda v: True, "is not true or false")
TYPES: dict[str, Callable[[str], Any]] = {
    "int": positive_int,
    "str | None": str,
    "str": str,
}
# Hyperparameters are parsed here and checked by rl_lstm.hyperparameters, as the library does.
PARSERS: dict[str, Callable[[str], Any]] = {
    "int": int,
    "float": float,
    "float | str": _schedule,
    "float | None": _optional(float),
    "int | None": _optional(int),
}
FIELD_TYPES = {"seed": int}
METAVARS = {
    "int": "N",
    "float": "X",
    "float | str": "X|lin_X",
    "float | None": "X|none",
    "int | None": "N|none",
    "str | None": "NAME",
    "str": "NAME",
    "list[int]": "N",
    "list[str]": "TAG",
}
FIELD_METAVARS = {"env": "ID", "device": "DEVICE", "exp_name": "NAME", "seed": "N"}


def _add_field(parser: argparse._ActionsContainer, field: dataclasses.Field, default: Any) -> None:
    flag = "--" + field.name.replace("_", "-")
    kwargs: dict[str, Any] = dict(default=default, help=HELP[field.name])
    if field.type == "list[int]":
        kwargs.update(type=_int_list, nargs="*", action=_FlatList, metavar=METAVARS[field.type])
    elif field.type.startswith("list"):
        kwargs.update(type=str, nargs="*", metavar=METAVARS[field.type])
    elif field.type == "bool":
        # `--flag` alone means true; `--flag false` overrides a preset.
        kwargs.update(type=boolean, nargs="?", const=True, metavar="BOOL")
    elif field.name in CHOICES:
        kwargs.update(type=str, choices=CHOICES[field.name])
    else:
        if field.name in RULES:
            convert = _hyperparameter(field.name, PARSERS[field.type])
        else:
            convert = FIELD_TYPES.get(field.name, TYPES[field.type])
        kwargs.update(type=convert, metavar=FIELD_METAVARS.get(field.name, METAVARS[field.type]))
    parser.add_argument(flag, **kwargs)


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each flag's default, unless its help already says what it is."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if "(default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _build_parser(
    base: TrainConfig, env_defaults: dict[str, Any], defaults: bool = True
) -> argparse.ArgumentParser:
    """The full parser; with ``defaults=False`` it returns only the flags given."""
    parser = argparse.ArgumentParser(
        argument_default=None if defaults else argparse.SUPPRESS,
        prog="python -m train.ppo",
        usage="%(prog)s --env ID [options] | --resume RUN [options]",
        description="Train a recurrent PPO agent. Defaults shown are the preset of --env "
        "(pass --env ID with --help to see them).",
        formatter_class=_DefaultsHelp,
    )
    parser.add_argument(
        "--run-dir", type=Path, default=Path("runs"), metavar="DIR", help="where runs go"
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="RUN",
        help="run directory to continue (from its latest checkpoint)",
    )
    preset = f"preset for {base.env}" if base.env else "defaults"
    groups = {
        "run": parser.add_argument_group("run"),
        "hyper": parser.add_argument_group(f"hyperparameters ({preset})"),
        "wandb": parser.add_argument_group("Weights & Biases"),
    }
    hyper_names = {f.name for f in dataclasses.fields(Hyperparams)}
    for field in dataclasses.fields(TrainConfig):
        if field.name in NOT_FLAGS:
            continue
        group = "wandb" if field.name.startswith("wandb") or field.name == "track" else "run"
        group = "hyper" if field.name in hyper_names else group
        default = getattr(base, field.name) if defaults else argparse.SUPPRESS
        _add_field(groups[group], field, default)
    taken = set(parser._option_string_actions)
    if env_defaults:
        env_group = parser.add_argument_group(f"options of {base.env} (its constructor arguments)")
        described = option_help(resolve_env_id(base.env))
    for name, default in env_defaults.items():
        flag = "--" + name.replace("_", "-")
        if flag in taken:
            continue
        kwargs: dict[str, Any] = dict(type=type(default), metavar=type(default).__name__.upper())
        if isinstance(default, bool):
            kwargs.update(type=boolean, nargs="?", const=True)
        if not defaults:
            default = argparse.SUPPRESS
        env_group.add_argument(
            flag,
            dest=f"env:{name}",
            default=default,
            help=described.get(name, f"{name}, an argument of the env's constructor"),
            **kwargs,
        )
    return parser


def config_problem(cfg: TrainConfig) -> str | None:
    """Why the combination of values cannot work, or None."""
    try:
        check_hyperparameters({name: _start(getattr(cfg, name)) for name in RULES})
    except HyperparameterError as error:
        return f"--{error.name.replace('_', '-')}: {error}"
    if too_large := minibatch_problem(cfg.n_steps, cfg.n_envs, cfg.batch_size):
        return f"--batch-size: {too_large}"
    if cfg.algo != "rl_lstm" and cfg.memory != "episode":
        return f"--memory {cfg.memory} needs --algo rl_lstm ({cfg.algo} zeroes it every episode)"
    if cfg.algo != "rl_lstm" and cfg.context:
        return f"--context {cfg.context} needs --algo rl_lstm ({cfg.algo} has none)"
    if cfg.algo != "rl_lstm" and cfg.gate_init != "sb3":
        return f"--gate-init {cfg.gate_init} needs --algo rl_lstm ({cfg.algo} has sb3's)"
    try:
        GateInit.parse(cfg.gate_init)
    except ValueError as error:
        return f"--gate-init: {error}"
    if cfg.recurrent and cfg.shared_lstm and cfg.enable_critic_lstm:
        return (
            "--shared-lstm true needs --enable-critic-lstm false (the critic uses the shared one)"
        )
    if cfg.critic_trains_shared_lstm and cfg.algo != "rl_lstm":
        return f"--critic-trains-shared-lstm true needs --algo rl_lstm ({cfg.algo} detaches it)"
    if cfg.critic_trains_shared_lstm and not cfg.shared_lstm:
        return "--critic-trains-shared-lstm true needs --shared-lstm true (the LSTM it trains)"
    if cfg.device.startswith("cuda"):
        import torch  # only to ask for a GPU: parsing flags otherwise never loads torch

        if not torch.cuda.is_available():
            return f"--device {cfg.device}: torch finds no CUDA device here"
    if not (cfg.device in ("auto", "cpu") or cfg.device.startswith("cuda")):
        return f"--device {cfg.device!r} is not auto, cpu or cuda[:N]"
    return None


def changed_settings(saved: TrainConfig, cfg: TrainConfig) -> list[tuple[str, Any, Any]]:
    """``(name, saved value, new value)`` of each setting in which ``cfg`` differs from
    ``saved``, leaving out those a resumed run may change (``RESUMABLE_FIELDS``)."""
    settings = [
        (field.name, getattr(saved, field.name), getattr(cfg, field.name))
        for field in dataclasses.fields(TrainConfig)
        if field.name not in RESUMABLE_FIELDS | {"env_kwargs"}
    ]
    # Each env option is a flag of its own; the parser gives every one of the env's options.
    settings += [(name, saved.env_kwargs.get(name), new) for name, new in cfg.env_kwargs.items()]
    return [(name, old, new) for name, old, new in settings if old != new]


def _refuse_changes(saved: TrainConfig, cfg: TrainConfig, run: RunDir) -> None:
    if (saved.env, saved.algo) != (cfg.env, cfg.algo):
        raise UsageError(
            f"{run.path} is a run of --env {saved.env} --algo {saved.algo}; it cannot be resumed "
            f"as --env {cfg.env} --algo {cfg.algo}: start a new run instead"
        )
    if changes := changed_settings(saved, cfg):
        name, old, new = changes[0]
        flag = "--" + name.replace("_", "-")
        raise UsageError(
            f"{flag} cannot change when resuming {run.path} (it was {old!r}, now {new!r})"
        )


def parse_args(argv: Sequence[str] | None = None, check: bool = True) -> Arguments:
    """Parse a `train.ppo` command line into a config, checked with :func:`config_problem`
    unless ``check`` is False (a study checks its configs once their searched settings are in).
    One env is built to check the env's options and spaces."""
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--env")
    first.add_argument("--algo", default="rl_lstm")
    first.add_argument("--resume", type=Path)
    known, _ = first.parse_known_args(argv)

    resume = RunDir.find(known.resume) if known.resume else None
    if resume:
        saved = TrainConfig.load(resume.config)
        # Env options the saved config lacks are those the run was made with: the defaults.
        env_defaults = {**env_options(resolve_env_id(saved.env)), **saved.env_kwargs}
        base = dataclasses.replace(saved, env_kwargs=env_defaults)
    elif known.env:
        spec = resolve_env_id(known.env)
        preset = dataclasses.asdict(preset_for(known.env))
        if known.algo != "rl_lstm":
            preset.update(memory="episode", gate_init="sb3", critic_trains_shared_lstm=False)
        base = TrainConfig(env=known.env, **preset)
        env_defaults = env_options(spec)
    else:
        base, env_defaults = TrainConfig(env=None), {}

    parser = _build_parser(base, env_defaults)
    args = vars(parser.parse_args(argv))
    if args["env"] is None:
        parser.error("the following arguments are required: --env")
    env_kwargs = {key[4:]: args.pop(key) for key in list(args) if key.startswith("env:")}
    runs_parent, _ = args.pop("run_dir"), args.pop("resume")
    cfg = dataclasses.replace(base, env_kwargs=env_kwargs, **args)
    if resume:  # first: a resumed run cannot change, whatever else is wrong with the change
        _refuse_changes(base, cfg, resume)
    if check and (problem := config_problem(cfg)):
        parser.error(problem)
    check_env(cfg.env, cfg.env_kwargs, cfg.capture_video, stacking=bool(cfg.stacked_frames))
    # Parsed again without defaults, what remains is what the command line set.
    given = frozenset(vars(_build_parser(base, env_defaults, defaults=False).parse_args(argv)))
    given &= set(args)
    return Arguments(config=cfg, runs_parent=runs_parent, resume=resume, given=given)
