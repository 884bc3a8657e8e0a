"""comptoir.toml: valid files load; broken ones give one short paragraph naming file, key, line and problem."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.workspace.config import load_config, parse_config
from routing.hours import parse_week
from tests.conftest import BASIC_CONFIG


def test_basic_config_loads_with_defaults() -> None:
    config = parse_config(BASIC_CONFIG)
    hifi = config.team("hifi")
    assert hifi.exclusive_window == timedelta(hours=2)
    assert hifi.team_window == timedelta(hours=4)
    assert config.routing.recipient_limit == 2
    assert config.teams_of("paul") == ("hifi", "computers")
    assert config.members_of("hifi") == ("marie", "paul", "sophie")


def test_weekly_hours_parse_ranges_and_day_spans() -> None:
    hours = parse_week("mon-fri 09:00-12:00,14:00-18:00; sat 10:00-12:00")
    assert len(hours[0]) == 2 and len(hours[5]) == 1 and hours[6] == ()


BROKEN = {
    "toml syntax": ('[workspace\nname = "x"\n', ["not valid TOML", "line 1"]),
    "unknown key": ('[workspace]\nnmae = "x"\n', ["line 2", "workspace.nmae", "unknown key", "docs/configuration.md"]),
    "bad duration": (
        '[[teams]]\nname = "a"\n\n[[teams]]\nname = "b"\nexclusive_window = "2 hours"\n',
        ["line 6", "teams[1].exclusive_window", "not a duration"],
    ),
    "duration without unit": ('[[teams]]\nname = "a"\nteam_window = 4\n', ["teams[0].team_window", "no unit"]),
    "unknown time zone": (
        '[[teams]]\nname = "a"\ntimezone = "Paris"\n',
        ["line 3", "teams[0].timezone", "not a known time zone"],
    ),
    "bad hours": ('[[teams]]\nname = "a"\nhours = "weekdays 9-5"\n', ["teams[0].hours", "opening-hours"]),
    "agent in unknown team": (
        '[[agents]]\nlogin = "bob"\nname = "Bob"\nteams = ["nope"]\n',
        ["team 'nope'", "not defined"],
    ),
    "missing required key": ('[[agents]]\nlogin = "bob"\n', ["agents[0].name", "required"]),
    "bad role": ('[[agents]]\nlogin = "bob"\nname = "B"\nrole = "boss"\n', ["line 4", "agents[0].role"]),
    "password in database url": (
        '[workspace]\ndatabase_url = "postgresql+psycopg://u:secret@db/x"\n',
        ["workspace.database_url", "must not contain a password"],
    ),
    "bad rule regex": (
        '[[teams]]\nname = "a"\n[[routing.rules]]\nname = "r"\nteam = "a"\nany = [{ field = "subject", matches = "(" }]\n',
        ["routing.rules[0]", "regular expression"],
    ),
    "wrong type": ('[routing]\nrecipient_limit = "two"\n', ["routing.recipient_limit", "line 2"]),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_config_gives_one_clear_paragraph(tmp_path: Path, name: str) -> None:
    text, expected = BROKEN[name]
    path = tmp_path / "comptoir.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message and "Traceback" not in message
    for fragment in expected:
        assert fragment in message, (fragment, message)
    assert "secret" not in message


def test_missing_and_non_utf8_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "comptoir.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'[workspace]\nname = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(bad)


def test_cli_prints_config_error_without_traceback(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir(mode=0o700)
    (ws / "comptoir.toml").write_text('[[teams]]\nname = "a"\nexclusive_window = "soon"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "tui.launch", "--workspace", str(ws), "queue"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "teams[0].exclusive_window" in proc.stderr and "line 3" in proc.stderr


def test_configuration_reference_is_current() -> None:
    """docs/configuration.md is generated from the models; regenerate it when a field changes."""
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "docs"))
    try:
        import make_config_reference
    finally:
        sys.path.pop(0)
    assert (root / "docs" / "configuration.md").read_text() == make_config_reference.render()
