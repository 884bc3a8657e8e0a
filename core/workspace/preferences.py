"""Each user's own preferences (keymap, time zone, flow, saved views), in their config dir, not in the shared
comptoir.toml that only an admin may change: `~/.config/comptoir/preferences.toml`.

Saved views are `[[views]]` tables with a `name` and a `search` (core.work.search_syntax):

    [[views]]
    name = "VIP billing"
    search = "tag:vip tag:billing is:pending"
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from core.workspace.config import Config

log = logging.getLogger("comptoir.preferences")


MAX_VIEW_NAME = 40


@dataclass(frozen=True)
class SavedView:
    name: str
    search: str


@dataclass(frozen=True)
class Preferences:
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, over the workspace's [keymap]."""
    timezone: str | None = None
    """Times shown in this user's app; the workspace's zone when unset."""
    open_next: bool = True
    """After a reply is queued, pending mail is marked no action, or a conversation is done, open the
    next conversation of the same queue (`open_next = false` stays where you are)."""
    views: tuple[SavedView, ...] = ()
    """Saved searches shown under the queues, in the order saved."""


def preferences_path() -> Path:
    from core.workspace.locations import user_config_dir

    return user_config_dir() / "preferences.toml"


def load_preferences(path: Path | None = None) -> Preferences:
    """This user's preferences; a missing file is no preference, a broken one is logged and ignored
    (the app must open whatever the file says)."""
    path = path or preferences_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Preferences()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        log.warning("%s ignored: %s", path, error)
        return Preferences()
    keymap = (
        {str(k): str(v) for k, v in (data.get("keymap") or {}).items()} if isinstance(data.get("keymap"), dict) else {}
    )
    zone = data.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(str(zone))
        except Exception:
            log.warning("%s: unknown time zone %r ignored", path, zone)
            zone = None
    open_next = data.get("open_next", True)
    if not isinstance(open_next, bool):
        log.warning("%s: open_next must be true or false, not %r; true is used", path, open_next)
        open_next = True
    return Preferences(
        keymap=keymap, timezone=str(zone) if zone else None, open_next=open_next, views=_views(data.get("views"), path)
    )


def zone_from_environment(value: str | None) -> str | None:
    """An IANA zone name from $TZ (':Europe/Paris' and '/usr/share/zoneinfo/Europe/Paris' too), else None:
    POSIX rule strings such as 'CET-1CEST' name no zone this app can show."""
    if not value:
        return None
    name = value.lstrip(":")
    if "zoneinfo/" in name:
        name = name.split("zoneinfo/", 1)[1]
    try:
        ZoneInfo(name)
    except Exception:
        return None
    return name


def user_timezone(
    config: Config, agent: str, preferences: Preferences | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The one zone every time is shown in for this user: their preference, else the zone configured
    for them in comptoir.toml ([[agents]] timezone), else $TZ, else the workspace's."""
    configured = config.agent(agent)
    return user_zone(configured.timezone if configured else None, config.workspace.timezone, preferences, environ)


def user_zone(
    agent_timezone: str | None,
    workspace_timezone: str,
    preferences: Preferences | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """user_timezone from the two zones the config gives (ClientSettings carries them to the app)."""
    preferences = preferences if preferences is not None else load_preferences()
    environ = os.environ if environ is None else environ
    return preferences.timezone or agent_timezone or zone_from_environment(environ.get("TZ")) or workspace_timezone


def _views(found: object, path: Path) -> tuple[SavedView, ...]:
    if not isinstance(found, list):
        return ()
    views: dict[str, SavedView] = {}
    for entry in found:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("search"), str)
            and entry["name"].strip()
            and entry["search"].strip()
        ):
            views.setdefault(entry["name"].strip(), SavedView(entry["name"].strip(), entry["search"].strip()))
        else:
            log.warning("%s: a [[views]] entry without a name and a search was ignored", path)
    return tuple(views.values())


def check_view_name(name: str, existing: tuple[SavedView, ...]) -> str:
    """The name cleaned, or ValueError saying what is wrong with it."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("give the view a name")
    if len(name) > MAX_VIEW_NAME:
        raise ValueError(f"keep the name under {MAX_VIEW_NAME} characters")
    if not name.isprintable():
        raise ValueError("the name has characters that cannot be shown")
    if any(v.name == name for v in existing):
        raise ValueError(f"a view named {name!r} exists already; pick another name")
    return name


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = "".join(f"\\u{ord(c):04x}" if c < " " or c == "\x7f" else "\\" + c if c in '"\\' else c for c in value)
    return f'"{escaped}"'


def save_view(name: str, search: str, path: Path | None = None) -> SavedView:
    """Append a saved view to the preferences file, leaving everything else in it as it was.

    Appended as a `[[views]]` table, which TOML allows after any other table: the file needs no TOML
    writer and keeps the user's comments."""
    path = path or preferences_path()
    view = SavedView(check_view_name(name, load_preferences(path).views), " ".join(search.split()))
    if not view.search:
        raise ValueError("there is no search to save")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        before = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        before = ""
    block = f"[[views]]\nname = {toml_string(view.name)}\nsearch = {toml_string(view.search)}\n"
    text = before + ("" if not before or before.endswith("\n") else "\n") + ("\n" if before else "") + block
    tomllib.loads(text)  # never write a file the next start could not read
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return view
