"""Alert kinds in plain words, and which ones ask the agent to act (only those make the bar blink).

The internal names (`window_closing`, `snooze_over`...) never reach a screen: the app and the CLI
word them with `kind_words` and `counts_in_words`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AlertKind:
    one: str
    """How one alert of this kind is named, e.g. "window closing"."""
    many: str
    """The same for several, e.g. "windows closing"."""
    actionable: bool = True
    """The agent must do something; False for notices (someone took a conversation from you)."""


KINDS: dict[str, AlertKind] = {
    "exclusive": AlertKind("new for you", "new for you"),
    "assigned": AlertKind("assigned to you", "assigned to you"),
    "reply": AlertKind("customer answer", "customer answers"),
    "window_closing": AlertKind("window closing", "windows closing"),
    "escalation": AlertKind("escalated", "escalated"),
    "overdue": AlertKind("team overdue", "teams overdue"),
    "snooze_over": AlertKind("snooze over", "snoozes over"),
    "released": AlertKind("released to team", "released to team"),
    "returned": AlertKind("back to your team", "back to your team"),
    "team": AlertKind("new for your team", "new for your team"),
    "mention": AlertKind("mention", "mentions"),
    "send_failed": AlertKind("send failed", "sends failed"),
    "send_partial": AlertKind("partly refused", "partly refused"),
    "external": AlertKind("from another tool", "from other tools"),
    "server_trouble": AlertKind("server trouble", "server trouble"),
    "sync_trouble": AlertKind("mail sync trouble", "mail sync trouble"),
    "claimed": AlertKind("claimed from you", "claimed from you", actionable=False),
    "taken": AlertKind("taken from you", "taken from you", actionable=False),
}
WIDEST = max(len(kind.one) for kind in KINDS.values())
"""Columns a list needs for the kind (17)."""
ORDER = tuple(KINDS)
"""Kinds in the order the bar lists them: what is most personal and urgent first."""


def kind_of(name: str) -> AlertKind:
    """The wording of a kind; an unknown one (a newer server) reads as a plain alert."""
    return KINDS.get(name) or AlertKind("alert", "alerts")


def kind_words(name: str) -> str:
    return kind_of(name).one


def is_actionable(name: str) -> bool:
    return kind_of(name).actionable


def counts_in_words(kinds: Iterable[str]) -> list[str]:
    """["2 new for you", "1 window closing", ...]: one entry per kind, in ORDER, unknown kinds last."""
    counted = Counter(name if name in KINDS else "" for name in kinds)
    rank = {name: i for i, name in enumerate(ORDER)}
    words = []
    for name in sorted(counted, key=lambda n: rank.get(n, len(ORDER))):
        kind, count = kind_of(name), counted[name]
        words.append(f"{count} {kind.one if count == 1 else kind.many}")
    return words
