"""Tests of `python -m train.tune`: Optuna studies on real SQLite and PostgreSQL storage."""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from optuna.trial import TrialState
from wandb.sdk.launch.sweeps.utils import create_sweep_command_args

from tests.test_train_ppo import started, wandb_records
from train import tune
from train.arguments import config_problem, parse_args
from train.config import TrainConfig
from train.presets import DEFAULTS, Hyperparams

REPO = Path(__file__).resolve().parents[1]
# Cheap trials whose cost does not depend on what is searched.
TINY = [
    "--env", "TMaze-v0", "--n-envs", "2", "--n-steps", "32", "--batch-size", "64",
    "--n-epochs", "1", "--lstm-hidden-size", "8", "--total-timesteps", "512",
    "--eval-freq", "256", "--eval-episodes", "2", "--search", "learning_rate", "gamma",
    "gae_lambda", "ent_coef", "clip_range",
]  # fmt: skip
STUDY = "TMaze-v0__rl_lstm"


def tune_command(tmp: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "train.tune", "--run-dir", str(tmp / "runs"), *TINY, *args]


def run_workers(tmp: Path, storage: str, n_trials: int = 2) -> list[str]:
    """Two workers on one study, a subprocess and this process, training at the same time;
    return their outputs once both exit 0."""
    worker = started(tune_command(tmp, "--storage", storage, "--n-trials", str(n_trials)), tmp)
    deadline = time.monotonic() + 120
    while not (tmp / "runs" / STUDY).exists() and worker.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)  # until its first trial is training
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        argv = tune_command(tmp, "--storage", storage, "--n-trials", str(n_trials))[3:]
        assert tune.main(argv) == 0
    stdout, stderr = worker.communicate(timeout=240)
    assert worker.returncode == 0, stderr[-3000:]
    return [stdout, output.getvalue()]


def check_every_trial_ran_once(study: optuna.Study, runs: Path, expected: int) -> None:
    """All trials finished, each with its own run directory, and no run belongs to none."""
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(expected))
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    run_dirs = [Path(d) for t in trials for d in t.user_attrs["run_dirs"]]
    assert sorted(run_dirs) == sorted(p.parent for p in runs.glob("*/config.json"))
    for trial in trials:
        (run,) = (Path(d) for d in trial.user_attrs["run_dirs"])
        config = TrainConfig.load(run / "config.json")
        assert config.exp_name == f"trial{trial.number}"
        assert config.wandb_group == f"tune/{STUDY}"
        assert {k: getattr(config, k) for k in trial.user_attrs["settings"]} == trial.user_attrs[
            "settings"
        ]
        assert (run / "checkpoints" / "latest.zip").is_file()
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    for trial in done:  # the value is the final evaluation of the run
        (run,) = trial.user_attrs["run_dirs"]
        final = pd.read_csv(Path(run) / "metrics.csv")["eval/mean_reward"].dropna().iloc[-1]
        assert trial.value == pytest.approx(final)


@pytest.fixture(scope="module")
def sqlite_study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sqlite")
    outputs = run_workers(tmp, f"sqlite:///{tmp / 'study.db'}")
    storage = f"sqlite:///{tmp / 'study.db'}"
    return tmp, optuna.load_study(study_name=STUDY, storage=storage), outputs


def test_two_workers_on_one_sqlite_study_run_every_trial_once(sqlite_study):
    tmp, study, _ = sqlite_study
    check_every_trial_ran_once(study, tmp / "runs" / STUDY, expected=4)
    assert study.user_attrs == {"env": "TMaze-v0", "algo": "rl_lstm"}


def test_a_worker_prints_the_best_trial_as_a_command_a_preset_a_table_and_plots(sqlite_study):
    tmp, study, outputs = sqlite_study
    best = study.best_trial
    (run,) = best.user_attrs["run_dirs"]
    trained = TrainConfig.load(Path(run) / "config.json")
    for stdout in outputs:
        assert f"best trial: {best.number}, mean eval return {best.value:.4g}" in stdout
        assert "| trial | mean eval return | learning_rate | gamma |" in stdout
    command = next(line for line in outputs[-1].splitlines() if "  command: " in line)
    words = command.split("  command: python -m train.ppo ")[1].split()
    again = parse_args(words).config
    ignored = {"exp_name", "wandb_group"}  # set by the study for its own runs
    for field in dataclasses.fields(TrainConfig):
        if field.name not in ignored:
            assert getattr(again, field.name) == getattr(trained, field.name), field.name
    preset_line = next(line for line in outputs[-1].splitlines() if "preset (" in line)
    preset = eval("{" + preset_line.split(": ", 1)[1] + "}", {"dict": dict})["TMaze-v0"]
    hyper = {f.name: getattr(trained, f.name) for f in dataclasses.fields(Hyperparams)}
    assert dataclasses.asdict(dataclasses.replace(DEFAULTS, **preset)) == hyper
    for name in ("optimization_history.png", "param_importances.png"):
        assert (tmp / "runs" / STUDY / name).read_bytes()[:4] == b"\x89PNG"


