"""The categorical action distribution: torch's Categorical law, sampled by Gumbel-max."""

from __future__ import annotations

import numpy as np
import torch as th
from stable_baselines3.common import distributions as sb3_distributions
from torch.distributions import Categorical

from rl_lstm.distributions import CategoricalDistribution

N_ACTIONS = 5
# log_softmax and torch's `logits - logsumexp` are the same formula on different kernels: in
# float64 they differ by rounding only (a few ulps of values of order 10).
ROUNDING = {"rtol": 0.0, "atol": 1e-12}


def random_logits(rows: int = 64, seed: int = 0) -> th.Tensor:
    generator = th.Generator().manual_seed(seed)
    return 3.0 * th.randn(rows, N_ACTIONS, generator=generator, dtype=th.float64)


def distribution_of(logits: th.Tensor) -> CategoricalDistribution:
    return CategoricalDistribution(logits.shape[-1]).proba_distribution(logits)


def sample_with_seed(distribution: CategoricalDistribution, seed: int) -> th.Tensor:
    with th.random.fork_rng(devices=[]):
        th.manual_seed(seed)
        return distribution.sample()


def test_log_prob_of_every_action_equals_torch_categorical():
    logits = random_logits()
    ours, reference = distribution_of(logits), Categorical(logits=logits)
    for action in range(N_ACTIONS):
        actions = th.full((len(logits),), action)
        th.testing.assert_close(ours.log_prob(actions), reference.log_prob(actions), **ROUNDING)


def test_log_prob_accepts_actions_stored_as_floats():
    # SB3's rollout buffers store discrete actions as floats.
    logits = random_logits()
    actions = th.randint(N_ACTIONS, (len(logits),), generator=th.Generator().manual_seed(1))
    distribution = distribution_of(logits)
    assert th.equal(distribution.log_prob(actions.double()), distribution.log_prob(actions))


def test_entropy_equals_torch_categorical():
    logits = random_logits()
    th.testing.assert_close(
        distribution_of(logits).entropy(), Categorical(logits=logits).entropy(), **ROUNDING
    )


def test_entropy_of_rows_with_impossible_actions_equals_torch_categorical():
    logits = random_logits()
    logits[::2, 1] = -float("inf")
    entropy = distribution_of(logits).entropy()
    assert entropy.isfinite().all()
    th.testing.assert_close(entropy, Categorical(logits=logits).entropy(), **ROUNDING)


def test_distribution_property_is_the_equivalent_torch_categorical():
    logits = random_logits()
    torch_distribution = distribution_of(logits).distribution
    assert isinstance(torch_distribution, Categorical)
    th.testing.assert_close(torch_distribution.probs, logits.softmax(-1), **ROUNDING)


def test_mode_is_the_most_probable_action_and_the_first_of_a_tie_as_in_sb3():
    logits = th.cat([random_logits(), th.tensor([[1.0, 3.0, 3.0, -2.0, 0.0]], dtype=th.float64)])
    reference = sb3_distributions.CategoricalDistribution(N_ACTIONS).proba_distribution(logits)
    mode = distribution_of(logits).mode()
    assert th.equal(mode, reference.mode())
    assert mode[-1].item() == 1


def test_deterministic_actions_are_the_mode():
    distribution = distribution_of(random_logits())
    assert th.equal(distribution.get_actions(deterministic=True), distribution.mode())


def test_samples_are_one_action_index_per_row():
    logits = random_logits(rows=1000).float()
    actions = sample_with_seed(distribution_of(logits), seed=0)
    assert actions.shape == (1000,) and actions.dtype == th.int64
    assert set(actions.tolist()) == set(range(N_ACTIONS))


def test_sampling_frequencies_match_the_probabilities_of_each_row():
    samples = 200_000
    probabilities = th.tensor([[0.1, 0.2, 0.3, 0.4, 0.0], [0.5, 0.05, 0.05, 0.15, 0.25]])
    logits = probabilities.log().repeat(samples, 1, 1)  # [samples, 2 rows, actions]
    actions = sample_with_seed(distribution_of(logits), seed=0)
    assert actions.shape == (samples, 2)
    for row in range(2):
        frequencies = np.bincount(actions[:, row].numpy(), minlength=N_ACTIONS) / samples
        p = probabilities[row].double().numpy()
        # Each frequency is a mean of `samples` Bernoulli(p) draws: 5 standard errors (0 for
        # the action of probability zero, which must never be drawn).
        tolerance = 5 * np.sqrt(p * (1 - p) / samples)
        assert np.all(np.abs(frequencies - p) <= tolerance), (row, frequencies, p)


def test_actions_with_logit_minus_infinity_are_never_sampled_and_have_log_prob_minus_infinity():
    logits = th.tensor([[0.0, -float("inf"), 2.0, -float("inf")]]).repeat(50_000, 1)
    distribution = distribution_of(logits)
    actions = sample_with_seed(distribution, seed=3)
    assert set(actions.tolist()) == {0, 2}
    assert (distribution.log_prob(th.ones(len(logits))) == -float("inf")).all()


def test_sampling_is_reproducible_under_the_same_seed_and_varies_with_it():
    distribution = distribution_of(random_logits(rows=500))
    first = sample_with_seed(distribution, seed=7)
    assert th.equal(sample_with_seed(distribution, seed=7), first)
    assert not th.equal(sample_with_seed(distribution, seed=8), first)


def test_log_prob_from_params_gives_the_log_probs_of_the_sampled_actions():
    logits = random_logits()
    with th.random.fork_rng(devices=[]):
        th.manual_seed(0)
        actions, log_probs = CategoricalDistribution(N_ACTIONS).log_prob_from_params(logits)
    th.testing.assert_close(log_probs, Categorical(logits=logits).log_prob(actions), **ROUNDING)
    assert th.equal(actions, sample_with_seed(distribution_of(logits), seed=0))
