"""A private Dovecot IMAP server for tests: own config, loopback ports, passwd-file users, Maildir in a temp dir."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT_BINARY_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
INSTALL_HINT = "apt-get install dovecot-imapd"


def dovecot_binary() -> str | None:
    """Path of the dovecot binary, or None when it is not installed."""
    for candidate in DOVECOT_BINARY_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("dovecot")


def dovecot_available() -> tuple[bool, str]:
    """(True, "") when Dovecot and openssl can run here, else (False, reason naming the install command)."""
    if dovecot_binary() is None:
        return False, f"Dovecot is not installed; run: {INSTALL_HINT}"
    if shutil.which("openssl") is None:
        return False, "the openssl command is needed for the test certificate; run: apt-get install openssl"
    return True, ""


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_self_signed_cert(folder: Path, host: str = "localhost") -> tuple[Path, Path]:
    """Write cert.pem/key.pem valid for `host` and 127.0.0.1 with the openssl CLI; returns their paths."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=DNS:{host},IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class DovecotUser:
    """A mailbox owner in the passwd-file."""

    name: str
    password: str


class Dovecot:
    """One private Dovecot master process; `port` speaks plain/STARTTLS, `tls_port` implicit TLS."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cmptr-dc-"))
        self.port = free_port()
        self.tls_port = free_port()
        self.cert_path: Path | None = None
        self.users: dict[str, DovecotUser] = {}
        self._process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def start(self, timeout: float = 15.0) -> Dovecot:
        """Write the config, launch dovecot in the foreground and wait until it greets on both ports."""
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError(f"Dovecot is not installed; run: {INSTALL_HINT}")
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(exist_ok=True)
        mail_uid, mail_gid = self.mail_owner()
        for sub in ("mail", "home"):
            os.chown(self.root / sub, mail_uid, mail_gid)
        self.cert_path, key_path = make_self_signed_cert(self.root)
        # The auth process runs as Dovecot's internal user: it must traverse the dir and read the users file.
        self.root.chmod(0o711)
        (self.root / "users").mkdir(mode=0o755)
        conf = self.root / "dovecot.conf"
        conf.write_text(self._config(key_path))
        self._process = subprocess.Popen(
            [binary, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "dovecot.stderr", "wb"),  # noqa: SIM115 - Dovecot keeps it for its life
        )
        deadline = time.monotonic() + timeout
        for port in (self.port, self.tls_port):
            while not self._accepts(port):
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Dovecot did not start:\n{self.diagnostics()}")
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Terminate the master process (it stops its children) and remove the temp dir."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process = None
        if not os.environ.get("COMPTOIR_KEEP_DOVECOT"):
            shutil.rmtree(self.root, ignore_errors=True)

    def diagnostics(self) -> str:
        """The tail of Dovecot's stderr and log, for failure messages."""
        parts = []
        for name in ("dovecot.stderr", "dovecot.log"):
            path = self.root / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def add_user(self, name: str, password: str) -> DovecotUser:
        """Add a user in its own passwd-file: Dovecot rechecks a changed file at most once a second, a new one at once."""
        if ":" in name or ":" in password or "\n" in name + password:
            raise ValueError("passwd-file fields cannot contain ':' or newlines")
        user = DovecotUser(name, password)
        self.users[name] = user
        if "/" in name or name.startswith("."):
            raise ValueError("user names cannot contain '/' or start with '.'")
        users_file = self.root / "users" / name
        users_file.write_text(f"{name}:{{PLAIN}}{password}::::\n")
        users_file.chmod(0o644)
        return user

    def imap(self, user: str) -> imaplib.IMAP4:
        """A logged-in stdlib imaplib connection on the plain port (test setup only)."""
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        conn.login(user, self.users[user].password)
        return conn

    def deliver(self, user: str, raw: bytes, mailbox: str = "INBOX", flags: str = "") -> int:
        """APPEND one message and return its UID (from APPENDUID)."""
        return self.deliver_many(user, [raw], mailbox, flags)[0]

    def deliver_many(self, user: str, raws: list[bytes], mailbox: str = "INBOX", flags: str = "") -> list[int]:
        """APPEND messages over one connection, 200 per MULTIAPPEND command; returns their UIDs in order."""
        conn = self.imap(user)
        try:
            if mailbox.upper() != "INBOX":
                conn.create(_quote(mailbox))
            uids: list[int] = []
            for start in range(0, len(raws), 200):
                uids += self._multiappend(conn, raws[start : start + 200], mailbox, flags)
            return uids
        finally:
            conn.logout()

    @staticmethod
    def _multiappend(conn: imaplib.IMAP4, raws: list[bytes], mailbox: str, flags: str) -> list[int]:
        """One MULTIAPPEND (RFC 3502) with LITERAL+ literals: one round trip instead of one per message."""
        tag = conn._new_tag()
        parts = [tag + b" APPEND " + _quote(mailbox).encode()]
        for raw in raws:
            parts.append(b" " + (f"({flags}) " if flags else "").encode() + b"{%d+}\r\n" % len(raw) + raw)
        conn.send(b"".join(parts) + b"\r\n")
        while True:
            line = conn.readline()
            if not line:
                raise RuntimeError("Dovecot closed the connection during APPEND")
            if line.startswith(tag + b" "):
                break
        if not line.startswith(tag + b" OK"):
            raise RuntimeError(f"APPEND failed: {line!r}")
        match = re.search(rb"\[APPENDUID \d+ ([0-9:,]+)\]", line)
        if not match:
            return [0] * len(raws)
        uids: list[int] = []
        for part in match.group(1).split(b","):
            low, _, high = part.partition(b":")
            uids.extend(range(int(low), int(high or low) + 1))
        return uids

    def write_maildir(self, user: str, mails: list[tuple[bytes, float]], mailbox: str = "INBOX") -> None:
        """Write (raw, arrival time as a Unix timestamp) pairs as Maildir files, faster than APPEND.

        A Maildir file's mtime is its IMAP INTERNALDATE (the arrival date), so old mail looks old.
        Dovecot assigns UIDs, in file name order, at the next SELECT.
        """
        uid, gid = self.mail_owner()
        home = self.root / "mail" / user
        root = home if mailbox.upper() == "INBOX" else home / f".{mailbox}"
        for sub in ("cur", "new", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        if root != home:
            (root / "maildirfolder").touch()
        ordered = sorted(enumerate(mails), key=lambda item: item[1][1])
        for n, (index, (raw, arrived)) in enumerate(ordered):
            path = root / "cur" / f"{int(arrived)}.M{n:07d}P{index}.comptoir,S={len(raw)}:2,S"
            path.write_bytes(raw)
            os.utime(path, (arrived, arrived))
        for path in [home, *home.rglob("*")]:
            os.chown(path, uid, gid)

    def imap_processes(self, user: str) -> list[int]:
        """Pids of the imap processes serving `user` (verbose_proctitle names the user in each title)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "imap" in title and "imap-login" not in title and f"[{user} " in title:
                pids.append(int(entry.name))
        return pids

    def recreate_mailbox(self, user: str, mailbox: str) -> None:
        """Delete and re-create a mailbox so it gets a new UIDVALIDITY (INBOX is rebuilt on disk)."""
        if mailbox.upper() == "INBOX":
            # RFC 3501 forbids DELETE INBOX; removing the Maildir's files makes Dovecot assign a new UIDVALIDITY.
            maildir = self.root / "mail" / user
            for entry in maildir.iterdir() if maildir.exists() else ():
                if entry.name in ("cur", "new", "tmp") or entry.name.startswith(("dovecot-uidlist", "dovecot.index")):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            return
        conn = self.imap(user)
        try:
            conn.delete(_quote(mailbox))
            typ, data = conn.create(_quote(mailbox))
            if typ != "OK":
                raise RuntimeError(f"CREATE failed: {data!r}")
        finally:
            conn.logout()

    @staticmethod
    def mail_owner() -> tuple[int, int]:
        """The uid/gid owning the Maildirs: ourselves, or Debian's `mail` user when root (Dovecot refuses uid 0)."""
        if os.getuid() != 0:
            return os.getuid(), os.getgid()
        try:
            entry = pwd.getpwnam("mail")
        except KeyError:
            entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid

    def _accepts(self, port: int) -> bool:
        try:
            with socket.create_connection((self.host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def _config(self, key_path: Path) -> str:
        uid, gid = self.mail_owner()
        user_name = pwd.getpwuid(os.getuid()).pw_name
        group_name = grp.getgrgid(os.getgid()).gr_name
        root = self.root
        # Not root: run every Dovecot process as ourselves and drop the login chroots it could not enter.
        unprivileged = (
            ""
            if os.getuid() == 0
            else f"""
default_internal_user = {user_name}
default_internal_group = {group_name}
default_login_user = {user_name}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
        )
        return f"""# Written by tests/servers/dovecot.py for one test session.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert_path}
ssl_key = <{key_path}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_fsync = never
verbose_proctitle = yes
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
  default_fields = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
{unprivileged}"""

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _quote(mailbox: str) -> str:
    """Quote a mailbox name for stdlib imaplib, which sends arguments as they are."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
