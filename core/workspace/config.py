"""The workspace configuration: comptoir.toml, read with tomllib and validated with pydantic.

The file never holds a secret: accounts name their keyring entry, never a password.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from core.durations import parse_duration
from core.errors import ConfigError, UnknownName
from routing.hours import parse_week

CONFIG_NAME = "comptoir.toml"


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)):
        raise ValueError(f"{value!r} has no unit (write it like 2h, 90m or 1h30m)")
    if not isinstance(value, str):
        raise ValueError("expected a duration string such as 2h or 90m")
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class ServerEndpoint(_Strict):
    host: str
    """Host name or address of the server."""
    port: int = Field(ge=1, le=65535)
    """TCP port (IMAP: 993 for tls, 143 for starttls; SMTP: 465 for tls, 587 for starttls)."""
    tls: Literal["tls", "starttls", "plain"] = "tls"
    """tls = implicit TLS, starttls = upgrade after connecting, plain = no encryption (loopback only)."""
    cafile: str | None = None
    """Extra CA certificate (PEM) to trust, for servers with a private or self-signed certificate."""


class AccountConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    """Short id of the account; also the keyring username holding its password."""
    address: str
    """The team address this mailbox receives, e.g. support@example.com."""
    username: str
    """Login name on the IMAP and SMTP servers."""
    imap: ServerEndpoint
    """Where to read mail."""
    smtp: ServerEndpoint
    """Where to send replies."""
    folders: tuple[str, ...] = ("INBOX",)
    """Mailboxes to sync."""
    sent_folder: str = "Sent"
    """Mailbox where sent replies are appended after the server accepts them."""
    set_seen: bool = False
    """Let Comptoir set \\Seen on the server; off by default so nobody else's view changes."""
    sync_sent: bool = True
    """Also read sent_folder: replies sent before (or outside) Comptoir mark the mail they answer as replied and
    say who handled each customer."""
    added: datetime | None = None
    """When the account was added (written by `comptoir account add`, with its UTC offset)."""
    history_before: datetime | None = None
    """The cut-over: mail that arrived before it is imported as closed history (disposition "history", no alert,
    no escalation, no acknowledgement); later mail is live work. Default: `added` minus history_grace, or, for an
    account without `added`, its first sync minus history_grace."""
    history_grace: Duration = timedelta(days=3)
    """How far before `added` mail still counts as live work when history_before is not set."""

    @field_validator("added", "history_before")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a UTC offset, e.g. 2026-11-29T10:00:00Z or 2026-11-29T10:00:00+01:00")
        return value

    def cutover(self, first_synced: datetime) -> datetime:
        """The moment before which mail is history (see history_before)."""
        if self.history_before is not None:
            return self.history_before
        return (self.added or first_synced) - self.history_grace

    def mailboxes(self) -> tuple[str, ...]:
        """Every mailbox to sync: the folders, then the sent folder when sync_sent is on."""
        if self.sync_sent and self.sent_folder not in self.folders:
            return (*self.folders, self.sent_folder)
        return self.folders

    @field_validator("address", "username")
    @classmethod
    def _no_newlines(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("must not contain a line break")
        return value.strip()


class TeamConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    """Short id of the team (lower case, digits, - and _)."""
    title: str = ""
    """Display name; defaults to the id."""
    addresses: tuple[str, ...] = ()
    """Team addresses this team owns (sales@, a client's address, ...)."""
    audiences: tuple[str, ...] = ()
    """Audiences or product groups whose customers this team serves."""
    keywords: tuple[str, ...] = ()
    """Words in a subject or body that point a first contact to this team."""
    members: tuple[str, ...] = ()
    """Logins of the agents in the team (agents may also list their teams)."""
    exclusive_window: Duration = timedelta(hours=2)
    """How long an agent addressed personally has a message alone, in business hours."""
    team_window: Duration = timedelta(hours=4)
    """How long the team has a message before everyone sees it, in business hours."""
    hours: str = "mon-fri 09:00-18:00"
    """Business hours, e.g. 'mon-fri 09:00-18:00; sat 10:00-12:00', or 'always'."""
    holidays: tuple[date, ...] = ()
    """Days the team is closed (ISO dates)."""
    timezone: str = "UTC"
    """IANA time zone the business hours are in, e.g. Europe/Paris."""
    webhook: str | None = None
    """Optional URL receiving a JSON POST on each escalation (Slack/Mattermost compatible)."""
    signature: str = ""
    """Signature appended to replies sent from this team's addresses."""
    saved_replies: dict[str, str] = Field(default_factory=dict)
    """Canned replies by name, offered in the composer."""
    roster: Literal["round-robin"] | dict[str, str] | None = None
    """Who is on duty: team-wide mail and first contacts go to that agent first, for the exclusive window, then
    follow the usual ladder. "round-robin" hands each message to the next member at work; a table of days gives a
    weekly schedule, e.g. { mon-wed = "ann", thu-fri = "bob" } (days without an agent: nobody on duty)."""
    daily_summary: tuple[Literal["webhook", "supervisors"], ...] = ()
    """Yesterday's figures for this team, each day: on its webhook, as an alert to supervisors, or both (off when empty)."""
    daily_summary_at: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    """Local time (the team's time zone) the daily summary goes out, HH:MM."""

    @model_validator(mode="after")
    def _summary_has_a_webhook(self) -> TeamConfig:
        if "webhook" in self.daily_summary and not self.webhook:
            raise ValueError(f"team {self.name!r}: daily_summary includes 'webhook' but the team has no webhook URL")
        return self

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        parse_week(value)
        return value

    @field_validator("roster")
    @classmethod
    def _valid_roster(cls, value: object) -> object:
        if isinstance(value, dict):
            roster_week(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        return _check_zone(value)


def roster_week(days: dict[str, str]) -> tuple[str | None, ...]:
    """A weekly roster table as 7 logins (Monday first; None: nobody on duty)."""
    from routing import parse_day_keys

    week: list[str | None] = [None] * 7
    for key, login in days.items():
        for day in parse_day_keys(key):
            if week[day] is not None:
                raise ValueError(f"the roster names two agents for {key!r}")
            week[day] = login
    return tuple(week)


class ClientConfig(_Strict):
    name: str = Field(min_length=1)
    """The client's name, shown beside its conversations (e.g. "Joe LLC")."""
    addresses: tuple[str, ...] = Field(min_length=1)
    """Addresses given to this client (joe-llc@example.com): mail to them goes to `team` without a rule."""
    team: str
    """The team serving this client."""
    owner: str | None = None
    """An agent who takes the client's new mail first, for the team's exclusive window, while at work."""
    notes: str = ""
    """Anything colleagues should know, shown beside the customer in a conversation."""
    informational: tuple[str, ...] = ()
    """Addresses among `addresses` where no reply is expected (leads@, tips@): their messages are recorded "no
    action needed: informational" at once and never escalate."""

    @field_validator("addresses", "informational")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(c in address for c in " \r\n<>,"):
                raise ValueError(f"{address!r} is not a mail address")
        return tuple(a.strip().lower() for a in value)

    @model_validator(mode="after")
    def _informational_is_ours(self) -> ClientConfig:
        stray = [a for a in self.informational if a not in self.addresses]
        if stray:
            raise ValueError(f"informational address {stray[0]!r} is not one of the client's addresses")
        return self


class AgentConfig(_Strict):
    login: str = Field(pattern=r"^[a-z_][a-z0-9_.-]*$")
    """Unix login of the agent; comptoir acts as the agent whose login matches the user."""
    name: str
    """Display name shown to colleagues."""
    addresses: tuple[str, ...] = ()
    """Personal addresses; mail to one of them gives this agent an exclusive window."""
    teams: tuple[str, ...] = ()
    """Teams the agent belongs to."""
    role: Literal["agent", "supervisor"] = "agent"
    """Supervisors read every conversation (confidential, or personal mail in its window) and are alerted on the last escalation rung."""
    hours: str | None = None
    """The agent's own working hours; defaults to their first team's."""
    timezone: str | None = None
    """The agent's time zone: their working hours (their first team's zone when unset), and the zone the app and
    the CLI show them every time in (unless their preferences.toml names one; when unset: $TZ, else the workspace's)."""

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_week(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str | None) -> str | None:
        return None if value is None else _check_zone(value)


class RuleCondition(_Strict):
    field: str = Field(pattern=r"^(to|cc|from|subject|body|header:[A-Za-z0-9-]+)$")
    """What to look at: to, cc, from, subject, body or header:NAME."""
    equals: str | None = None
    """Matches when the value equals this (case-insensitive)."""
    contains: str | None = None
    """Matches when the value contains this (case-insensitive)."""
    matches: str | None = None
    """Matches when this regular expression is found in the value."""
    any_of: tuple[str, ...] | None = Field(default=None, alias="in")
    """Matches when the value equals one of these (case-insensitive)."""

    @model_validator(mode="after")
    def _one_test(self) -> RuleCondition:
        tests = [t for t in (self.equals, self.contains, self.matches, self.any_of) if t is not None]
        if len(tests) != 1:
            raise ValueError("a condition needs exactly one of equals, contains, matches or in")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"'matches' is not a valid regular expression: {exc}") from None
        return self


class RoutingRule(_Strict):
    name: str
    """Shown in the routing reasons when the rule applies."""
    all: tuple[RuleCondition, ...] = ()
    """Every one of these conditions must match."""
    any: tuple[RuleCondition, ...] = ()
    """At least one of these must match (when given)."""
    team: str | None = None
    """Send matching mail to this team."""
    agent: str | None = None
    """Send matching mail to this agent."""
    confidential: bool = False
    """Mark matching conversations confidential: only their owner, their team and supervisors read them; others see that they exist."""
    priority: Literal["high", "normal", "low"] | None = None
    """Priority given to matching conversations."""

    @model_validator(mode="after")
    def _has_conditions(self) -> RoutingRule:
        if not self.all and not self.any:
            raise ValueError("a rule needs at least one condition under 'all' or 'any'")
        return self


class RoutingConfig(_Strict):
    front_pool: str = "everyone"
    """Team whose members see first contacts, or 'everyone'."""
    rating_threshold: int = Field(default=3, ge=1, le=5)
    """Ratings below this mark a pairing of customer and agent as bad: it is not repeated."""
    recipient_limit: int = Field(default=2, ge=1)
    """Replies to more recipients than this need an explicit confirmation."""
    warn_before: Duration = timedelta(minutes=15)
    """How long before a window closes its owner is warned."""
    rules: tuple[RoutingRule, ...] = ()
    """Team rules, tried first, for special addresses such as invoices@."""


class AutoAckConfig(_Strict):
    address: str
    """The team address this acknowledgement answers for (never a personal one)."""
    subject: str = "Re: {subject}"
    """Subject template; placeholders: {subject}, {name}, {address}, {team}, {ticket}, {client}, {expect}."""
    body: str
    """Body template with the same placeholders: set expectations (who answers, when). {expect} says it in one
    sentence: when an answer is due by the routing's ladder, or, for an informational address, that none is
    expected; `expect` below replaces that sentence."""
    expect: str | None = None
    """Your own wording for {expect}, e.g. "We read every tip, but usually cannot answer."."""
    max_per_sender_per_day: int = Field(default=3, ge=0)
    """At most this many acknowledgements to one sender per day."""


TAG_COLOURS = ("red", "green", "yellow", "blue", "magenta", "cyan", "white", "grey")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class TagConfig(_Strict):
    """A tag every agent may put on a conversation, shown in the list and searched with tag:NAME."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    """Short name (lower case, digits, - and _), as typed in tag:NAME and `comptoir tag ID +NAME`."""
    colour: str = "cyan"
    """One of red, green, yellow, blue, magenta, cyan, white, grey, or #rrggbb."""
    description: str = ""
    """What the tag means, shown in the tag picker."""

    @field_validator("colour")
    @classmethod
    def _valid_colour(cls, value: str) -> str:
        if value.lower() not in TAG_COLOURS and not _HEX_COLOUR.match(value):
            raise ValueError(f"{value!r} is not a colour; use one of {', '.join(TAG_COLOURS)} or #rrggbb")
        return value.lower()


class WorkspaceSettings(_Strict):
    name: str = "Comptoir"
    """Name shown in the title bar."""
    demo: bool = False
    """A demo workspace: --as AGENT is allowed for everyone and the clock may be simulated."""
    database_url: str | None = None
    """SQLAlchemy URL; empty means the SQLite file in the workspace. PostgreSQL: postgresql+psycopg://..."""
    timezone: str = "UTC"
    """Time zone of times shown to a user who has none of their own (preferences.toml, [[agents]] timezone, $TZ), and of teams with none."""
    bell: bool = False
    """Ring the terminal bell when a new alert arrives."""
    send_delay: int = Field(default=10, ge=0, le=600)
    """Seconds a sent reply waits before the outbox takes it; until then one key (z) cancels it. 0 sends at once."""
    attachment_limit_mb: int = Field(default=20, ge=1, le=48)
    """Largest total size of the files attached to one outgoing mail, in MB (at most 48: they travel to the
    workspace server in one request, whose frames stop at 64 MB)."""

    @field_validator("database_url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if re.search(r"://[^/@:]+:[^/@]+@", value):
            raise ValueError("must not contain a password; put it in ~/.pgpass or PGPASSWORD")
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        return _check_zone(value)


_T = TypeVar("_T")


def _known(kind: str, name: str, found: _T | None, names: Iterable[str]) -> _T:
    """`found`, or an UnknownName error listing the valid names of that kind."""
    if found is None:
        listed = ", ".join(sorted(names)) or "none configured"
        raise UnknownName(f"there is no {kind} {name!r}; the {kind}s are: {listed}")
    return found


class Config(_Strict):
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    """General settings."""
    accounts: tuple[AccountConfig, ...] = ()
    """Mailboxes to sync and send from."""
    teams: tuple[TeamConfig, ...] = ()
    """Teams and the addresses, audiences and hours they own."""
    agents: tuple[AgentConfig, ...] = ()
    """The staff who answer mail."""
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    """Routing policy."""
    autoack: tuple[AutoAckConfig, ...] = ()
    """Automatic acknowledgements per team address."""
    clients: tuple[ClientConfig, ...] = ()
    """Clients given their own addresses, each served by one team (`comptoir client add` writes one)."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Key overrides by binding id, e.g. claim = "ctrl+k"."""
    tags: tuple[TagConfig, ...] = ()
    """Tags shared by every agent: name, colour and meaning."""

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        team_names = {t.name for t in self.teams}
        logins = [a.login for a in self.agents]
        duplicates = {n for n in logins if logins.count(n) > 1}
        if duplicates:
            raise ValueError(f"agent login {sorted(duplicates)[0]!r} is defined twice")
        names = [t.name for t in self.teams]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"team {sorted(duplicates)[0]!r} is defined twice")
        for agent in self.agents:
            for team in agent.teams:
                if team not in team_names:
                    raise ValueError(f"agent {agent.login!r} lists team {team!r}, which is not defined")
        for defined in self.teams:
            for member in defined.members:
                if member not in logins:
                    raise ValueError(f"team {defined.name!r} lists member {member!r}, who is not an agent")
        if self.routing.front_pool != "everyone" and self.routing.front_pool not in team_names:
            raise ValueError(f"routing.front_pool {self.routing.front_pool!r} is neither 'everyone' nor a team")
        for rule in self.routing.rules:
            if rule.team and rule.team not in team_names:
                raise ValueError(f"routing rule {rule.name!r} sends to team {rule.team!r}, which is not defined")
            if rule.agent and rule.agent not in logins:
                raise ValueError(f"routing rule {rule.name!r} sends to agent {rule.agent!r}, who is not defined")
        tag_names = [t.name for t in self.tags]
        duplicates = {n for n in tag_names if tag_names.count(n) > 1}
        if duplicates:
            raise ValueError(f"tag {sorted(duplicates)[0]!r} is defined twice")
        accounts = [a.name for a in self.accounts]
        duplicates = {n for n in accounts if accounts.count(n) > 1}
        if duplicates:
            raise ValueError(f"account {sorted(duplicates)[0]!r} is defined twice")
        self._check_clients(team_names, logins)
        for with_roster in self.teams:
            if isinstance(with_roster.roster, dict):
                for login in with_roster.roster.values():
                    if login not in logins:
                        raise ValueError(f"team {with_roster.name!r}'s roster names {login!r}, who is not an agent")
        return self

    def _check_clients(self, team_names: set[str], logins: list[str]) -> None:
        names = [c.name.lower() for c in self.clients]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"client {sorted(duplicates)[0]!r} is defined twice")
        taken = {x.lower(): f"team {t.name}" for t in self.teams for x in t.addresses}
        taken |= {x.lower(): f"agent {a.login}" for a in self.agents for x in a.addresses}
        for client in self.clients:
            if client.team not in team_names:
                raise ValueError(f"client {client.name!r} is served by team {client.team!r}, which is not defined")
            if client.owner and client.owner not in logins:
                raise ValueError(f"client {client.name!r} has owner {client.owner!r}, who is not an agent")
            for address in client.addresses:
                if address in taken:
                    raise ValueError(f"client {client.name!r}: {address} already belongs to {taken[address]}")
                taken[address] = f"client {client.name}"

    def client(self, name: str) -> ClientConfig | None:
        return next((c for c in self.clients if c.name.lower() == name.lower()), None)

    def client_for_address(self, address: str) -> ClientConfig | None:
        address = address.strip().lower()
        return next((c for c in self.clients if address in c.addresses), None)

    def agent(self, login: str) -> AgentConfig | None:
        return next((a for a in self.agents if a.login == login), None)

    def team(self, name: str) -> TeamConfig | None:
        return next((t for t in self.teams if t.name == name), None)

    def tag(self, name: str) -> TagConfig | None:
        return next((t for t in self.tags if t.name == name), None)

    def require_agent(self, login: str) -> AgentConfig:
        """The agent, or an UnknownName error listing every login."""
        return _known("agent", login, self.agent(login), (a.login for a in self.agents))

    def require_team(self, name: str) -> TeamConfig:
        """The team, or an UnknownName error listing every team."""
        return _known("team", name, self.team(name), (t.name for t in self.teams))

    def is_supervisor(self, login: str) -> bool:
        agent = self.agent(login)
        return bool(agent and agent.role == "supervisor")

    def teams_of(self, login: str) -> tuple[str, ...]:
        """Teams an agent belongs to, whether the agent or the team lists it."""
        agent = self.agent(login)
        own = list(agent.teams) if agent else []
        own += [t.name for t in self.teams if login in t.members and t.name not in own]
        return tuple(own)

    def members_of(self, team: str) -> tuple[str, ...]:
        found = self.team(team)
        members = list(found.members) if found else []
        members += [a.login for a in self.agents if team in a.teams and a.login not in members]
        return tuple(members)


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone (use IANA names like Europe/Paris)") from None
    return value


