"""Tests of the `train.ppo` command line: a flag per setting, env options, checks and resume."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium import spaces

from rl_lstm.hyperparameters import check_hyperparameters
from train.arguments import NOT_FLAGS, config_problem, parse_args
from train.config import RESUMABLE_FIELDS, TrainConfig
from train.errors import UsageError
from train.run_dir import RunDir


class Options(gym.Env):
    """An env whose constructor takes one option of each simple type, and one named like a flag."""

    observation_space = spaces.Discrete(2)
    action_space = spaces.Discrete(2)

    def __init__(
        self, size: int = 3, scale: float = 1.5, mode: str = "easy", noisy: bool = False,
        gamma: float = 0.5, render_mode: str | None = None,
    ) -> None:  # fmt: skip
        pass


gym.register("ArgumentsOptions-v0", entry_point=f"{__name__}:Options")

TMAZE = parse_args(["--env", "TMaze-v0"]).config

# For each flag: its arguments, and the config fields they set (all unlike TMaze-v0's preset).
FLAGS: dict[str, tuple[list[str], dict]] = {
    "n_envs": (["--n-envs", "4"], {"n_envs": 4}),
    "total_timesteps": (["--total-timesteps", "5000"], {"total_timesteps": 5000}),
    "n_steps": (["--n-steps", "128"], {"n_steps": 128}),
    "batch_size": (["--batch-size", "128"], {"batch_size": 128}),
    "n_epochs": (["--n-epochs", "3"], {"n_epochs": 3}),
    "learning_rate": (["--learning-rate", "5e-4"], {"learning_rate": 5e-4}),
    "gamma": (["--gamma", "0.9"], {"gamma": 0.9}),
    "gae_lambda": (["--gae-lambda", "1"], {"gae_lambda": 1.0}),
    "clip_range": (["--clip-range", "lin_0.1"], {"clip_range": "lin_0.1"}),
    "clip_range_vf": (["--clip-range-vf", "0.3"], {"clip_range_vf": 0.3}),
    "normalize_advantage": (["--normalize-advantage", "false"], {"normalize_advantage": False}),
    "ent_coef": (["--ent-coef", "0"], {"ent_coef": 0.0}),
    "vf_coef": (["--vf-coef", "1"], {"vf_coef": 1.0}),
    "max_grad_norm": (["--max-grad-norm", "2"], {"max_grad_norm": 2.0}),
    "target_kl": (["--target-kl", "0.02"], {"target_kl": 0.02}),
    "lstm_hidden_size": (["--lstm-hidden-size", "8"], {"lstm_hidden_size": 8}),
    "n_lstm_layers": (["--n-lstm-layers", "2"], {"n_lstm_layers": 2}),
    "shared_lstm": (
        ["--shared-lstm", "true", "--enable-critic-lstm", "false"],
        {"shared_lstm": True, "enable_critic_lstm": False},
    ),
    "critic_trains_shared_lstm": (
        ["--shared-lstm", "true", "--enable-critic-lstm", "false", "--critic-trains-shared-lstm"],
        {"shared_lstm": True, "enable_critic_lstm": False, "critic_trains_shared_lstm": True},
    ),
    "enable_critic_lstm": (["--enable-critic-lstm", "false"], {"enable_critic_lstm": False}),
    "net_arch": (["--net-arch", "32", "16"], {"net_arch": [32, 16]}),
    "activation_fn": (["--activation-fn", "relu"], {"activation_fn": "relu"}),
    "ortho_init": (["--ortho-init", "false"], {"ortho_init": False}),
    "gate_init": (["--gate-init", "chrono:600"], {"gate_init": "chrono:600"}),
    "memory": (["--memory", "never"], {"memory": "never"}),
    "seq_len": (["--seq-len", "16"], {"seq_len": 16}),
    "context": (["--context", "32"], {"context": 32}),
    "refresh_states": (["--refresh-states", "true"], {"refresh_states": True}),
    "trial_returns": (["--trial-returns", "false"], {"trial_returns": False}),
    "normalize": (["--normalize", "true"], {"normalize": True}),
    "frame_stack": (["--frame-stack", "2"], {"frame_stack": 2}),
    "eval_freq": (["--eval-freq", "100"], {"eval_freq": 100}),
    "eval_episodes": (["--eval-episodes", "3"], {"eval_episodes": 3}),
    "algo": (["--algo", "sb3-contrib"], {"algo": "sb3-contrib", "gate_init": "sb3"}),
    "exp_name": (["--exp-name", "ablation"], {"exp_name": "ablation"}),
    "seed": (["--seed", "7"], {"seed": 7}),
    "device": (["--device", "cpu"], {"device": "cpu"}),
    "threads": (["--threads", "2"], {"threads": 2}),
    "vec_env": (["--vec-env", "subproc"], {"vec_env": "subproc"}),
    "capture_video": (["--capture-video"], {"capture_video": True}),
    "track": (["--track", "yes"], {"track": True}),
    "wandb_project": (["--wandb-project", "mine"], {"wandb_project": "mine"}),
    "wandb_entity": (["--wandb-entity", "team"], {"wandb_entity": "team"}),
    "wandb_group": (["--wandb-group", "g"], {"wandb_group": "g"}),
    "wandb_tags": (["--wandb-tags", "a", "b"], {"wandb_tags": ["a", "b"]}),
}


SCHEDULE = "is invalid: must be a finite number > 0 or lin_<x> with x > 0"


def usage_error(capsys, argv: list[str]) -> str:
    """The message of the usage error that ``argv`` must give (argparse exits with 2)."""
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_every_config_field_but_the_env_and_internal_ones_has_a_flag_in_the_table():
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(FLAGS) == fields - NOT_FLAGS - {"env"}
    assert {"env_kwargs", "wandb_run_id"} == NOT_FLAGS


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_each_flag_sets_its_setting_and_nothing_else(name):
    args, changes = FLAGS[name]
    config = parse_args(["--env", "TMaze-v0", *args]).config
    assert all(getattr(TMAZE, key) != value for key, value in changes.items())
    assert config == dataclasses.replace(TMAZE, **changes)


def test_flags_override_the_preset_and_memory_follows_the_algorithm():
    config = parse_args(["--env", "TrialBandit-5arm-v0", "--n-steps", "50", "--net-arch"]).config
    assert (config.n_steps, config.net_arch, config.memory) == (50, [], "trial")
    reference = parse_args(["--env", "TrialBandit-5arm-v0", "--algo", "sb3-contrib"]).config
    assert reference.memory == "episode"
    assert parse_args(["--env", "MemoryChain-v0"]).config.gate_init == "chrono"
    chain = parse_args(["--env", "MemoryChain-v0", "--algo", "sb3-contrib"]).config
    assert chain.gate_init == "sb3"  # what sb3-contrib has
    decaying = parse_args(["--env", "TMaze-v0", "--learning-rate", "lin_3e-4"]).config
    assert decaying.learning_rate == "lin_3e-4"


def test_given_names_the_settings_set_on_the_command_line_even_at_their_preset_value():
    arguments = parse_args(["--env", "TMaze-v0", "--n-steps", str(TMAZE.n_steps), "--normalize"])
    assert arguments.given == {"env", "n_steps", "normalize"}
    assert parse_args(["--env", "TMaze-v0", "--length", "5"]).given == {"env"}


@pytest.mark.parametrize(
    ("words", "net_arch"),
    [
        (["--net-arch=[64, 32]"], [64, 32]),
        (["--net-arch", "[8]", "4"], [8, 4]),
        (["--net-arch=[]"], []),
    ],
)
def test_a_list_flag_takes_a_list_literal_as_w_and_b_writes_it(words, net_arch):
    assert parse_args(["--env", "TMaze-v0", *words]).config.net_arch == net_arch


def test_without_check_a_combination_that_cannot_work_is_left_to_the_caller():
    words = ["--env", "TMaze-v0", "--n-envs", "1", "--n-steps", "8", "--batch-size", "64"]
    config = parse_args(words, check=False).config
    assert (
        config.batch_size == 64
        and config_problem(config)
        == "--batch-size: batch_size=64 is more than the rollout's n_steps * n_envs = 8"
    )


def test_without_flags_the_run_goes_under_runs_and_resumes_nothing():
    arguments = parse_args(["--env", "TMaze-v0"])
    assert (arguments.runs_parent, arguments.resume) == (Path("runs"), None)
    assert parse_args(["--env", "TMaze-v0", "--run-dir", "elsewhere"]).runs_parent == Path(
        "elsewhere"
    )


def test_none_unsets_an_optional_setting_in_any_case():
    config = parse_args(["--env", "TMaze-v0", "--seq-len", "8", "--seq-len", "none"]).config
    assert config.seq_len is None
    assert parse_args(["--env", "TMaze-v0", "--target-kl", "None"]).config.target_kl is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("True", True),
        ("1", True),
        ("YES", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("no", False),
    ],
)
def test_booleans_take_true_or_false_in_several_spellings(text, value):
    for flag in ("--normalize", "--ortho-init"):
        config = parse_args(["--env", "TMaze-v0", flag, text]).config
        assert getattr(config, flag[2:].replace("-", "_")) is value


def test_a_boolean_flag_alone_means_true_even_before_another_flag():
    config = parse_args(["--env", "TMaze-v0", "--normalize", "--n-steps", "32"]).config
    assert config.normalize is True and config.n_steps == 32


def test_the_envs_constructor_arguments_become_flags_with_the_registered_defaults():
    assert TMAZE.env_kwargs == {"length": 10, "passive": False, "lag_penalty": False}
    longer = parse_args(["--env", "TMaze-v0", "--length", "25", "--passive"]).config
    assert longer.env_kwargs == {"length": 25, "passive": True, "lag_penalty": False}
    bandit = parse_args(["--env", "TrialBandit-5arm-v0", "--episodes-per-trial", "3"]).config
    assert bandit.env_kwargs == {"num_arms": 5, "episodes_per_trial": 3}


def test_env_options_are_parsed_by_the_type_of_their_default():
    argv = ["--env", "ArgumentsOptions-v0", "--size", "5", "--scale", "0.25", "--mode", "hard"]
    assert parse_args([*argv, "--noisy"]).config.env_kwargs == {
        "size": 5,
        "scale": 0.25,
        "mode": "hard",
        "noisy": True,
    }
    assert parse_args([*argv, "--noisy", "no"]).config.env_kwargs["noisy"] is False


def test_an_env_option_named_like_a_run_flag_is_left_to_the_run_flag():
    config = parse_args(["--env", "ArgumentsOptions-v0", "--gamma", "0.8"]).config
    assert config.gamma == 0.8
    assert config.env_kwargs == {"size": 3, "scale": 1.5, "mode": "easy", "noisy": False}


def test_without_an_env_or_a_run_to_resume_the_usage_error_asks_for_env(capsys):
    assert "the following arguments are required: --env" in usage_error(capsys, ["--seed", "1"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n-epochs", "0"], "argument --n-epochs: '0' is invalid: must be an integer >= 1"),
        (
            ["--batch-size", "2.5"],
            "argument --batch-size: '2.5' is invalid: must be an integer >= 1",
        ),
        (["--net-arch", "64", "0"], "argument --net-arch: '0' is not a positive integer"),
        (
            ["--ent-coef", "-0.1"],
            "argument --ent-coef: '-0.1' is invalid: must be a finite number >= 0",
        ),
        (
            ["--gae-lambda", "1.5"],
            "argument --gae-lambda: '1.5' is invalid: must be a number in [0, 1]",
        ),
        (["--learning-rate", "0"], f"argument --learning-rate: '0' {SCHEDULE}"),
        (
            ["--learning-rate", "fast"],
            f"argument --learning-rate: 'fast' {SCHEDULE}",
        ),
        (
            ["--clip-range", "lin_0"],
            f"argument --clip-range: 'lin_0' {SCHEDULE}",
        ),
        (
            ["--target-kl", "0"],
            "argument --target-kl: '0' is invalid: must be None or a finite number > 0",
        ),
        (
            ["--seq-len", "-4"],
            "argument --seq-len: '-4' is invalid: must be None or an integer >= 1",
        ),
        (["--seq-len", "500"], "--seq-len: seq_len=500 is invalid: must be None or 1..n_steps=64"),
        (["--normalize", "maybe"], "argument --normalize: 'maybe' is not true or false"),
        (["--algo", "a2c"], "argument --algo: invalid choice: 'a2c' (choose from"),
        (["--memory", "sometimes"], "argument --memory: invalid choice: 'sometimes'"),
        (["--activation-fn", "sigmoid"], "argument --activation-fn: invalid choice: 'sigmoid'"),
        (["--length", "ten"], "argument --length: invalid int value: 'ten'"),
        (["--device", "tpu"], "--device 'tpu' is not auto, cpu or cuda[:N]"),
        (["--shared-lstm"], "--shared-lstm true needs --enable-critic-lstm false"),
        (
            ["--critic-trains-shared-lstm"],
            "--critic-trains-shared-lstm true needs --shared-lstm true",
        ),
        (
            ["--critic-trains-shared-lstm", "--algo", "sb3-contrib"],
            "--critic-trains-shared-lstm true needs --algo rl_lstm (sb3-contrib detaches it)",
        ),
        (["--context", "-1"], "argument --context: '-1' is invalid: must be an integer >= 0"),
        (["--context", "8", "--algo", "ppo"], "--context 8 needs --algo rl_lstm (ppo has none)"),
        (["--gate-init", "forget:x"], "--gate-init: gate_init='forget:x' is not a gate init"),
        (
            ["--gate-init", "forget:3", "--algo", "sb3-contrib"],
            "--gate-init forget:3 needs --algo rl_lstm (sb3-contrib has sb3's)",
        ),
    ],
)
def test_a_bad_value_is_a_usage_error_naming_the_flag_and_what_it_accepts(capsys, args, message):
    assert message in usage_error(capsys, ["--env", "TMaze-v0", *args])


@pytest.mark.parametrize("value", ["nan", "inf", "NaN", "infinity"])
@pytest.mark.parametrize(
    ("flag", "accepted"),
    [
        ("--learning-rate", SCHEDULE),
        ("--clip-range", SCHEDULE),
        ("--clip-range-vf", "is invalid: must be None or a finite number > 0"),
        ("--target-kl", "is invalid: must be None or a finite number > 0"),
        ("--ent-coef", "is invalid: must be a finite number >= 0"),
        ("--vf-coef", "is invalid: must be a finite number >= 0"),
        ("--max-grad-norm", "is invalid: must be a finite number > 0"),
        ("--gamma", "is invalid: must be a number in (0, 1]"),
        ("--gae-lambda", "is invalid: must be a number in [0, 1]"),
    ],
)
def test_a_number_that_is_not_finite_is_a_usage_error_naming_the_flag(
    capsys, flag, accepted, value
):
    error = usage_error(capsys, ["--env", "TMaze-v0", flag, value])
    assert f"argument {flag}: '{value}' {accepted}" in error


@pytest.mark.parametrize("value", ["lin_nan", "lin_inf", "lin_-inf", "lin_-1"])
@pytest.mark.parametrize("flag", ["--learning-rate", "--clip-range"])
def test_a_decaying_schedule_must_start_at_a_positive_finite_number(capsys, flag, value):
    error = usage_error(capsys, ["--env", "TMaze-v0", flag, value])
    assert f"argument {flag}: '{value}' {SCHEDULE}" in error


def test_choices_are_listed_in_the_usage_error(capsys):
    error = usage_error(capsys, ["--env", "TMaze-v0", "--memory", "sometimes"])
    assert all(mode in error for mode in ("'episode'", "'trial'", "'never'"))


def test_a_cuda_device_is_refused_where_torch_finds_none(capsys, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    error = usage_error(capsys, ["--env", "TMaze-v0", "--device", "cuda:1"])
    assert "--device cuda:1: torch finds no CUDA device here" in error


def test_the_lstm_sharing_rule_binds_only_algorithms_with_an_lstm():
    config = parse_args(["--env", "TMaze-v0", "--algo", "ppo", "--shared-lstm"]).config
    assert config.shared_lstm is True and config.enable_critic_lstm is True


@pytest.fixture
def saved_run(tmp_path) -> RunDir:
    """A run directory as training leaves it, with settings unlike the preset and env defaults."""
    config = parse_args(
        ["--env", "TMaze-v0", "--length", "20", "--n-steps", "96", "--learning-rate", "lin_1e-3"]
    ).config
    config = dataclasses.replace(config, wandb_run_id="abc123")
    run = RunDir.create(tmp_path / "runs", config)
    config.save(run.config)
    return run


def test_resume_takes_the_saved_config_as_it_is_from_the_run_or_a_checkpoint(saved_run):
    saved = TrainConfig.load(saved_run.config)
    assert (saved.env_kwargs, saved.n_steps) == (
        {"length": 20, "passive": False, "lag_penalty": False},
        96,
    )
    for path in (saved_run.path, saved_run.latest):
        arguments = parse_args(["--resume", str(path)])
        assert arguments.resume == saved_run
        assert arguments.config == saved
    assert parse_args(["--resume", str(saved_run.path), "--env", "TMaze-v0"]).config == saved


@pytest.mark.parametrize("name", sorted(RESUMABLE_FIELDS))
def test_a_resumed_run_may_change_its_budget_device_and_logging(saved_run, name):
    args, changes = FLAGS[name]
    config = parse_args(["--resume", str(saved_run.path), *args]).config
    assert config == dataclasses.replace(TrainConfig.load(saved_run.config), **changes)
    assert config.wandb_run_id == "abc123"


@pytest.mark.parametrize("name", sorted(set(FLAGS) - RESUMABLE_FIELDS - {"algo"}))
def test_a_resumed_run_refuses_any_other_change_naming_the_flag(saved_run, name):
    args, changes = FLAGS[name]
    first = next(f.name for f in dataclasses.fields(TrainConfig) if f.name in changes)
    flag = "--" + first.replace("_", "-")
    with pytest.raises(UsageError, match=f"^{flag} cannot change when resuming {saved_run.path} "):
        parse_args(["--resume", str(saved_run.path), *args])


def test_a_resumed_run_refuses_other_env_options_naming_the_option_flag(saved_run):
    with pytest.raises(UsageError) as error:
        parse_args(["--resume", str(saved_run.path), "--length", "30"])
    assert str(error.value) == (
        f"--length cannot change when resuming {saved_run.path} (it was 20, now 30)"
    )


def test_a_run_saved_without_an_env_option_resumes_with_the_envs_default(saved_run):
    saved = TrainConfig.load(saved_run.config)
    dataclasses.replace(saved, env_kwargs={}).save(saved_run.config)
    for flags in ([], ["--length", "10"]):
        config = parse_args(["--resume", str(saved_run.path), *flags]).config
        assert config == dataclasses.replace(
            saved, env_kwargs={"length": 10, "passive": False, "lag_penalty": False}
        )


def test_resuming_a_path_outside_any_run_is_a_usage_error(tmp_path):
    (tmp_path / "latest.zip").write_bytes(b"")
    with pytest.raises(UsageError, match="is not a run directory or a file inside one"):
        parse_args(["--resume", str(tmp_path / "latest.zip")])


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("n_steps", "0"),
        ("gamma", "0"),
        ("learning_rate", "0"),
        ("ent_coef", "-1"),
        ("context", "-2"),
    ],
)
def test_a_flag_refuses_a_hyperparameter_with_the_library_s_own_words(capsys, name, bad):
    flag = "--" + name.replace("_", "-")
    value = float(bad) if name in ("gamma", "learning_rate", "ent_coef") else int(bad)
    with pytest.raises(ValueError) as library_error:
        check_hyperparameters({name: value})
    why = str(library_error.value).split("is invalid: ")[1].replace(" (or a schedule)", "")
    assert why in usage_error(capsys, ["--env", "TMaze-v0", flag, bad])
