"""From a Gymnasium id to the vectorised env a run trains on: id checks, space fixes, wrappers."""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec, load_env_creator
from gymnasium.wrappers import FilterObservation, FlattenObservation

import envs  # noqa: F401  (registers the project's tasks, here and in env worker processes)
from rl_lstm.spaces import SUPPORTED_ACTION_SPACES, SUPPORTED_OBSERVATION_SPACES
from train.errors import UsageError

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecEnv

THIRD_PARTY_HINT = (
    "third-party tasks are written 'module:Id' (e.g. 'popgym:...' or 'minigrid:MiniGrid-...'), "
    "after pip install 'rl_lstm[third-party-envs]'"
)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def resolve_env_id(env_id: str) -> EnvSpec:
    """The spec of ``env_id`` (importing the module of ``module:Id`` first), or why not.

    The env's own module is imported too, so that a missing package (Box2D, MuJoCo...) is told
    here, in one line, rather than by a traceback once training starts.
    """
    module, _, name = env_id.rpartition(":")
    if module:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise UsageError(
                f"cannot import {module!r} for env {env_id!r} ({_first_line(error)}); "
                f"{THIRD_PARTY_HINT}"
            ) from None
    try:
        spec = gym.spec(name)
    except gym.error.Error:
        by_lower = {key.lower(): key for key in gym.registry}
        close = difflib.get_close_matches(name.lower(), by_lower, n=5, cutoff=0.6)
        hint = f"close matches: {', '.join(by_lower[c] for c in close)}; " if close else ""
        raise UsageError(f"unknown env id {env_id!r}; {hint}{THIRD_PARTY_HINT}") from None
    if isinstance(spec.entry_point, str):
        try:
            load_env_creator(spec.entry_point)
        except (ImportError, gym.error.DependencyNotInstalled) as error:
            raise missing_package(env_id, error) from None
    return spec


def missing_package(env_id: str, error: Exception) -> UsageError:
    """The one-line error for an env whose package (Box2D, MuJoCo, ...) is not installed."""
    return UsageError(f"env {env_id!r} needs a package that is not installed: {_first_line(error)}")


def env_options(spec: EnvSpec) -> dict[str, Any]:
    """The env constructor's arguments with simple values, as the registry sets them."""
    creator = spec.entry_point
    if isinstance(creator, str):
        creator = load_env_creator(creator)
    try:
        parameters = inspect.signature(creator).parameters.values()
    except (TypeError, ValueError):
        return {}
    options = {}
    for param in parameters:
        value = spec.kwargs.get(param.name, param.default)
        if param.name != "render_mode" and type(value) in (bool, int, float, str):
            options[param.name] = value
    return options


def option_help(spec: EnvSpec) -> dict[str, str]:
    """What each constructor argument does, from the docstring of the env (or its ``__init__``):
    Sphinx ``:param name: text`` lines, or the lines of a Google-style ``Args:`` section."""
    creator = spec.entry_point
    if isinstance(creator, str):
        creator = load_env_creator(creator)
    docs = [inspect.getdoc(creator) or ""]
    if inspect.isclass(creator):
        docs.append(inspect.getdoc(creator.__init__) or "")
    text = "\n".join(docs)
    found = dict(re.findall(r"^\s*:param (\w+):\s*(.+)$", text, flags=re.MULTILINE))
    if args := re.search(r"^\s*Args:\n((?:[ \t]+.*\n?)+)", text, flags=re.MULTILINE):
        for name, description in re.findall(
            r"^\s*(\w+)(?: \([^)]*\))?:\s*(.+)$", args.group(1), flags=re.MULTILINE
        ):
            found.setdefault(name, description)
    return found


def _parts(space: spaces.Space) -> list[spaces.Space]:
    if isinstance(space, spaces.Dict):
        return list(space.spaces.values())
    return list(space.spaces) if isinstance(space, spaces.Tuple) else []


