"""The facts a routing decision used that change with time, kept with the decision so it can be replayed.

`decide` is a pure function of the message, its thread, the sender's history, the agents' presence and
the config. The message is re-parsed from the stored raw mail and the config is read anew; everything
else moves on after the mail arrives (owners change, later conversations and ratings appear, agents go
on vacation). `comptoir route --dry-run` replays the snapshot, so only a changed config changes a route.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from routing import (
    ContactHistory,
    EarlierConversation,
    MessageFacts,
    Policy,
    RoutingFacts,
    ThreadFacts,
)
from routing import Rating as RoutingRating

AVAILABLE = "available"


def snapshot(facts: RoutingFacts, policy: Policy) -> dict[str, Any]:
    """The time-dependent facts of one decision as plain JSON data."""
    contact = facts.contact
    return {
        "thread": [facts.thread.conversation_id, facts.thread.owner, facts.thread.team],
        "contact": None
        if contact is None
        else {
            "address": contact.address,
            "audiences": list(contact.audiences),
            "conversations": [[c.team, c.handled_by, c.at.isoformat()] for c in contact.conversations],
            "ratings": [[r.agent, r.score, r.at.isoformat()] for r in contact.ratings],
        },
        "away": {
            a.login: [a.presence, a.presence_until.isoformat() if a.presence_until else None]
            for a in policy.agents
            if a.presence != AVAILABLE
        },
        # Where each round-robin roster stood: replaying it gives the same agent on duty.
        **({"on_duty": dict(facts.last_on_duty)} if facts.last_on_duty else {}),
    }


def replay_facts(message: MessageFacts, snap: dict[str, Any]) -> RoutingFacts:
    """The facts as they were when the message was routed, around the re-parsed message."""
    conversation_id, owner, team = snap["thread"]
    stored = snap["contact"]
    contact = (
        None
        if stored is None
        else ContactHistory(
            address=stored["address"],
            audiences=tuple(stored["audiences"]),
            conversations=tuple(
                EarlierConversation(t, who, datetime.fromisoformat(at)) for t, who, at in stored["conversations"]
            ),
            ratings=tuple(
                RoutingRating(agent, score, datetime.fromisoformat(at)) for agent, score, at in stored["ratings"]
            ),
        )
    )
    return RoutingFacts(
        message=message,
        thread=ThreadFacts(conversation_id, owner, team),
        contact=contact,
        last_on_duty=dict(snap.get("on_duty") or {}),
    )


def replay_policy(policy: Policy, snap: dict[str, Any]) -> Policy:
    """The current config with every agent's presence as it was when the message was routed."""
    away = snap["away"]
    agents = []
    for agent in policy.agents:
        presence, until = away.get(agent.login, (AVAILABLE, None))
        agents.append(
            dataclasses.replace(
                agent, presence=presence, presence_until=datetime.fromisoformat(until) if until else None
            )
        )
    return dataclasses.replace(policy, agents=tuple(agents))
