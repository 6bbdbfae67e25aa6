"""End-to-end tests of `python -m train.ppo` on tiny budgets, through subprocesses."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import pandas as pd
import pytest
from gymnasium import spaces
from wandb.proto import wandb_internal_pb2

from train import ppo

REPO = Path(__file__).resolve().parents[1]
ALGO = "rl_lstm"
TINY = [
    "--env", "TMaze-v0", "--algo", ALGO, "--n-envs", "2", "--n-steps", "64",
    "--batch-size", "64", "--n-epochs", "2", "--lstm-hidden-size", "16",
    "--eval-freq", "512", "--eval-episodes", "2",
]  # fmt: skip


class Blind(gym.Env):
    """An env that cannot render."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    observation_space = spaces.Discrete(2)
    action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, 0.0, True, False, {}


gym.register("Blind-v0", entry_point=f"{__name__}:Blind", max_episode_steps=10)


def started(command: list[str], tmp: Path) -> subprocess.Popen:
    """``command`` running in ``tmp`` with :func:`command_env`, its output captured as text."""
    return subprocess.Popen(
        command,
        cwd=tmp,
        env=command_env(tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def command_env(tmp: Path) -> dict[str, str]:
    """Environment of the subprocesses: offline W&B in ``tmp``, one torch thread."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp),
        "OMP_NUM_THREADS": "1",
    }


def train(tmp: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "train.ppo", "--run-dir", str(tmp / "runs"), *args],
        cwd=tmp,
        env=command_env(tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def only_run(tmp: Path) -> Path:
    (run,) = (tmp / "runs").iterdir()
    return run


def wandb_records(path: Path):
    """The records of an offline W&B run file (LevelDB-style log blocks of protobuf records)."""
    data, block = path.read_bytes(), 32 * 1024
    assert data[:4] == b":W&B"
    position, pending = 7, b""
    while position + 7 <= len(data):
        if block - position % block < 7:  # too little room left for a header: block padding
            position += block - position % block
            continue
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + 7])
        chunk = data[position + 7 : position + 7 + length]
        position += 7 + length
        pending += chunk
        if kind in (1, 4):  # a full record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


@pytest.fixture(scope="module")
def tracked(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("tracked")
    result = train(tmp, *TINY, "--total-timesteps", "1024", "--track", "--capture-video")
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp, result


def test_run_directory_holds_config_checkpoints_metrics_and_videos(tracked):
    tmp, result = tracked
    run = only_run(tmp)
    assert run.name.startswith(f"TMaze-v0__{ALGO}__0__")
    config = json.loads((run / "config.json").read_text())
    assert config["env"] == "TMaze-v0" and config["algo"] == ALGO and config["n_steps"] == 64
    assert config["env_kwargs"] == {"length": 10, "passive": False, "lag_penalty": False}
    assert (run / "checkpoints" / "latest.zip").is_file()
    assert (run / "checkpoints" / "best.zip").is_file()
    metrics = pd.read_csv(run / "metrics.csv")
    for key in ("rollout/ep_rew_mean", "train/value_loss", "eval/mean_reward", "time/fps"):
        assert key in metrics.columns
    assert metrics["time/total_timesteps"].max() == 1024
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert sorted(p.name for p in (run / "videos").glob("*.mp4")) == [
        "eval_000000512.mp4",
        "eval_000001024.mp4",
    ]
    summary = result.stdout
    assert "best eval return" in summary
    assert f"python -m train.record {run}" in summary
    assert "wandb sync " in summary


def test_offline_wandb_run_has_config_metrics_on_global_step_and_a_video(tracked):
    tmp, _ = tracked
    (run_file,) = (tmp / "wandb").glob("offline-run-*/run-*.wandb")
    records = list(wandb_records(run_file))
    (run,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    config = {item.key: json.loads(item.value_json) for item in run.config.update}
    assert config["env"] == "TMaze-v0" and config["n_steps"] == 64 and config["track"] is True
    assert run.run_group == f"TMaze-v0/{ALGO}/default" and run.job_type == "train"
    metrics = [r.metric for r in records if r.WhichOneof("record_type") == "metric"]
    assert any(m.glob_name == "*" and m.step_metric == "global_step" for m in metrics)
    rows = [
        {item.key or "/".join(item.nested_key): item.value_json for item in r.history.item}
        for r in records
        if r.WhichOneof("record_type") == "history"
    ]
    assert all("global_step" in row for row in rows)
    logged = set().union(*rows)
    expected = {"rollout/ep_rew_mean", "train/approx_kl", "train/explained_variance", "time/fps"}
    assert expected | {"eval/mean_reward"} <= logged
    if ALGO == "rl_lstm":
        assert {"train/grad_norm", "memory/cell_abs_mean", "memory/forget_gate"} <= logged
    videos = [row for row in rows if row.get("eval/video/_type") == '"video-file"']
    assert [json.loads(row["global_step"]) for row in videos] == [512, 1024]
    video_path = json.loads(videos[0]["eval/video/path"])
    assert (run_file.parent / "files" / video_path).stat().st_size > 0


def test_help_shows_the_preset_and_env_options():
    result = subprocess.run(
        [sys.executable, "-m", "train.ppo", "--env", "TMaze-Long-v0", "--help"],
        env=command_env(REPO),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "preset for TMaze-Long-v0" in result.stdout
    assert "--length" in result.stdout and "(default: 100)" in result.stdout
    assert "cells from the cue to the junction" in " ".join(result.stdout.split())
    assert "(default: None)" not in result.stdout.split("--wandb-group")[1].split("--")[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "TMaze-v9"], "close matches: TMaze-v0"),
        (["--env", "NoSuchTask-v0"], "module:Id"),
        (["--env", "nosuchpackage:Task-v0"], "cannot import 'nosuchpackage'"),
        (["--env", "TMaze-v0", "--n-steps", "-3"], "argument --n-steps: '-3' is invalid"),
        (["--env", "TMaze-v0", "--gamma", "1.5"], "argument --gamma: '1.5' is invalid"),
        (
            ["--env", "TMaze-v0", "--n-envs", "1", "--n-steps", "8"],
            "--batch-size: batch_size=256 is more than the rollout",
        ),
        (["--env", "TMaze-v0", "--algo", "ppo", "--memory", "trial"], "needs --algo rl_lstm"),
        (["--env", "TMaze-v0", "--length", "0"], "TMaze-v0 rejects its options"),
        (["--env", "TMaze-v0", "--algo", "ppo", "--batch-size", "1"], "ppo cannot be built"),
        (["--env", "Blind-v0", "--capture-video"], "videos need rgb_array"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        ppo.main(["--run-dir", str(tmp_path / "runs"), *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_usage_error_shows_no_traceback(tmp_path):
    result = train(tmp_path, "--env", "TMaze-v9")
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown env id 'TMaze-v9'")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("below", ["", "runs"])
def test_a_run_dir_inside_a_file_is_a_usage_error_and_nothing_is_created(tmp_path, below):
    afile = tmp_path / "afile"
    afile.write_text("kept")
    run_dir = afile / below if below else afile
    result = train(tmp_path, "--env", "TMaze-v0", "--run-dir", str(run_dir))  # the last one counts
    assert result.returncode == 2
    assert result.stderr == (
        f"error: --run-dir {run_dir} is not a directory (it, or a folder above it, is a file); "
        "pass a directory, existing or new\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["afile"] and afile.read_text() == "kept"


def test_resuming_as_another_env_or_algo_is_refused(tracked):
    tmp, _ = tracked
    run = only_run(tmp)
    for args in (["--algo", "sb3-contrib"], ["--env", "TMaze-Long-v0"], ["--n-steps", "32"]):
        result = train(tmp, "--resume", str(run), *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
    assert "cannot be resumed" in train(tmp, "--resume", str(run), "--algo", "ppo").stderr


def test_a_refused_resume_leaves_the_run_as_it_was(tracked):
    tmp, _ = tracked
    run = only_run(tmp)
    files = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    wandb_files = sorted((tmp / "wandb").rglob("*"))
    result = train(tmp, "--resume", str(run), "--total-timesteps", "8")
    assert result.returncode == 2
    assert "pass a larger --total-timesteps" in result.stderr
    assert {path: path.read_bytes() for path in run.rglob("*") if path.is_file()} == files
    assert wandb_files and sorted((tmp / "wandb").rglob("*")) == wandb_files  # no new W&B run


def test_a_run_in_training_is_not_resumed_beside_it_and_ctrl_c_saves_a_checkpoint_to_resume(
    tmp_path,
):
    process = started(
        [sys.executable, "-m", "train.ppo", "--run-dir", str(tmp_path / "runs"), *TINY], tmp_path
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for a checkpoint and a few updates to be logged
        metrics = list((tmp_path / "runs").glob("*/metrics.csv"))
        checkpoint = list((tmp_path / "runs").glob("*/checkpoints/latest.zip"))
        if checkpoint and metrics and len(metrics[0].read_text().splitlines()) > 3:
            break
        time.sleep(0.2)
    beside = train(tmp_path, "--resume", str(only_run(tmp_path)))
    assert beside.returncode == 2 and process.poll() is None
    assert "is being trained by another process; resume it once that one has stopped" in (
        beside.stderr
    )
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr[-3000:]
    run = only_run(tmp_path)
    assert f"python -m train.ppo --resume {run}" in stdout
    assert (run / "checkpoints" / "latest.zip").is_file()
    stopped_at = int(pd.read_csv(run / "metrics.csv")["time/total_timesteps"].max())

    target = stopped_at + 256
    result = train(tmp_path, "--resume", str(run), "--total-timesteps", str(target))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"resuming {run} at step" in result.stdout
    steps = pd.read_csv(run / "metrics.csv")["time/total_timesteps"].dropna()
    assert steps.is_monotonic_increasing and steps.max() >= target
    assert json.loads((run / "config.json").read_text())["total_timesteps"] == target


HEAVY_MODULES = ("torch", "stable_baselines3", "sb3_contrib", "wandb", "pandas", "matplotlib")


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("train.ppo", ["--env", "TMaze-v0", "--help"]),
        ("train.ppo", ["--env", "TMaze-v9"]),
        ("train.ppo", ["--env", "TMaze-v0", "--n-steps", "-3"]),
        ("train.record", ["--help"]),
        ("train.record", ["no/such/run"]),
    ],
)
def test_help_and_usage_errors_do_not_load_the_training_stack(command, args):
    # What a command imports before it can answer decides how long --help or an error takes.
    check = (
        f"import runpy, sys\n"
        f"sys.argv = ['{command}', *{args!r}]\n"
        f"try:\n    runpy.run_module('{command}', run_name='__main__')\n"
        f"except SystemExit:\n    pass\n"
        f"print('loaded:', [m for m in {HEAVY_MODULES!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], env=command_env(REPO), capture_output=True, text=True
    )
    assert "loaded: []" in result.stdout, result.stdout + result.stderr


# Third-party and Gymnasium ids, each with what it tests and a note train.ppo must print.
OTHER_IDS = {
    "popgym:popgym-AutoencodeEasy-v0": "observation space Tuple is flattened to a Box",
    "popgym:popgym-CountRecallEasy-v0": None,  # MultiDiscrete observations
    "popgym:popgym-BattleshipEasy-v0": None,  # MultiDiscrete actions
    "popgym:popgym-LabyrinthEscapeEasy-v0": None,  # needs popgym's navigation extra (mazelib)
    "minigrid:MiniGrid-MemoryS7-v0": "observation entries 'mission' (MissionSpace) cannot be read",
    "CartPole-v1": None,
    "Pendulum-v1": None,  # Box actions
}
# The baselines on MultiDiscrete observations, whose size SB3 reports as a numpy int.
OTHER_ALGOS = {"popgym:popgym-CountRecallEasy-v0": ["sb3-contrib", "ppo"]}
OTHER_RUNS = [(env_id, "rl_lstm") for env_id in OTHER_IDS]
OTHER_RUNS += [(env_id, algo) for env_id, algos in OTHER_ALGOS.items() for algo in algos]
TINIEST = [
    "--n-envs", "2", "--n-steps", "32", "--batch-size", "32", "--n-epochs", "1",
    "--lstm-hidden-size", "8", "--total-timesteps", "128", "--eval-freq", "1000000",
    "--eval-episodes", "1",
]  # fmt: skip
# One interpreter trains every id in turn, each through train.ppo's entry point with its output
# captured apart: one Python and torch start-up instead of one per id.
DRIVER = """
import contextlib, json, sys, traceback
from train import ppo
codes = {}
for name, argv in json.loads(sys.argv[1]).items():
    with open(name + ".log", "w") as log, contextlib.redirect_stdout(log), \\
            contextlib.redirect_stderr(log):
        try:
            codes[name] = ppo.main(argv)
        except SystemExit as exit:
            codes[name] = exit.code
        except Exception:
            traceback.print_exc()
            codes[name] = "exception"
print(json.dumps(codes))
"""


def installed(env_id: str) -> bool:
    module = env_id.rpartition(":")[0]
    return not module or importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def other_ids(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("other_ids")
    runs = {
        f"id{i}": ["--env", env_id, "--algo", algo, "--run-dir", str(tmp / f"id{i}"), *TINIEST]
        for i, (env_id, algo) in enumerate(OTHER_RUNS)
        if installed(env_id)
    }
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(runs)],
        cwd=tmp, env=command_env(tmp), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp, json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(("env_id", "algo"), OTHER_RUNS)
def test_third_party_and_gymnasium_ids_train_and_evaluate(other_ids, env_id, algo):
    if not installed(env_id):
        pytest.skip(f"{env_id.partition(':')[0]} is not installed (rl_lstm[third-party-envs])")
    tmp, codes = other_ids
    name = f"id{OTHER_RUNS.index((env_id, algo))}"
    output = (tmp / f"{name}.log").read_text()
    assert codes[name] == 0, output[-3000:]
    assert "Traceback" not in output and "Run finished" in output
    if OTHER_IDS[env_id]:
        assert f"note: {OTHER_IDS[env_id]}" in output
    (run,) = (tmp / name).iterdir()
    config = json.loads((run / "config.json").read_text())
    assert (config["env"], config["algo"]) == (env_id, algo)
    metrics = pd.read_csv(run / "metrics.csv")
    evaluations = metrics.dropna(subset=["eval/mean_reward"])
    assert evaluations["time/total_timesteps"].tolist() == [128]  # at the end only
    assert (run / "checkpoints" / "best.zip").is_file()


@pytest.mark.parametrize(
    ("module", "env_id"),
    [("popgym", "popgym:popgym-CountRecallEasy-v0"), ("minigrid", "minigrid:MiniGrid-MemoryS7-v0")],
)
def test_a_missing_third_party_package_is_a_one_line_install_hint(
    tmp_path, capsys, monkeypatch, module, env_id
):
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(SystemExit) as exit_info:
        ppo.main(["--run-dir", str(tmp_path / "runs"), "--env", env_id])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: cannot import '{module}' for env '{env_id}'")
    assert error.count("\n") == 1 and "pip install 'rl_lstm[third-party-envs]'" in error
    assert not (tmp_path / "runs").exists()


def test_a_missing_gymnasium_extra_is_a_one_line_install_hint_without_traceback(tmp_path):
    block = "import sys; sys.modules['Box2D'] = None; from train import ppo; sys.exit(ppo.main())"
    result = subprocess.run(
        [sys.executable, "-c", block, "--env", "LunarLander-v3", "--run-dir", str(tmp_path)],
        cwd=tmp_path, env=command_env(tmp_path), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("error: env 'LunarLander-v3' needs a package that is not")
    assert result.stderr.count("\n") == 1 and 'pip install "gymnasium[box2d]"' in result.stderr
    assert list(tmp_path.iterdir()) == []