def readable(space: spaces.Space) -> bool:
    """Whether a policy can read ``space``: a supported space, or a Dict/Tuple of readable ones."""
    if isinstance(space, (spaces.Dict, spaces.Tuple)):
        return all(readable(part) for part in _parts(space))
    return isinstance(space, SUPPORTED_OBSERVATION_SPACES)


def _unreadable_keys(space: spaces.Space) -> list[str]:
    """Dict entries no policy can read (text, MiniGrid's MissionSpace, any other kind of space),
    when some entry is left to read."""
    if not isinstance(space, spaces.Dict):
        return []
    unreadable = [key for key, part in space.spaces.items() if not readable(part)]
    return unreadable if len(unreadable) < len(space.spaces) else []


def _kept(space: spaces.Space) -> spaces.Space:
    """``space`` without its unreadable Dict entries."""
    if keys := _unreadable_keys(space):
        return spaces.Dict({key: sub for key, sub in space.spaces.items() if key not in keys})
    return space


def _stackable(space: spaces.Space) -> bool:
    """Whether SB3's VecFrameStack takes ``space``: a Box or a Dict of Boxes."""
    parts = _parts(space) if isinstance(space, spaces.Dict) else [space]
    return all(isinstance(part, spaces.Box) for part in parts)


def _needs_flattening(space: spaces.Space, stacking: bool) -> bool:
    if not readable(space):
        return False  # check_spaces refuses it
    if isinstance(space, spaces.Tuple) or (stacking and not _stackable(space)):
        return True
    nested = (spaces.Dict, spaces.Tuple)
    return isinstance(space, spaces.Dict) and any(isinstance(p, nested) for p in _parts(space))


def conversion_notice(space: spaces.Space, stacking: bool = False) -> str | None:
    """The one-line notice for an observation space SB3 cannot take as it is (None if it can);
    ``stacking``: for frame stacking, which takes only Boxes."""
    notices = []
    if keys := _unreadable_keys(space):
        kinds = ", ".join(f"{key!r} ({type(space[key]).__name__})" for key in keys)
        notices.append(f"observation entries {kinds} cannot be read by a policy: dropped")
    flattened = f"observation space {type(space).__name__} is flattened to a Box"
    if _needs_flattening(_kept(space), stacking=False):
        notices.append(flattened)
    elif _needs_flattening(_kept(space), stacking):
        notices.append(f"{flattened} to stack frames (discrete entries one-hot)")
    return "; ".join(notices) or None


def to_sb3_spaces(env: gym.Env, stacking: bool = False) -> gym.Env:
    """Drop unreadable entries of Dict observations and flatten Tuple/nested observations (with
    ``stacking``, any observation but a Box or a Dict of Boxes: discrete ones become one-hot)."""
    if keys := _unreadable_keys(env.observation_space):
        keep = [key for key in env.observation_space.spaces if key not in keys]
        env = FilterObservation(env, keep)
    if _needs_flattening(env.observation_space, stacking):
        env = FlattenObservation(env)
    return env


def make_env(
    env_id: str,
    env_kwargs: dict[str, Any],
    render_mode: str | None = None,
    stacking: bool = False,
) -> gym.Env:
    """One env of ``env_id`` with spaces SB3 accepts (and VecFrameStack with ``stacking``).

    ``render_mode`` is passed only when frames are asked for: some constructors (popgym's) take
    no such argument.
    """
    if render_mode is not None:
        env_kwargs = {**env_kwargs, "render_mode": render_mode}
    return to_sb3_spaces(gym.make(env_id, **env_kwargs), stacking)


def check_spaces(env: gym.Env) -> None:
    """Refuse (converted) observation and action spaces SB3's policies cannot take."""
    for kind, space, supported in (
        ("observation", env.observation_space, (*SUPPORTED_OBSERVATION_SPACES, spaces.Dict)),
        ("action", env.action_space, SUPPORTED_ACTION_SPACES),
    ):
        if not (isinstance(space, supported) and readable(space)):
            names = ", ".join(s.__name__ for s in supported)
            raise UsageError(f"{kind} space {space} is not supported; supported: {names}")


