"""Saved views in preferences.toml: appended without disturbing the file, read back, refused clearly."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.workspace.preferences import SavedView, load_preferences, save_view, toml_string


def test_a_view_is_appended_keeping_comments_and_other_settings(tmp_path):
    path = tmp_path / "preferences.toml"
    path.write_text('# my settings\ntimezone = "Europe/Paris"\n[keymap]\nclaim = "ctrl+k"  # muscle memory')
    save_view("VIP billing", "tag:vip   tag:billing", path)
    save_view('Ada "the" customer', "from:ada@client.test", path)
    text = path.read_text()
    assert text.startswith('# my settings\ntimezone = "Europe/Paris"\n[keymap]\nclaim = "ctrl+k"  # muscle memory\n')
    prefs = load_preferences(path)
    assert prefs.keymap == {"claim": "ctrl+k"} and prefs.timezone == "Europe/Paris"
    assert prefs.views == (
        SavedView("VIP billing", "tag:vip tag:billing"),
        SavedView('Ada "the" customer', "from:ada@client.test"),
    )


def test_a_missing_file_is_created(tmp_path):
    path = tmp_path / "sub" / "preferences.toml"
    save_view("Mine", "owner:me", path)
    assert load_preferences(path).views == (SavedView("Mine", "owner:me"),)


@pytest.mark.parametrize(
    "name, search, says",
    [
        ("", "tag:vip", "give the view a name"),
        ("x" * 41, "tag:vip", "under 40"),
        ("Mine", "owner:me", "a view named 'Mine' exists already"),
        ("Empty", "   ", "no search to save"),
    ],
)
def test_bad_views_are_refused_and_the_file_is_unchanged(tmp_path, name, search, says):
    path = tmp_path / "preferences.toml"
    save_view("Mine", "owner:me", path)
    before = path.read_text()
    with pytest.raises(ValueError, match=says):
        save_view(name, search, path)
    assert path.read_text() == before


def test_broken_view_entries_are_ignored_not_fatal(tmp_path):
    path = tmp_path / "preferences.toml"
    path.write_text('[[views]]\nname = "ok"\nsearch = "is:mine"\n\n[[views]]\nname = 3\n\n[[views]]\nsearch = "x"\n')
    assert load_preferences(path).views == (SavedView("ok", "is:mine"),)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_a_valid_toml_string(value):
    assert tomllib.loads("k = " + toml_string(value))["k"] == value
