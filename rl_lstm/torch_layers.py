"""Feature extractors that feed the LSTM: flat vectors, images of any size, and dicts."""

from __future__ import annotations

import torch as th
from gymnasium import spaces
from stable_baselines3.common.preprocessing import get_flattened_obs_dim, is_image_space
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor, NatureCNN
from torch import nn

# NatureCNN's 8x8/4, 4x4/2 and 3x3/1 kernels need at least this many pixels a side.
NATURE_CNN_MIN_SIDE = 36


class FlattenExtractor(BaseFeaturesExtractor):
    """Flattens the (preprocessed) observation; ``features_dim`` is a plain int.

    SB3's version reports numpy ints for MultiDiscrete spaces, which ``nn.LSTM`` rejects.
    """

    def __init__(self, observation_space: spaces.Space) -> None:
        super().__init__(observation_space, int(get_flattened_obs_dim(observation_space)))
        self.flatten = nn.Flatten()

    def forward(self, observations: th.Tensor) -> th.Tensor:
        return self.flatten(observations)


class SmallImageCNN(BaseFeaturesExtractor):
    """3x3 same-padding convolutions for small images, such as MiniGrid's 7x7 view."""

    def __init__(self, observation_space: spaces.Box, features_dim: int = 256) -> None:
        super().__init__(observation_space, features_dim)
        n_channels, height, width = observation_space.shape
        self.cnn = nn.Sequential(
            nn.Conv2d(n_channels, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(64, 64, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        self.linear = nn.Sequential(nn.Linear(64 * height * width, features_dim), nn.ReLU())

    def forward(self, observations: th.Tensor) -> th.Tensor:
        return self.linear(self.cnn(observations))


class ImageExtractor(BaseFeaturesExtractor):
    """NatureCNN for images large enough for it, a small-kernel CNN for smaller ones."""

    def __init__(
        self,
        observation_space: spaces.Box,
        features_dim: int = 256,
        normalized_image: bool = False,
    ) -> None:
        super().__init__(observation_space, features_dim)
        _, height, width = observation_space.shape
        if min(height, width) >= NATURE_CNN_MIN_SIDE:
            self.cnn: nn.Module = NatureCNN(observation_space, features_dim, normalized_image)
        else:
            self.cnn = SmallImageCNN(observation_space, features_dim)

    def forward(self, observations: th.Tensor) -> th.Tensor:
        return self.cnn(observations)


class CombinedExtractor(BaseFeaturesExtractor):
    """Dict observations: an image extractor per image key, flattening for the rest."""

    def __init__(
        self,
        observation_space: spaces.Dict,
        cnn_output_dim: int = 256,
        normalized_image: bool = False,
    ) -> None:
        super().__init__(observation_space, features_dim=1)
        extractors: dict[str, nn.Module] = {}
        total_dim = 0
        for key, subspace in observation_space.spaces.items():
            if is_image_space(subspace, normalized_image=normalized_image):
                extractors[key] = ImageExtractor(subspace, cnn_output_dim, normalized_image)
                total_dim += cnn_output_dim
            else:
                extractors[key] = nn.Flatten()
                total_dim += int(get_flattened_obs_dim(subspace))
        self.extractors = nn.ModuleDict(extractors)
        self._features_dim = total_dim

    def forward(self, observations: dict[str, th.Tensor]) -> th.Tensor:
        return th.cat([extract(observations[key]) for key, extract in self.extractors.items()], 1)
