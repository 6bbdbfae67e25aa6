"""Gate-bias initialisation: the biases are what the setting says, sb3's is sb3-contrib's."""

from __future__ import annotations

import math

import pytest
import sb3_contrib
import torch as th
from torch import nn

from rl_lstm import RecurrentPPO
from rl_lstm.gate_init import GateInit
from tests.conftest import scheduled_vec_env

UNITS = 8
VARIANTS = {
    "separate": {},
    "shared": {"shared_lstm": True, "enable_critic_lstm": False},
    "two-layers": {"n_lstm_layers": 2},
}


def model(agent_class=RecurrentPPO, seed=0, n_steps=16, **policy_kwargs):
    return agent_class(
        "MlpLstmPolicy",
        scheduled_vec_env(),
        n_steps=n_steps,
        batch_size=16,
        policy_kwargs={"lstm_hidden_size": UNITS, **policy_kwargs},
        seed=seed,
    )


def lstms(agent):
    return [lstm for lstm in (agent.policy.lstm_actor, agent.policy.lstm_critic) if lstm]


def gate_biases(lstm: nn.LSTM, layer: int) -> dict[str, th.Tensor]:
    """Effective bias (bias_ih + bias_hh) of each gate, PyTorch's order i, f, g, o."""
    total = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
    return dict(zip("ifgo", total.detach().split(lstm.hidden_size), strict=True))


def test_sb3_setting_is_sb3_contribs_initialisation_bit_for_bit():
    theirs = model(sb3_contrib.RecurrentPPO, seed=3).policy.state_dict()
    for ours in (model(seed=3), model(seed=3, gate_init="sb3")):
        state = ours.policy.state_dict()
        assert state.keys() == theirs.keys()
        assert all(th.equal(state[name], theirs[name]) for name in theirs)


@pytest.mark.parametrize("variant", VARIANTS)
def test_forget_bias_is_exact_and_the_other_gates_keep_sb3s(variant):
    reference = model(seed=1, **VARIANTS[variant])
    agent = model(seed=1, gate_init="forget:3", **VARIANTS[variant])
    assert len(lstms(agent)) == len(lstms(reference)) >= 1
    for lstm, before in zip(lstms(agent), lstms(reference), strict=True):
        for layer in range(lstm.num_layers):
            biases, sb3 = gate_biases(lstm, layer), gate_biases(before, layer)
            assert th.equal(biases["f"], th.full((UNITS,), 3.0))
            for gate in "igo":
                assert th.equal(biases[gate], sb3[gate])


@pytest.mark.parametrize("variant", VARIANTS)
def test_chrono_forget_bias_spans_the_horizon_and_input_bias_is_its_negative(variant):
    agent = model(seed=2, gate_init="chrono:600", **VARIANTS[variant])
    reference = model(seed=2, **VARIANTS[variant])
    for lstm, before in zip(lstms(agent), lstms(reference), strict=True):
        for layer in range(lstm.num_layers):
            biases, sb3 = gate_biases(lstm, layer), gate_biases(before, layer)
            assert th.equal(biases["i"], -biases["f"])
            assert biases["f"].min() >= 0 and biases["f"].max() <= math.log(599)
            assert biases["f"].std() > 0.3  # drawn per unit, not one value
            for gate in "go":
                assert th.equal(biases[gate], sb3[gate])


def test_chrono_is_seeded_and_alone_takes_the_training_sequence_length_as_horizon():
    first, second = model(seed=4, gate_init="chrono:50"), model(seed=4, gate_init="chrono:50")
    other = model(seed=5, gate_init="chrono:50")
    bias = [gate_biases(m.policy.lstm_actor, 0)["f"] for m in (first, second, other)]
    assert th.equal(bias[0], bias[1]) and not th.equal(bias[0], bias[2])
    given = {"lstm_hidden_size": 64, "gate_init": "chrono"}
    derived = RecurrentPPO("MlpLstmPolicy", scheduled_vec_env(), n_steps=12, policy_kwargs=given)
    assert derived.policy_kwargs["gate_init"] == "chrono:12"
    assert given["gate_init"] == "chrono"  # the caller's dict is left alone
    assert gate_biases(derived.policy.lstm_actor, 0)["f"].max() <= math.log(11)
    assert gate_biases(derived.policy.lstm_actor, 0)["f"].max() > math.log(8)  # 64 draws


def test_the_setting_survives_save_and_load(tmp_path):
    agent = model(gate_init="forget:2")
    agent.save(tmp_path / "model.zip")
    loaded = RecurrentPPO.load(tmp_path / "model.zip")
    assert str(loaded.policy.gate_init) == "forget:2"
    for name, value in agent.policy.state_dict().items():
        assert th.equal(loaded.policy.state_dict()[name], value), name


@pytest.mark.parametrize(
    "text", ["", "chrono:2", "chrono:inf", "chrono:x", "forget", "forget:nan", "uniform", 3]
)
def test_bad_settings_are_named_with_what_is_accepted(text):
    with pytest.raises(ValueError, match=r"gate_init=.* use 'sb3', 'forget:<bias>'"):
        GateInit.parse(text)
    with pytest.raises(ValueError, match=r"gate_init="):
        model(gate_init=text)


def test_a_bias_setting_needs_lstm_biases_and_chrono_a_horizon_outside_the_agent():
    with pytest.raises(ValueError, match=r"gate_init='forget:1' needs LSTM biases"):
        model(gate_init="forget:1", lstm_kwargs={"bias": False})
    with pytest.raises(ValueError, match=r"'chrono' needs a horizon here"):
        GateInit.parse("chrono").apply(nn.LSTM(2, 4))
