"""Which observation and action spaces the agent takes, with errors that say so."""

from __future__ import annotations

from gymnasium import spaces

SUPPORTED_OBSERVATION_SPACES = (
    spaces.Box,
    spaces.Discrete,
    spaces.MultiDiscrete,
    spaces.MultiBinary,
)
SUPPORTED_ACTION_SPACES = (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary, spaces.Box)


def _names(space_types: tuple[type, ...]) -> str:
    return ", ".join(space_type.__name__ for space_type in space_types)


def check_observation_space(space: spaces.Space) -> None:
    """Raise ``TypeError`` naming ``space`` if the policies cannot read it."""
    supported = f"{_names(SUPPORTED_OBSERVATION_SPACES)}, or a Dict of these"
    if isinstance(space, spaces.Dict):
        for key, subspace in space.spaces.items():
            if not isinstance(subspace, SUPPORTED_OBSERVATION_SPACES):
                raise TypeError(
                    f"observation space Dict entry {key!r} is {subspace}, which is not supported; "
                    f"supported: {supported}"
                )
    elif not isinstance(space, SUPPORTED_OBSERVATION_SPACES):
        raise TypeError(f"observation space {space} is not supported; supported: {supported}")


def check_action_space(space: spaces.Space) -> None:
    """Raise ``TypeError`` naming ``space`` if no action distribution fits it."""
    if not isinstance(space, SUPPORTED_ACTION_SPACES):
        raise TypeError(
            f"action space {space} is not supported; supported: {_names(SUPPORTED_ACTION_SPACES)}"
        )
