"""core.mail.backoff: capped exponential growth, jitter bounds, determinism with a seeded rng."""

import random

import pytest

from core.mail.backoff import ceiling, delay


def test_ceiling_grows_by_factor_until_the_cap():
    assert [round(ceiling(n), 2) for n in range(6)] == [1.0, 1.8, 3.24, 5.83, 10.5, 18.9]
    assert ceiling(10) == 300 and ceiling(10**9) == 300
    assert ceiling(3, base=2, factor=2, cap=10) == 10


@pytest.mark.parametrize("attempt", [0, 1, 5, 9, 10, 50, 10**6])
def test_delay_stays_between_half_the_ceiling_and_the_ceiling(attempt):
    rng = random.Random(attempt)
    top = ceiling(attempt)
    for _ in range(200):
        assert top / 2 <= delay(attempt, rng=rng) <= top


def test_delay_is_deterministic_with_a_seeded_rng():
    assert [delay(n, rng=random.Random(7)) for n in range(5)] == [delay(n, rng=random.Random(7)) for n in range(5)]


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        ceiling(-1)
    with pytest.raises(ValueError):
        ceiling(1, factor=0.5)
    assert ceiling(4, base=0) == 0
