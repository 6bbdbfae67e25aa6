import numpy as np
import pytest

from envs.validation import check_int


def test_accepts_integers_in_range_as_int():
    assert check_int("size", np.int64(7), 5, 9) == 7
    assert type(check_int("size", np.int64(7), 5)) is int


@pytest.mark.parametrize(
    ("value", "high", "message"),
    [
        (4, 9, r"size must be an integer in \[5, 9\], got 4"),
        (10, 9, r"size must be an integer in \[5, 9\], got 10"),
        (-1, None, r"size must be an integer >= 5, got -1"),
        (5.0, None, r"size must be an integer >= 5, got 5.0"),
        (True, None, r"size must be an integer >= 5, got True"),
    ],
)
def test_rejects_with_name_and_range(value, high, message):
    with pytest.raises(ValueError, match=message):
        check_int("size", value, 5, high)