def check_env(
    env_id: str, env_kwargs: dict[str, Any], capture_video: bool = False, stacking: bool = False
) -> None:
    """Build one env to check its options, spaces and rendering before anything starts;
    ``stacking``: its observations are to be frame-stacked."""
    try:
        env = gym.make(env_id, **env_kwargs)
    except (TypeError, ValueError, AssertionError) as error:
        raise UsageError(f"{env_id} rejects its options {env_kwargs}: {error}") from None
    except gym.error.DependencyNotInstalled as error:
        raise missing_package(env_id, error) from None
    if notice := conversion_notice(env.observation_space, stacking):
        print(f"note: {notice}")
    check_spaces(to_sb3_spaces(env, stacking))
    env.close()
    if capture_video:
        check_rendering(env_id, env_kwargs)


def check_rendering(env_id: str, env_kwargs: dict[str, Any]) -> None:
    """Refuse, before any training, an env that cannot draw itself as an RGB image for videos."""
    env = gym.make(env_id, **env_kwargs)
    modes = env.metadata.get("render_modes", [])
    env.close()
    if "rgb_array" not in modes:
        raise UsageError(f"videos need rgb_array rendering; {env_id} renders only {modes}")
    try:
        env = make_env(env_id, env_kwargs, render_mode="rgb_array")
    except TypeError as error:
        raise UsageError(f"{env_id} cannot render frames for videos: {error}") from None
    try:
        env.reset(seed=0)
        env.render()
    except Exception as error:
        raise UsageError(f"{env_id} cannot render frames for videos: {error}") from None
    finally:
        env.close()


def _channels_last_images(space: spaces.Space) -> bool:
    from stable_baselines3.common.preprocessing import (
        is_image_space,
        is_image_space_channels_first,
    )

    parts = space.spaces.values() if isinstance(space, spaces.Dict) else [space]
    return any(is_image_space(part) and not is_image_space_channels_first(part) for part in parts)


def _in_worker(make: Callable[[], gym.Env]) -> gym.Env:
    # Ctrl-C is the main process's to handle: it stops training cleanly and saves a checkpoint.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return make()


def make_vec_env(
    env_id: str,
    env_kwargs: dict[str, Any],
    n_envs: int,
    seed: int,
    *,
    vec_env: str = "dummy",
    normalize: bool = False,
    gamma: float = 0.99,
    training: bool = True,
    normalization_stats: Path | None = None,
    frame_stack: int = 0,
    render_mode: str | None = None,
) -> VecEnv:
    """``n_envs`` copies of the env, monitored, optionally normalised and frame-stacked, images
    channel-first.

    SB3 would transpose channel-last images (MiniGrid's) of the training env only; done here, the
    evaluation env is wrapped alike, as syncing normalisation statistics needs.

    ``normalization_stats`` is a file saved by VecNormalize to continue from.
    """
    # SB3 (and torch with it) loads here, not when ids and flags are checked.
    from stable_baselines3.common.vec_env import (
        DummyVecEnv,
        SubprocVecEnv,
        VecFrameStack,
        VecMonitor,
        VecNormalize,
        VecTransposeImage,
    )

    make = functools.partial(make_env, env_id, env_kwargs, render_mode, bool(frame_stack))
    if vec_env == "subproc":
        venv: VecEnv = SubprocVecEnv([functools.partial(_in_worker, make)] * n_envs)
    else:
        venv = DummyVecEnv([make] * n_envs)
    venv.seed(seed)
    venv = VecMonitor(venv)
    if normalization_stats:
        venv = VecNormalize.load(str(normalization_stats), venv)
        venv.training = venv.norm_reward = training
    elif normalize:
        venv = VecNormalize(venv, training=training, norm_reward=training, gamma=gamma)
    if frame_stack:
        venv = VecFrameStack(venv, frame_stack)
    if _channels_last_images(venv.observation_space):
        venv = VecTransposeImage(venv)
    return venv
