"""Space checks name the space and list what is supported."""

from __future__ import annotations

import pytest
from gymnasium import spaces

from rl_lstm.spaces import check_action_space, check_observation_space


def test_supported_spaces_pass():
    check_observation_space(spaces.Dict({"a": spaces.Discrete(2), "b": spaces.MultiBinary(3)}))
    check_action_space(spaces.MultiDiscrete([2, 3]))


def test_tuple_observation_is_named_with_the_supported_list():
    with pytest.raises(TypeError, match=r"observation space Tuple.*Box, Discrete, MultiDiscrete"):
        check_observation_space(spaces.Tuple((spaces.Discrete(2),)))


def test_text_inside_a_dict_is_named_by_its_key():
    with pytest.raises(TypeError, match="Dict entry 'mission'"):
        check_observation_space(spaces.Dict({"mission": spaces.Text(10)}))


def test_unsupported_action_space_is_named():
    with pytest.raises(TypeError, match=r"action space Tuple.*supported: Discrete"):
        check_action_space(spaces.Tuple((spaces.Discrete(2),)))
