"""Pure routing policy: who must answer each message and how it escalates; standard library only."""

from routing.automation import automation_signs
from routing.clients import ClientInfo
from routing.decide import decide
from routing.escalate import ConversationState, Step, escalate, next_step_at, on_vacation
from routing.facts import (
    ContactHistory,
    EarlierConversation,
    MessageFacts,
    Rating,
    RoutingFacts,
    ThreadFacts,
)
from routing.hours import BusinessHours, add_business_time, business_time_between, is_open
from routing.outcome import Decision, Reason, Rung
from routing.policy import AgentInfo, Policy, TeamPolicy
from routing.roster import ROUND_ROBIN, WEEKLY, OnDuty, Roster, on_duty, parse_day_keys
from routing.rules import Condition, Rule, rule_from_mapping

__all__ = [
    "AgentInfo",
    "BusinessHours",
    "ClientInfo",
    "Condition",
    "ContactHistory",
    "ConversationState",
    "Decision",
    "EarlierConversation",
    "MessageFacts",
    "Policy",
    "Rating",
    "Reason",
    "RoutingFacts",
    "Rule",
    "Rung",
    "Step",
    "TeamPolicy",
    "ThreadFacts",
    "add_business_time",
    "automation_signs",
    "business_time_between",
    "decide",
    "escalate",
    "is_open",
    "next_step_at",
    "on_vacation",
    "rule_from_mapping",
    "ROUND_ROBIN",
    "WEEKLY",
    "OnDuty",
    "Roster",
    "on_duty",
    "parse_day_keys",
]
