"""Feature extractors: plain-int sizes, a CNN that fits small images."""

from __future__ import annotations

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.preprocessing import preprocess_obs
from stable_baselines3.common.torch_layers import NatureCNN

from rl_lstm.torch_layers import CombinedExtractor, FlattenExtractor, ImageExtractor, SmallImageCNN


def test_flatten_reports_a_plain_int_for_multi_discrete():
    extractor = FlattenExtractor(spaces.MultiDiscrete([3, 4]))
    assert type(extractor.features_dim) is int and extractor.features_dim == 7


def test_images_smaller_than_nature_cnn_get_the_small_cnn():
    small = ImageExtractor(spaces.Box(0, 255, (3, 7, 7), np.uint8), features_dim=32)
    large = ImageExtractor(spaces.Box(0, 255, (3, 64, 64), np.uint8), features_dim=32)
    assert isinstance(small.cnn, SmallImageCNN) and isinstance(large.cnn, NatureCNN)
    assert small(th.zeros(5, 3, 7, 7)).shape == (5, 32)


def test_combined_extractor_concatenates_images_and_vectors():
    space = spaces.Dict(
        {
            "view": spaces.Box(0, 255, (3, 5, 5), np.uint8),
            "target": spaces.Discrete(4),
        }
    )
    extractor = CombinedExtractor(space, cnn_output_dim=16)
    obs = preprocess_obs({"view": th.zeros(2, 3, 5, 5), "target": th.tensor([1, 3])}, space)
    assert extractor.features_dim == 20 and extractor(obs).shape == (2, 20)
