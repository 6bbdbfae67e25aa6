"""`python -m train.ppo --env ID`: train an agent with the env's preset hyperparameters.

Examples::

    python -m train.ppo --env MaskedCartPole-v0
    python -m train.ppo --env TMaze-v0 --algo sb3-contrib --seed 3 --track --capture-video
    python -m train.ppo --resume runs/TMaze-v0__rl_lstm__3__20250101-120000
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from train.arguments import parse_args
from train.errors import exits_on_usage_error


@exits_on_usage_error
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m train.ppo`."""
    args = parse_args(argv)
    # torch, SB3 and W&B load only for a command line that trains: --help and errors stay quick.
    from train.training import train

    return train(args)


if __name__ == "__main__":
    sys.exit(main())
