"""The search language's parser: operators, values, days, and clear errors; any text either parses or says why."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import SearchSyntaxError
from core.work.search_syntax import IS_FLAGS, OPERATORS, SearchQuery, parse_search

TODAY = date(2026, 11, 24)


def test_words_and_operators_mix() -> None:
    query = parse_search(
        "refund from:ada@client.test tag:vip tag:billing is:overdue is:mine team:hifi "
        'owner:me to:support@ after:7d before:2026-11-30 "late parcel"',
        TODAY,
    )
    assert query == SearchQuery(
        words=("refund", "late", "parcel"),
        senders=("ada@client.test",),
        recipients=("support@",),
        teams=("hifi",),
        owners=("me",),
        tags=("vip", "billing"),
        flags=frozenset({"overdue", "mine"}),
        before=date(2026, 11, 30),
        after=date(2026, 11, 17),
    )


def test_quoted_values_and_case() -> None:
    query = parse_search('FROM:"Ada Lovelace" IS:Unclaimed', TODAY)
    assert query.senders == ("Ada Lovelace",) and query.flags == {"unclaimed"}


@pytest.mark.parametrize(
    "text, day",
    [
        ("after:today", TODAY),
        ("after:yesterday", date(2026, 11, 23)),
        ("after:0d", TODAY),
        ("after:30d", date(2026, 10, 25)),
        ("after:2026-01-31", date(2026, 1, 31)),
    ],
)
def test_days(text: str, day: date) -> None:
    assert parse_search(text, TODAY).after == day


def test_repeated_bounds_keep_the_narrower() -> None:
    query = parse_search("before:2026-11-30 before:2026-11-10 after:2026-01-01 after:2026-02-01", TODAY)
    assert (query.before, query.after) == (date(2026, 11, 10), date(2026, 2, 1))


def test_times_and_numbers_are_words_not_operators() -> None:
    assert parse_search("10:30 #42", TODAY).words == ("10:30", "#42")


@pytest.mark.parametrize(
    "text, says",
    [
        ("subject:hello", 'unknown search operator subject: .* put it in quotes \\("subject:hello"\\)'),
        ("is:late", "is:late is not a state; use one of is:unclaimed"),
        ("before:tomorrow", "before:tomorrow is not a day; write before:2026-11-24"),
        ("after:2026-13-01", "after:2026-13-01 is not a day"),
        ("from:", "from: needs a value, e.g. from:ada@example.com"),
        ('tag:""', "tag: needs a value"),
    ],
)
def test_errors_name_the_part_and_the_fix(text: str, says: str) -> None:
    with pytest.raises(SearchSyntaxError, match=says):
        parse_search(text, TODAY)


def test_a_quoted_operator_is_searched_as_text() -> None:
    assert parse_search('"subject:hello"', TODAY).words == ("subject:hello",)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_a_search_error(text: str) -> None:
    try:
        parse_search(text, TODAY)
    except SearchSyntaxError as error:
        assert str(error) and "\n" not in str(error)


values = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="@.-_+"),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    senders=st.lists(values, max_size=3),
    tags=st.lists(values, max_size=3),
    flags=st.sets(st.sampled_from(IS_FLAGS)),
    words=st.lists(values, max_size=3),
    after=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)),
)
def test_describe_round_trips(senders, tags, flags, words, after) -> None:
    words = [w for w in words if not any(w.lower().startswith(op + ":") for op in OPERATORS)]
    query = SearchQuery(
        words=tuple(words), senders=tuple(senders), tags=tuple(tags), flags=frozenset(flags), after=after
    )
    assert parse_search(query.describe(), TODAY) == query
