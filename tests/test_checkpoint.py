"""Checkpoints: identical predictions after a round trip; nothing runs on load."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecNormalize

from rl_lstm import RecurrentPPO
from rl_lstm.checkpoint import CheckpointError, read_checkpoint
from tests.conftest import CreatesAFileWhenUnpickled


def trained_model(memory: str = "episode") -> RecurrentPPO:
    env = VecNormalize(make_vec_env("CartPole-v1", n_envs=2, seed=0))
    model = RecurrentPPO(
        "MlpLstmPolicy",
        env,
        n_steps=16,
        batch_size=32,
        n_epochs=2,
        learning_rate=LinearSchedule(1e-3, 0.0, 1.0),
        memory=memory,
        seq_len=8,
        policy_kwargs={"lstm_hidden_size": 8, "activation_fn": th.nn.ReLU, "net_arch": [8]},
        seed=0,
    )
    return model.learn(64)


def rollout_predictions(model: RecurrentPPO, steps: int = 20):
    obs = np.random.default_rng(0).normal(size=(steps, 2, 4)).astype(np.float32)
    state, starts, outputs = None, np.ones(2, dtype=bool), []
    for step_obs in obs:
        actions, state = model.predict(step_obs, state, starts, deterministic=True)
        starts = np.zeros(2, dtype=bool)
        outputs.append((actions, state[0].copy(), state[1].copy()))
    return outputs


def test_save_load_predict_gives_identical_actions_and_states(tmp_path):
    model = trained_model()
    model.save(tmp_path / "model")
    loaded = RecurrentPPO.load(tmp_path / "model.zip")
    for (a, h, c), (a2, h2, c2) in zip(
        rollout_predictions(model), rollout_predictions(loaded), strict=True
    ):
        assert np.array_equal(a, a2) and np.array_equal(h, h2) and np.array_equal(c, c2)
    assert loaded.num_timesteps == model.num_timesteps
    assert loaded.memory == model.memory and loaded.seq_len == 8
    assert isinstance(loaded.lr_schedule.value_schedule, LinearSchedule)
    assert loaded.policy_kwargs["activation_fn"] is th.nn.ReLU


def test_load_restores_optimizer_states_and_normalization_to_resume(tmp_path):
    model = trained_model(memory="never")
    model.save(tmp_path / "model.zip")
    env = VecNormalize(make_vec_env("CartPole-v1", n_envs=2, seed=1))
    loaded = RecurrentPPO.load(tmp_path / "model.zip", env=env)
    saved_stats = model.get_vec_normalize_env().obs_rms
    assert np.array_equal(env.obs_rms.mean, saved_stats.mean)
    assert env.obs_rms.count == saved_stats.count
    saved, restored = model.training_progress(), loaded.training_progress()
    assert th.equal(restored.lstm_states.pi[1], saved.lstm_states.pi[1])
    assert (restored.num_timesteps, restored.n_updates) == (saved.num_timesteps, saved.n_updates)
    saved_moments = model.policy.optimizer.state_dict()["state"][0]["exp_avg"]
    assert th.equal(loaded.policy.optimizer.state_dict()["state"][0]["exp_avg"], saved_moments)
    loaded.learn(64, reset_num_timesteps=False)
    assert loaded.num_timesteps == model.num_timesteps + 64


def test_optimizer_state_saved_per_parameter_still_loads(tmp_path):
    model = trained_model()
    flat_adam = model.policy.optimizer
    flat_state = flat_adam.state_dict()
    parameters = model.policy.flat_parameters.parameters
    # A checkpoint from before the parameters were packed: Adam's state per parameter.
    per_parameter = th.optim.Adam(parameters)
    group = flat_state["param_groups"][0]
    moments = {
        key: flat_state["state"][0][key].split([p.numel() for p in parameters])
        for key in ("exp_avg", "exp_avg_sq")
    }
    per_parameter.load_state_dict(
        {
            "state": {
                index: {
                    "step": flat_state["state"][0]["step"],
                    **{key: moments[key][index].view_as(p) for key in moments},
                }
                for index, p in enumerate(parameters)
            },
            "param_groups": [{**group, "params": list(range(len(parameters)))}],
        }
    )
    model.policy.optimizer = per_parameter
    model.save(tmp_path / "model.zip")
    model.policy.optimizer = flat_adam
    loaded = RecurrentPPO.load(tmp_path / "model.zip").policy.optimizer.state_dict()
    for key in ("step", "exp_avg", "exp_avg_sq"):
        assert th.equal(loaded["state"][0][key], flat_state["state"][0][key])
    assert loaded["param_groups"] == flat_state["param_groups"]


def test_loading_into_an_env_with_other_spaces_is_refused(tmp_path):
    trained_model().save(tmp_path / "model.zip")
    with pytest.raises(ValueError, match="Observation spaces do not match"):
        RecurrentPPO.load(tmp_path / "model.zip", env=make_vec_env("Pendulum-v1"))


def test_files_that_are_not_checkpoints_are_refused_clearly(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="not an rl_lstm checkpoint"):
        RecurrentPPO.load(tmp_path / "notes.txt")
    PPO("MlpPolicy", "CartPole-v1").save(tmp_path / "sb3.zip")
    with pytest.raises(CheckpointError, match=r"lacks config\.json"):
        RecurrentPPO.load(tmp_path / "sb3.zip")
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        RecurrentPPO.load(tmp_path / "missing.zip")


def test_a_payload_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    trained_model().save(tmp_path / "model.zip")
    marker = tmp_path / "pwned"
    with zipfile.ZipFile(tmp_path / "model.zip") as archive:
        config = archive.read("config.json")
    buffer = io.BytesIO()
    th.save(
        {"policy": CreatesAFileWhenUnpickled(marker)},
        buffer,
        pickle_protocol=pickle.HIGHEST_PROTOCOL,
    )
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.writestr("config.json", config)
        archive.writestr("tensors.pt", buffer.getvalue())
    with pytest.raises(CheckpointError, match="other than plain tensors"):
        RecurrentPPO.load(tmp_path / "evil.zip")
    assert not marker.exists()


def test_config_naming_an_unknown_class_is_refused(tmp_path):
    trained_model().save(tmp_path / "model.zip")
    with zipfile.ZipFile(tmp_path / "model.zip") as archive:
        config = json.loads(archive.read("config.json"))
        tensors = archive.read("tensors.pt")
    config["policy_kwargs"]["activation_fn"] = {"class": "os.system"}
    with zipfile.ZipFile(tmp_path / "odd.zip", "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("tensors.pt", tensors)
    with pytest.raises(CheckpointError, match=r"'os\.system', which a checkpoint may not load"):
        RecurrentPPO.load(tmp_path / "odd.zip")


def test_saved_config_is_readable_json(tmp_path):
    trained_model().save(tmp_path / "model.zip")
    config, tensors = read_checkpoint(tmp_path / "model.zip")
    assert config["memory"] == "episode" and config["hyperparameters"]["n_steps"] == 16
    assert config["observation_space"]["type"] == "Box" and "policy" in tensors
