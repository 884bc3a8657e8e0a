"""Clients: a company given its own address (joe-llc@), served by one team, optionally by one agent first.

An address can be informational: mail to it expects no reply (leads@, "thanks for the tip"), so it is
recorded as worked out at once and never escalates.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.facts import normalize_address


@dataclass(frozen=True)
class ClientInfo:
    """One client as routing sees it: its addresses, its team, its optional owner."""

    name: str
    addresses: tuple[str, ...]
    team: str
    owner: str | None = None
    """The agent who looks after this client first (an exclusive window while at work)."""
    informational: tuple[str, ...] = ()
    """Addresses among `addresses` whose mail needs no reply."""

    def __post_init__(self) -> None:
        addresses = tuple(normalize_address(a) for a in self.addresses)
        informational = tuple(normalize_address(a) for a in self.informational)
        stray = [a for a in informational if a not in addresses]
        if stray:
            raise ValueError(f"client {self.name!r}: informational address {stray[0]!r} is not one of its addresses")
        if not addresses:
            raise ValueError(f"client {self.name!r} has no address")
        object.__setattr__(self, "addresses", addresses)
        object.__setattr__(self, "informational", informational)
