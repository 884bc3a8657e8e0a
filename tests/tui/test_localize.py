"""Instants inside texts from core are shown in the user's zone, in the one format of tui.formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from routing.wording import when
from tui.formatting import full_time, localize

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def test_core_phrasing_is_shown_in_the_users_zone() -> None:
    moment = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    assert when(moment, None) == "Tue 03 Mar 08:30 UTC"
    assert localize(f"#3 snoozed until {when(moment, None)}", PARIS, NOW) == "#3 snoozed until Tue 03 Mar 09:30 CET"
    assert (
        localize("next rung Tue 03 Mar 09:30 Europe/Paris", ZoneInfo("Asia/Tokyo"), NOW)
        == "next rung Tue 03 Mar 17:30 JST"
    )
    assert full_time(moment, PARIS) == "Tue 03 Mar 09:30 CET"


def test_the_year_is_the_nearest_that_fits_the_weekday() -> None:
    assert localize("Wed 31 Dec 23:30 UTC", PARIS, NOW) == "Thu 01 Jan 00:30 CET"  # 2025, the last Wed 31 Dec


def test_admin_texts_and_older_stored_texts() -> None:
    assert localize("failing since 2026-03-02 09:00 UTC", PARIS, NOW) == "failing since Mon 02 Mar 10:00 CET"
    assert localize("history before 02 Mar 2025 09:00 UTC", PARIS, NOW) == "history before Sun 02 Mar 2025 10:00 CET"
    assert localize("(yours alone until 11:21 UTC)", PARIS, NOW) == "(yours alone until Mon 02 Mar 12:21 CET)"


def test_what_is_not_an_instant_is_left_alone() -> None:
    for text in (
        "hours mon-fri 09:00-18:00 Europe/Paris",
        "order 12:30 units",
        "Mon 02 Mar 10:00 Mars/Olympus",
        "",
        "no digits",
    ):
        assert localize(text, PARIS, NOW) == text
    assert localize("Mon 02 Mar 10:00 UTC", ZoneInfo("UTC"), NOW) == "Mon 02 Mar 10:00 UTC"