def load_config(path: Path) -> Config:
    """Read and validate a comptoir.toml; a problem becomes one ConfigError paragraph."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file. Create a workspace with `comptoir init`.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start} cannot be decoded).") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path | str = CONFIG_NAME) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, text, path)) from None


def _describe(exc: ValidationError, text: str, path: Path | str) -> str:
    problems = []
    for error in exc.errors()[:3]:
        loc = error["loc"]
        key = _key_name(loc)
        line = _line_of(text, loc)
        where = f"line {line}, " if line else ""
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (check its spelling against docs/configuration.md, the reference of every key)"
        elif error["type"] == "missing":
            message = "this key is required but missing"
        if key:
            problems.append(f"{where}key {key}: {message}")
        else:
            problems.append(f"{where}{message}")
    more = len(exc.errors()) - len(problems)
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return f"{path}: " + "; ".join(problems) + tail + "."


def _key_name(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {"function-after", "function-before"} or str(part).startswith("function-"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line of a key: tracks [table] / [[array]] headers, then finds the deepest match."""
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    if not parts:
        return None
    counts: dict[str, int] = {}
    current: list[object] = []
    keys: list[tuple[list[object], str, int]] = []
    headers: list[tuple[list[object], int]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line)
        if header:
            name = header[1]
            counts[name] = counts.get(name, -1) + 1
            current = [*name.split("."), counts[name]]
            headers.append((current, number))
            continue
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = [*header[1].split(".")]
            headers.append((current, number))
            continue
        key = re.match(r'^"?([A-Za-z0-9_.-]+)"?\s*=', line)
        if key:
            keys.append((current, key[1], number))
    for depth in range(len(parts), -1, -1):
        table = parts[:depth]
        if depth < len(parts) and isinstance(parts[depth], str):
            for path, name, number in keys:
                if path == table and name == parts[depth]:
                    return number
        if depth > 0:
            for path, number in headers:
                if path == table:
                    return number
    return None
