"""Action distributions with less per-call work than SB3's: no argument checks, and a
categorical computed straight from log-probabilities.

The arguments come from the agent's own networks and buffer; torch.distributions' checks of
them cost more than the math on these small batches. Only these objects skip them: the
process-wide default (``Distribution.set_default_validate_args``) stays as it is.
"""

from __future__ import annotations

import torch as th
from stable_baselines3.common import distributions as sb3_distributions
from torch.distributions import Bernoulli, Categorical, Normal


class CategoricalDistribution(sb3_distributions.CategoricalDistribution):
    """SB3's categorical distribution computed straight from normalised log-probabilities.

    Building a ``torch.distributions.Categorical`` and sampling it with ``multinomial``
    costs several times the math on the small batches of acting and of the update.
    """

    def proba_distribution(self, action_logits: th.Tensor) -> CategoricalDistribution:
        self.log_probs = action_logits.log_softmax(-1)
        return self

    @property
    def distribution(self) -> Categorical:  # type: ignore[override]
        """The equivalent ``torch.distributions`` object, for callers that want one."""
        return Categorical(logits=self.log_probs, validate_args=False)

    def log_prob(self, actions: th.Tensor) -> th.Tensor:
        return self.log_probs.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> th.Tensor:
        # As torch's Categorical: an impossible action (log p = -inf) adds 0, not 0 * -inf = nan.
        log_probs = self.log_probs.clamp(min=th.finfo(self.log_probs.dtype).min)
        return -(log_probs.exp() * log_probs).sum(-1)

    def sample(self) -> th.Tensor:
        # Gumbel-max: argmax(log p + G) with G = -log(Exponential(1)) is a sample of p.
        exponential = th.empty_like(self.log_probs).exponential_()
        return (self.log_probs - exponential.log()).argmax(-1)

    def mode(self) -> th.Tensor:
        return self.log_probs.argmax(-1)


class DiagGaussianDistribution(sb3_distributions.DiagGaussianDistribution):
    """SB3's diagonal Gaussian without argument checks."""

    def proba_distribution(
        self, mean_actions: th.Tensor, log_std: th.Tensor
    ) -> DiagGaussianDistribution:
        action_std = th.ones_like(mean_actions) * log_std.exp()
        self.distribution = Normal(mean_actions, action_std, validate_args=False)
        return self


class MultiCategoricalDistribution(sb3_distributions.MultiCategoricalDistribution):
    """SB3's independent categoricals (MultiDiscrete actions) without argument checks."""

    def proba_distribution(self, action_logits: th.Tensor) -> MultiCategoricalDistribution:
        self.distribution = [
            Categorical(logits=split, validate_args=False)
            for split in th.split(action_logits, list(self.action_dims), dim=1)
        ]
        return self


class BernoulliDistribution(sb3_distributions.BernoulliDistribution):
    """SB3's independent Bernoullis (MultiBinary actions) without argument checks."""

    def proba_distribution(self, action_logits: th.Tensor) -> BernoulliDistribution:
        self.distribution = Bernoulli(logits=action_logits, validate_args=False)
        return self


def unvalidated(distribution: sb3_distributions.Distribution) -> sb3_distributions.Distribution:
    """This module's version of an SB3 action distribution; others are returned as they are."""
    kind = type(distribution)
    if kind is sb3_distributions.CategoricalDistribution:
        return CategoricalDistribution(distribution.action_dim)
    if kind is sb3_distributions.DiagGaussianDistribution:
        return DiagGaussianDistribution(distribution.action_dim)
    if kind is sb3_distributions.MultiCategoricalDistribution:
        return MultiCategoricalDistribution(distribution.action_dims)
    if kind is sb3_distributions.BernoulliDistribution:
        return BernoulliDistribution(distribution.action_dims)
    return distribution
