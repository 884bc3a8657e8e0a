"""Where Comptoir keeps things by default (platformdirs)."""

import os
from pathlib import Path

import platformdirs

APP = "comptoir"


def find_workspace_dir(explicit: str | os.PathLike[str] | None) -> Path:
    """--workspace DIR, else $COMPTOIR_WORKSPACE, else the user's data dir. (Here, not in
    core.workspace.folder, so that a client finds its workspace without loading the config's models.)"""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("COMPTOIR_WORKSPACE")
    if env:
        return Path(env).expanduser().resolve()
    return default_workspace_dir()


def default_workspace_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "workspace"


def default_demo_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "demo"


def keyring_file_dir() -> Path:
    """Folder of the keyrings.alt file backend used when no system keyring exists."""
    return Path(platformdirs.user_data_dir(APP))


def user_config_dir() -> Path:
    """This user's own settings (preferences.toml): never shared, never in the workspace."""
    return Path(platformdirs.user_config_dir(APP))
