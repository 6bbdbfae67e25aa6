import subprocess
import sys

from envs.speed import random_policy_speed


def test_random_policy_speed_runs_whole_episodes():
    assert random_policy_speed("TMaze-v0", steps=500) > 0


def test_command_line_prints_one_line_per_task():
    result = subprocess.run(
        [sys.executable, "-m", "envs.speed", "TMaze-v0", "Simon-Easy-v0", "--steps", "200"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["TMaze-v0", "Simon-Easy-v0"]
    assert all(line.endswith("steps/s") for line in lines)
