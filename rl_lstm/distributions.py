"""Action distributions with less per-call work than torch.distributions objects."""

from __future__ import annotations

import torch as th
from stable_baselines3.common import distributions as sb3_distributions
from torch.distributions import Categorical


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
        return Categorical(logits=self.log_probs)

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