def _postgres_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture
def postgres_url():
    """A PostgreSQL server in a temporary data directory on a free local port, stopped after."""
    binaries = _postgres_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    data = Path(tempfile.mkdtemp(prefix="rl_lstm-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    quiet = dict(check=True, capture_output=True, cwd=data)
    subprocess.run(
        [*as_user, binaries / "initdb", "-D", data, "-A", "trust", "-U", "tune"], **quiet
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    start = [*as_user, binaries / "pg_ctl", "-D", data, "-o", options, "-l", data / "log", "-w"]
    subprocess.run([*start, "start"], **quiet)
    try:
        yield f"postgresql://tune@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, binaries / "pg_ctl", "-D", data, "-m", "fast", "stop"], **quiet)
        shutil.rmtree(data)


def test_two_workers_on_one_postgresql_study_run_every_trial_once(tmp_path, postgres_url):
    outputs = run_workers(tmp_path, postgres_url.replace("tune@", "tune:secret@"))
    assert all("postgresql+psycopg://tune:***@127.0.0.1" in out for out in outputs)
    assert not any("secret" in out for out in outputs)
    study = optuna.load_study(study_name=STUDY, storage=postgres_url)
    check_every_trial_ran_once(study, tmp_path / "runs" / STUDY, expected=4)
    assert not (tmp_path / "runs" / "tune.db").exists()


def test_ctrl_c_fails_the_running_trial_and_a_restarted_worker_retrains_it(tmp_path, monkeypatch):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    worker = started(
        tune_command(tmp_path, "--storage", storage, "--total-timesteps", "100000"), tmp_path
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for the trial to train a few updates
        metrics = list((tmp_path / "runs" / STUDY).glob("*/metrics.csv"))
        if metrics and len(metrics[0].read_text().splitlines()) > 3:
            break
        time.sleep(0.2)
    worker.send_signal(signal.SIGINT)
    stdout, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 130, stderr[-3000:]
    assert "trial 0 interrupted: marked failed, its parameters queued" in stdout
    assert "Traceback" not in stderr
    study = optuna.load_study(study_name=STUDY, storage=storage)
    interrupted, queued = study.get_trials()
    assert (interrupted.state, queued.state) == (TrialState.FAIL, TrialState.WAITING)
    (run,) = interrupted.user_attrs["run_dirs"]
    assert (Path(run) / "checkpoints" / "latest.zip").is_file()

    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    argv = tune_command(tmp_path, "--storage", storage, "--n-trials", "1", "--track")[3:]
    assert tune.main(argv) == 0  # in this process, to spare the start of another
    study = optuna.load_study(study_name=STUDY, storage=storage)
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.COMPLETE]
    retried = study.trials[1]
    assert retried.params == interrupted.params and retried.user_attrs["retry_of"] == 0
    # With --track the trial's W&B run is in the study's group, with its number and parameters.
    (run_file,) = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    records = list(wandb_records(run_file))
    (run,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert run.run_group == f"tune/{STUDY}"
    updates = [r.config for r in records if r.WhichOneof("record_type") == "config"]
    (tune_config,) = [
        json.loads(item.value_json) for u in updates for item in u.update if item.key == "tune"
    ]
    assert tune_config == {
        "study": STUDY,
        "trial": 1,
        "params": retried.user_attrs["settings"],
        "seed_index": 0,
    }


def test_the_pruner_stops_a_trial_below_the_median_at_its_first_evaluation(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    cfg = parse_args(TINY[: TINY.index("--search")]).config
    study = tune.load_study(tune.open_storage(storage), STUDY, cfg)
    for _ in range(5):  # finished trials that returned 100 at every evaluation
        study.add_trial(
            optuna.trial.create_trial(value=100.0, intermediate_values={256: 100.0, 512: 100.0})
        )
    argv = ["--run-dir", str(tmp_path / "runs"), *TINY, "--storage", storage, "--n-trials", "1"]
    assert tune.main(argv) == 0
    trial = optuna.load_study(study_name=STUDY, storage=storage).trials[-1]
    assert trial.state == TrialState.PRUNED and trial.intermediate_values.keys() == {256}
    (run,) = trial.user_attrs["run_dirs"]
    steps = pd.read_csv(Path(run) / "metrics.csv")["time/total_timesteps"]
    assert steps.max() == 256  # training stopped there, and the run is whole
    assert (Path(run) / "checkpoints" / "latest.zip").is_file()


def test_with_seeds_a_configuration_trains_on_each_and_scores_their_mean(tmp_path):
    argv = [
        "--run-dir", str(tmp_path / "runs"), *TINY, "--env", "RepeatPrevious-Easy-v0",
        "--n-trials", "1", "--seeds", "2", "--seed", "5",
    ]  # fmt: skip
    assert tune.main(argv) == 0
    study = optuna.load_study(
        study_name="RepeatPrevious-Easy-v0__rl_lstm",
        storage=f"sqlite:///{tmp_path / 'runs' / 'tune.db'}",
    )
    (trial,) = study.trials
    runs = [Path(d) for d in trial.user_attrs["run_dirs"]]
    assert [TrainConfig.load(run / "config.json").seed for run in runs] == [5, 6]
    finals = [
        pd.read_csv(run / "metrics.csv")["eval/mean_reward"].dropna().iloc[-1] for run in runs
    ]
    assert trial.user_attrs["eval_returns"] == pytest.approx(finals)
    assert trial.value == pytest.approx(np.mean(finals))
    # The second seed reports after the first: its steps follow the first seed's budget.
    assert sorted(trial.intermediate_values) == [256, 512, 768, 1024]


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--storage", "redis://localhost/0"],
            "--storage redis://localhost/0: unknown storage URL",
        ),
        (["--storage", "study.db"], "accepted: sqlite:///PATH or postgresql://"),
        (["--storage", "postgresql://tune:secret@127.0.0.1:1/db"], "cannot open --storage"),
        (["--search", "total_timesteps"], "--search total_timesteps: cannot be searched"),
        (["--search", "foo"], "searchable: learning_rate n_steps batch_size"),
        (["--search", "n_steps", "--n-steps", "32"], "--n-steps fixes it"),
        (["--algo", "ppo", "--search", "seq_len"], "cannot be searched with --algo ppo"),
        (["--resume", "runs/x"], "--resume continues one run"),
        (["--algo", "ppo", "--memory", "trial"], "--memory trial needs --algo rl_lstm"),
        (["--batch-size", "4096"], "no n_steps in (16, 32, 64, 128, 256, 512) fits --batch-size"),
    ],
)
def test_bad_input_is_a_usage_error_naming_it_and_writes_nothing(tmp_path, capsys, args, message):
    argv = ["--run-dir", str(tmp_path / "runs"), "--env", "TMaze-v0", "--n-envs", "2", *args]
    with pytest.raises(SystemExit) as exit_info:
        tune.main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and "secret" not in error
    assert list(tmp_path.iterdir()) == []


def test_a_study_of_another_env_under_the_same_name_is_refused_and_left_as_it_was(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    tune.load_study(tune.open_storage(storage), "shared", TrainConfig(env="TMaze-v0"))
    before = _files(tmp_path)
    argv = ["--run-dir", str(tmp_path / "runs"), "--env", "RepeatPrevious-Easy-v0"]
    with pytest.raises(SystemExit) as exit_info:
        tune.main([*argv, "--storage", storage, "--study-name", "shared"])
    assert exit_info.value.code == 2
    assert (
        "study 'shared' is a study of --env TMaze-v0 --algo rl_lstm, not --env "
        "RepeatPrevious-Easy-v0 --algo rl_lstm: pass another --study-name"
    ) in capsys.readouterr().err
    assert _files(tmp_path) == before


def test_searched_settings_are_those_not_fixed_and_what_the_algorithm_has():
    space = tune.SearchSpace.choose(parse_args(["--env", "TMaze-v0", "--gamma", "0.9"]), None)
    assert space.names == tuple(n for n in tune.SEARCHABLE if n != "gamma")
    assert "seq_len" not in tune.searchable_for("sb3-contrib")
    assert "lstm_hidden_size" in tune.searchable_for("sb3-contrib")
    assert "lstm_hidden_size" not in tune.searchable_for("ppo")


@pytest.mark.parametrize(
    "fixed", [[], ["--batch-size", "512", "--n-envs", "4"], ["--seq-len", "64"]]
)
def test_every_sampled_configuration_is_one_train_ppo_accepts(fixed):
    args = parse_args(["--env", "TMaze-v0", *fixed], check=False)
    space = tune.SearchSpace.choose(args, None)
    study = optuna.create_study(direction="maximize")  # in memory
    for _ in range(40):
        settings = space.suggest(study.ask())
        cfg = dataclasses.replace(args.config, **settings)
        assert config_problem(cfg) is None
        assert cfg.seq_len is None or cfg.seq_len <= cfg.n_steps
        again = parse_args(["--env", "TMaze-v0", *fixed, *tune.flag_words(settings)]).config
        assert again == cfg


def test_w_and_b_flag_forms_parse():
    cfg = parse_args(
        ["--env", "TMaze-v0", "--n-steps=128", "--normalize=True", "--net-arch=[64, 64]"]
    ).config
    assert (cfg.n_steps, cfg.normalize, cfg.net_arch) == (128, True, [64, 64])


def test_the_sweep_file_runs_train_ppo_with_flags_it_parses():
    sweep = yaml.safe_load((REPO / "sweep.yaml").read_text())
    command = sweep["command"]
    assert command[:3] == ["python", "-m", "train.ppo"] and command[-1] == "${args}"
    parameters = sweep["parameters"]
    longest = max(len(p.get("values", [p.get("min"), p.get("max")])) for p in parameters.values())
    for i in range(longest):  # every listed value, and each end of every range
        values = {
            name: p["values"][i % len(p["values"])]
            if "values" in p
            else (p["min"], p["max"])[i % 2]
            for name, p in parameters.items()
        }
        flags = create_sweep_command_args({"args": {k: {"value": v} for k, v in values.items()}})
        cfg = parse_args([*command[3:-1], *flags["args"]]).config
        for name, value in values.items():
            assert getattr(cfg, name.replace("-", "_")) == (None if value == "None" else value)
