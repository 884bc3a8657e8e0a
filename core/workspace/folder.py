"""A workspace: a folder with comptoir.toml and (by default) the SQLite database, shared by a Unix group."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from core.clock import Clock
from core.errors import WorkspaceError
from core.store.db import SQLITE_NAME, Database, sqlite_url
from core.workspace.config import CONFIG_NAME, Config, load_config
from core.workspace.locations import find_workspace_dir as find_workspace_dir  # its home before; callers import it here

GROUP_DIR_MODE = 0o2750
"""A shared workspace: its group may enter (to reach the socket) and read the config, never write."""
GROUP_CONFIG_MODE = 0o640
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
"""The database, its -wal and -shm, the log and the locks: the server's account alone."""
SERVER_FILES = ("comptoir.log", "sync.lock", "server.lock")
SQLITE_FILES = (SQLITE_NAME, SQLITE_NAME + "-wal", SQLITE_NAME + "-shm")


@dataclass
class Workspace:
    """An opened workspace: its folder, validated config, database and clock."""

    path: Path
    config: Config
    db: Database
    clock: Clock

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_NAME

    @property
    def is_demo(self) -> bool:
        return self.config.workspace.demo

    @property
    def log_path(self) -> Path:
        return self.path / "comptoir.log"

    def close(self) -> None:
        self.db.dispose()


def database_url(path: Path, config: Config) -> str:
    return config.workspace.database_url or sqlite_url(path / SQLITE_NAME)


def open_workspace(
    explicit: str | os.PathLike[str] | None = None, *, upgrade: bool = True, check_permissions: bool = True
) -> Workspace:
    """Open a workspace; upgrades the schema in place and names any permission problem with its fix."""
    from core.store import schema

    path = find_workspace_dir(explicit)
    if not path.is_dir():
        raise WorkspaceError(
            f"no workspace at {path}. Create one with `comptoir init {path}` "
            "(or `comptoir demo` to try Comptoir on a demo workspace)."
        )
    config = load_config(path / CONFIG_NAME)
    url = database_url(path, config)
    if check_permissions:
        problems = permission_problems(path, sqlite=config.workspace.database_url is None)
        if problems:
            raise WorkspaceError("workspace permissions need fixing:\n  " + "\n  ".join(problems))
    db = Database(url)
    db.check_reachable()
    if upgrade:
        schema.upgrade(db)
    return Workspace(path=path, config=config, db=db, clock=Clock.load(db))


def init_workspace(path: Path, group: str | None = None, config_text: str | None = None) -> Path:
    """Create a workspace folder with a starter config and an empty, current database."""
    from core.store import schema

    gid = None
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise WorkspaceError(f"no Unix group named {group!r} (create it with `groupadd {group}`).") from None
    if (path / CONFIG_NAME).exists():
        raise WorkspaceError(f"{path} already holds a workspace ({CONFIG_NAME} exists); nothing was changed.")
    path.mkdir(parents=True, exist_ok=True)
    dir_mode, config_mode = (
        (GROUP_DIR_MODE, GROUP_CONFIG_MODE) if gid is not None else (PRIVATE_DIR_MODE, PRIVATE_FILE_MODE)
    )
    if gid is not None:
        os.chown(path, -1, gid)
    os.chmod(path, dir_mode)
    config_file = path / CONFIG_NAME
    _create_file(config_file, (config_text or starter_config()).encode(), config_mode, gid)
    config = load_config(config_file)
    if config.workspace.database_url is None:
        _create_file(path / SQLITE_NAME, b"", PRIVATE_FILE_MODE, None)
    db = Database(database_url(path, config))
    try:
        schema.upgrade(db)
    finally:
        db.dispose()
    return path


def _create_file(path: Path, data: bytes, mode: int, gid: int | None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
        if gid is not None:
            os.fchown(fd, -1, gid)
    finally:
        os.close(fd)


def permission_problems(path: Path, sqlite: bool = True) -> list[str]:
    """Every permission problem of a workspace, each with the command that fixes it.

    Only the server's account (the workspace's owner) may read or write the database, the log and
    the locks; a shared workspace's group may enter the folder and read the config, nothing more."""
    problems: list[str] = []
    info = path.stat()
    owner = _user_name(info.st_uid)
    mode = stat.S_IMODE(info.st_mode)
    shared = bool(mode & 0o070)
    if mode & 0o007:
        problems.append(f"{path} is {mode:04o}, open to every user: run `chmod o-rwx {path}`")
    if mode & 0o020:
        problems.append(
            f"{path} is {mode:04o}: group members could replace the config or the socket; run `chmod 2750 {path}`"
        )
    config = path / CONFIG_NAME
    if config.exists():
        cmode = stat.S_IMODE(config.stat().st_mode)
        if cmode & 0o022:
            problems.append(f"{config} is {cmode:04o}: only an admin may change it; run `chmod 0640 {config}`")
        if cmode & 0o004:
            problems.append(f"{config} is {cmode:04o}, readable by every user: run `chmod o-r {config}`")
    private = [path / n for n in SERVER_FILES] + ([path / n for n in SQLITE_FILES] if sqlite else [])
    for file in private:
        if not file.exists():
            continue
        fst = file.stat()
        fmode = stat.S_IMODE(fst.st_mode)
        if fmode & 0o077:
            problems.append(
                f"{file} is {fmode:04o}: only the server's account may read it (agents go through "
                f"the server); run `chmod 0600 {file}`"
            )
        if fst.st_uid != info.st_uid:
            problems.append(
                f"{file} belongs to {_user_name(fst.st_uid)}, not to the workspace's owner {owner}: "
                f"run `chown {owner} {file}`"
            )
    if (
        shared
        and os.getuid() not in (0, info.st_uid)
        and info.st_gid not in os.getgroups()
        and info.st_gid != os.getgid()
    ):
        group_name = _group_name(info.st_gid)
        problems.append(
            f"you ({_user_name(os.getuid())}) are not in the group {group_name} that shares {path}: "
            f"ask an admin to run `usermod -aG {group_name} {_user_name(os.getuid())}`, then log in again"
        )
    return problems


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def starter_config() -> str:
    """A small commented comptoir.toml for `comptoir init`, with the current user as supervisor."""
    login = _user_name(os.getuid())
    return f'''# Comptoir workspace configuration. No passwords here: `comptoir account add NAME` stores them in the keyring.

[workspace]
name = "Comptoir"
timezone = "UTC"
# database_url = "postgresql+psycopg://comptoir@db.example.com/comptoir"

[[teams]]
name = "support"
addresses = ["support@example.com"]
hours = "mon-fri 09:00-18:00"
timezone = "UTC"
exclusive_window = "2h"
team_window = "4h"

[[agents]]
login = "{login}"
name = "{login}"
teams = ["support"]
role = "supervisor"

[routing]
front_pool = "support"

# [[accounts]]
# name = "support"
# address = "support@example.com"
# username = "support@example.com"
# imap = {{ host = "imap.example.com", port = 993, tls = "tls" }}
# smtp = {{ host = "smtp.example.com", port = 465, tls = "tls" }}
'''
