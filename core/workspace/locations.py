"""Where Comptoir keeps things by default (platformdirs)."""

from pathlib import Path

import platformdirs

APP = "comptoir"


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
