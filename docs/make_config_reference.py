"""Writes docs/configuration.md from the config models' field docstrings (run: python docs/make_config_reference.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.workspace.config import (
    AccountConfig,
    AgentConfig,
    AutoAckConfig,
    ClientConfig,
    RoutingConfig,
    RoutingRule,
    RuleCondition,
    ServerEndpoint,
    TagConfig,
    TeamConfig,
    WorkspaceSettings,
)

SECTIONS = [
    ("[workspace]", WorkspaceSettings),
    ("[[accounts]]", AccountConfig),
    ("imap / smtp (in an account)", ServerEndpoint),
    ("[[teams]]", TeamConfig),
    ("[[agents]]", AgentConfig),
    ("[routing]", RoutingConfig),
    ("[[routing.rules]]", RoutingRule),
    ("a rule condition (in all / any)", RuleCondition),
    ("[[autoack]]", AutoAckConfig),
    ("[[tags]]", TagConfig),
    ("[[clients]]", ClientConfig),
]


def _type(annotation: object) -> str:
    if "round-robin" in str(annotation):
        return '"round-robin" or a table of days'
    text = str(annotation).replace("typing.", "").replace("core.workspace.config.", "")
    return text.replace("<class '", "").replace("'>", "").replace("datetime.", "")


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return ""
    return f"`{value!s}`" if value not in (None, "", (), {}) else "-"


def render() -> str:
    lines = [
        "# comptoir.toml reference",
        "",
        "Generated from `core/workspace/config.py` by `docs/make_config_reference.py`; every key is checked when the",
        "workspace opens, and a mistake is reported with the file, the key, the line and what is wrong.",
        "Durations are written like `2h`, `90m`, `1h30m`; hours like `mon-fri 09:00-18:00; sat 10:00-12:00`.",
        "",
    ]
    for title, model in SECTIONS:
        lines += [f"## {title}", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            key = field.alias or name
            doc = (field.description or "").replace("|", "\\|").replace("\n", " ")
            kind = _type(field.annotation).replace("|", "or")
            lines.append(f"| `{key}` | {kind} | {_default(field)} | {doc} |")
        lines.append("")
    lines += ["## [keymap]", "", 'Binding id = key, e.g. `claim = "ctrl+k"`; the ids are listed by `?` in the app.', ""]
    return "\n".join(lines)


if __name__ == "__main__":
    out = Path(__file__).with_name("configuration.md")
    out.write_text(render())
    print(f"wrote {out}")
