"""What routing is told about one inbound message: the mail, its thread and the sender's history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType


def normalize_address(address: str) -> str:
    """Lower-case an address and drop surrounding spaces and angle brackets."""
    return address.strip().strip("<>").strip().lower()


def base_address(address: str) -> tuple[str, str | None]:
    """Split a plus-tagged address: "sales+marie@acme.test" -> ("sales@acme.test", "marie")."""
    local, at, domain = address.partition("@")
    local, plus, tag = local.partition("+")
    return local + at + domain, (tag or None) if plus else None


def local_part(address: str) -> str:
    return address.partition("@")[0]


@dataclass(frozen=True)
class MessageFacts:
    """The parts of an inbound mail that routing reads; addresses and header names lower-cased."""

    sender: str
    received_at: datetime
    sender_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    body_excerpt: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender", normalize_address(self.sender))
        object.__setattr__(self, "to", tuple(normalize_address(a) for a in self.to))
        object.__setattr__(self, "cc", tuple(normalize_address(a) for a in self.cc))
        headers = {name.lower(): value for name, value in self.headers.items()}
        object.__setattr__(self, "headers", MappingProxyType(headers))

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc


@dataclass(frozen=True)
class ThreadFacts:
    """The conversation this message continues, if threading found one."""

    conversation_id: str | None = None
    owner: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class EarlierConversation:
    """A past conversation with the same contact: its team, who handled it and when it started."""

    team: str | None
    handled_by: str | None
    at: datetime


@dataclass(frozen=True)
class Rating:
    """A satisfaction score (1-5) the contact gave an agent."""

    agent: str
    score: int
    at: datetime

    def __post_init__(self) -> None:
        if not 1 <= self.score <= 5:
            raise ValueError(f"rating score must be 1-5, got {self.score}")


@dataclass(frozen=True)
class ContactHistory:
    """What is known about the sender: audiences from import or earlier conversations, and ratings."""

    address: str
    audiences: tuple[str, ...] = ()
    conversations: tuple[EarlierConversation, ...] = ()
    ratings: tuple[Rating, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", normalize_address(self.address))
        object.__setattr__(self, "audiences", tuple(self.audiences))
        newest_first = tuple(sorted(self.conversations, key=lambda c: c.at, reverse=True))
        object.__setattr__(self, "conversations", newest_first)
        object.__setattr__(self, "ratings", tuple(self.ratings))


@dataclass(frozen=True)
class RoutingFacts:
    """Everything `decide` needs about one inbound message."""

    message: MessageFacts
    thread: ThreadFacts = ThreadFacts()
    contact: ContactHistory | None = None
    last_on_duty: Mapping[str, str] = field(default_factory=dict, hash=False)
    """team -> the member its round-robin roster last gave a message to."""
