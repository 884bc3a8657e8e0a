"""Passwords live only in a keyring: service 'comptoir', the account name as username.

The backend is chosen on purpose: a real system keyring when one works; otherwise keyrings.alt's
plaintext file backend in a 0600 file in the user's data dir (never the encrypted one, which
would prompt on the terminal). `COMPTOIR_KEYRING=file:PATH` pins a file (services, tests) and
`COMPTOIR_KEYRING=memory` an in-process one (tests).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from core.errors import ComptoirError
from core.workspace.locations import keyring_file_dir

SERVICE = "comptoir"
_SYSTEM_MODULES = (
    "keyring.backends.SecretService",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
    "keyring.backends.libsecret",
)


class MemoryKeyring(KeyringBackend):
    """Secrets in this process only (tests)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call] # keyring's base class is unannotated
        self._store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._store.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


@dataclass(frozen=True)
class BackendInfo:
    name: str
    protection: str
    """How the secret is protected, in a sentence for `comptoir doctor`."""
    safe: bool
    """True when the secret is encrypted at rest (a system keyring)."""
    private: bool = True
    """False when other users can read the secret (a plain file with a mode wider than 0600)."""


_backend: KeyringBackend | None = None


def _file_backend(path: Path) -> KeyringBackend:
    from keyrings.alt.file import PlaintextKeyring

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)
    backend: KeyringBackend = PlaintextKeyring()
    backend.file_path = str(path)  # type: ignore[attr-defined] # PlaintextKeyring's own attribute
    return backend


def backend() -> KeyringBackend:
    """The pinned backend (chosen once per process)."""
    global _backend
    if _backend is not None:
        return _backend
    pinned = os.environ.get("COMPTOIR_KEYRING", "")
    if pinned == "memory":
        _backend = MemoryKeyring()
    elif pinned.startswith("file:"):
        _backend = _file_backend(Path(pinned[5:]))
    else:
        chosen = keyring.get_keyring()
        module = type(chosen).__module__
        inner = getattr(chosen, "backends", None)
        if inner:
            module = type(inner[0]).__module__
        if module.startswith(_SYSTEM_MODULES):
            _backend = chosen
        else:
            _backend = _file_backend(keyring_file_dir() / "keyring.cfg")
    return _backend


def use_backend(chosen: KeyringBackend | None) -> None:
    """Pin a backend for this process (tests); None re-chooses."""
    global _backend
    _backend = chosen


def describe_backend() -> BackendInfo:
    b = backend()
    name = f"{type(b).__module__}.{type(b).__name__}"
    if isinstance(b, MemoryKeyring):
        return BackendInfo(name, "in this process's memory only (tests)", False, True)
    path = getattr(b, "file_path", None)
    if path:
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o600
        private = mode & 0o077 == 0
        return BackendInfo(
            name,
            f"passwords in plain text in {path}, protected only by its file mode {mode:04o} "
            + (
                "(your user and root can read them); a system keyring (Secret Service, macOS Keychain) encrypts them"
                if private
                else "- FIX: chmod 600 the file, other users can read the passwords now"
            ),
            False,
            private,
        )
    return BackendInfo(name, "the system keyring, encrypted by your desktop or OS session", True)


def set_password(account: str, password: str) -> None:
    if not password:
        raise ComptoirError("the password is empty; nothing was stored")
    try:
        backend().set_password(SERVICE, account, password)
    except KeyringError as exc:
        raise ComptoirError(f"cannot store the password for account {account!r}: {type(exc).__name__}") from None


def get_password(account: str) -> str:
    """The account's password; the error names the account and the fix, never a secret."""
    try:
        secret = backend().get_password(SERVICE, account)
    except KeyringError as exc:
        raise ComptoirError(
            f"cannot read the password of account {account!r} from the keyring: {type(exc).__name__}"
        ) from None
    if secret is None:
        raise ComptoirError(f"no password stored for account {account!r}: run `comptoir account add {account}`")
    return secret


def delete_password(account: str) -> None:
    try:
        backend().delete_password(SERVICE, account)
    except PasswordDeleteError:
        pass
