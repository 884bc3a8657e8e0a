"""A report as text for people (`comptoir report`) and as rows for spreadsheets (`--csv`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from core.durations import format_seconds
from core.textsafe import printable
from core.work.alert_kinds import kind_words
from core.work.views import ReportGroup, ReportView, Share, Spread

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


duration = format_seconds


def share(value: Share) -> str:
    if not value.total:
        return "-"
    return f"{100 * value.met / value.total:.0f}% ({value.met}/{value.total})"


def _spread(value: Spread) -> str:
    return f"{duration(value.median)} / {duration(value.p90)}"


GROUP_COLUMNS = (
    "in",
    "out",
    "1st resp. med/p90",
    "business med/p90",
    "worked out med/p90",
    "resolved",
    "resolution med/p90",
)


def group_cells(group: ReportGroup) -> tuple[str, ...]:
    return (
        str(group.messages_in),
        str(group.replies_out),
        _spread(group.first_response),
        _spread(group.first_response_business),
        _spread(group.worked_out),
        str(group.resolved),
        _spread(group.resolution),
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(header, widths, strict=False))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=False))
            )
        )
    return lines


def period_line(view: ReportView) -> str:
    q = view.query
    filters = [
        f"{name} {printable(value)}"
        for name, value in (("team", q.team), ("agent", q.agent), ("address", q.address), ("client", q.client))
        if value
    ]
    zone = ZoneInfo(view.timezone)  # the zone the report counted its days in: the reader's
    since, until = q.since.astimezone(zone), min(q.until, view.now).astimezone(zone)
    text = f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} {until.tzname()}"
    return text + (f", {', '.join(filters)}" if filters else "")


def text_report(view: ReportView) -> str:
    """Every figure, section by section, in plain columns."""
    t = view.total
    out = [f"Report: {period_line(view)}", ""]
    out += _table(
        ("figure", "count", "median", "p90"),
        [
            (
                "first response (wall)",
                str(t.first_response.count),
                duration(t.first_response.median),
                duration(t.first_response.p90),
            ),
            (
                "first response (business)",
                str(t.first_response_business.count),
                duration(t.first_response_business.median),
                duration(t.first_response_business.p90),
            ),
            ("worked out (wall)", str(t.worked_out.count), duration(t.worked_out.median), duration(t.worked_out.p90)),
            (
                "worked out (business)",
                str(view.worked_out_business.count),
                duration(view.worked_out_business.median),
                duration(view.worked_out_business.p90),
            ),
            ("resolution (wall)", str(t.resolution.count), duration(t.resolution.median), duration(t.resolution.p90)),
        ],
    )
    out += [
        "",
        f"Answered within the exclusive window: {share(view.within_exclusive)}",
        f"Answered within the team window:      {share(view.within_team)}",
        f"Answered within the promise overall:  {share(view.within_promise)}",
        f"Messages in {t.messages_in}, replies out {t.replies_out}, not worked out yet {view.not_worked_out}, "
        f"replies per resolved conversation {'-' if view.replies_per_resolved is None else f'{view.replies_per_resolved:.1f}'}",
        "",
        "Pending messages by age: " + ", ".join(f"{a.name} {a.count}" for a in view.pending_by_age),
    ]
    if view.groups:
        out += ["", f"By {view.query.group_by}:"]
        out += _table(
            (view.query.group_by or "", *GROUP_COLUMNS), [(printable(g.key), *group_cells(g)) for g in view.groups]
        )
    out += ["", "Busiest hours (messages in, local time " + view.timezone + "):"]
    out += _table(
        ("day", *(f"{h:02d}" for h in range(0, 24, 2))),
        [(DAY_NAMES[d], *(str(row[h] + row[h + 1]) for h in range(0, 24, 2))) for d, row in enumerate(view.volume_in)],
    )
    out += [
        "",
        "Backlog (open conversations at the end of each day): "
        + ", ".join(f"{b.name[5:]} {b.count}" for b in view.backlog[-14:]),
    ]
    out += ["Escalations per rung: " + ", ".join(f"{e.name} {e.count}" for e in view.escalations)]
    out += [
        f"Reassignments {view.reassignments}, of which take-backs {view.take_backs}"
        + (
            ": " + ", ".join(f"{printable(a.name)} {a.count}/{int(a.other or 0)}" for a in view.reassignments_by_agent)
            if view.reassignments_by_agent
            else ""
        )
    ]
    out += [
        "No-action reasons: " + (", ".join(f"{printable(r.name)} {r.count}" for r in view.no_action_reasons) or "none")
    ]
    out += [
        "Satisfaction: "
        + (
            ", ".join(
                f"{printable(s.name)} {s.other:.1f} ({s.count})"
                for s in (*view.satisfaction_teams, *view.satisfaction_agents)
            )
            or "no ratings"
        )
    ]
    out += [
        "Alerts raised (acknowledged without action): "
        + (
            ", ".join(f"{printable(kind_words(a.name))} {a.count} ({int(a.other or 0)})" for a in view.alerts_by_kind)
            or "none"
        )
    ]
    out += [
        "Alerts per person: "
        + (", ".join(f"{printable(a.name)} {a.count} ({int(a.other or 0)})" for a in view.alerts_by_agent) or "none")
    ]
    out += [
        "Load now (open conversations owned): "
        + (", ".join(f"{printable(a.name)} {a.count}" for a in view.load_now) or "none")
    ]
    out += [
        "Load at each day's end: "
        + (
            "; ".join(
                f"{d.day[5:]} " + (", ".join(f"{printable(a.name)} {a.count}" for a in d.loads) or "nobody")
                if d.recorded
                else f"{d.day[5:]} not recorded"
                for d in view.load_at_day_end[-7:]
            )
            or "no day ended in the period"
        )
    ]
    return "\n".join(out)


def _spread_rows(section: str, key: str, value: Spread) -> Iterator[tuple[Any, ...]]:
    yield section, key, "count", value.count
    yield section, key, "median_seconds", value.median
    yield section, key, "p90_seconds", value.p90


def csv_rows(view: ReportView) -> Iterator[tuple[Any, ...]]:
    """(section, key, metric, value) rows: one long table a spreadsheet can pivot."""
    yield "section", "key", "metric", "value"
    for group in (view.total, *view.groups):
        yield "volume", group.key, "messages_in", group.messages_in
        yield "volume", group.key, "replies_out", group.replies_out
        yield from _spread_rows("first_response_wall", group.key, group.first_response)
        yield from _spread_rows("first_response_business", group.key, group.first_response_business)
        yield from _spread_rows("worked_out_wall", group.key, group.worked_out)
        yield from _spread_rows("resolution_wall", group.key, group.resolution)
    yield from _spread_rows("worked_out_business", "all", view.worked_out_business)
    yield "worked_out", "all", "not_worked_out", view.not_worked_out
    for name, value in (
        ("exclusive", view.within_exclusive),
        ("team", view.within_team),
        ("overall", view.within_promise),
    ):
        yield "within_window", name, "met", value.met
        yield "within_window", name, "total", value.total
    yield "resolution", "all", "replies_per_resolved", view.replies_per_resolved
    for bucket in view.pending_by_age:
        yield "pending_by_age", bucket.name, "messages", bucket.count
    for day, row in enumerate(view.volume_in):
        for hour, count in enumerate(row):
            yield "volume_in_by_hour", f"{DAY_NAMES[day]} {hour:02d}", "messages", count
    for day, row in enumerate(view.volume_out):
        for hour, count in enumerate(row):
            yield "volume_out_by_hour", f"{DAY_NAMES[day]} {hour:02d}", "replies", count
    for b in view.backlog:
        yield "backlog", b.name, "open", b.count
    for e in view.escalations:
        yield "escalations", e.name, "count", e.count
    for r in view.no_action_reasons:
        yield "no_action_reasons", r.name, "count", r.count
    yield "reassignments", "all", "count", view.reassignments
    yield "reassignments", "all", "take_backs", view.take_backs
    for a in view.reassignments_by_agent:
        yield "reassignments", a.name, "count", a.count
        yield "reassignments", a.name, "take_backs", int(a.other or 0)
    for kind, rows in (
        ("satisfaction_agent", view.satisfaction_agents),
        ("satisfaction_team", view.satisfaction_teams),
    ):
        for s in rows:
            yield kind, s.name, "ratings", s.count
            yield kind, s.name, "average", s.other
    for kind, rows in (("alerts_by_kind", view.alerts_by_kind), ("alerts_by_agent", view.alerts_by_agent)):
        for a in rows:
            yield kind, a.name, "raised", a.count
            yield kind, a.name, "acknowledged_without_action", int(a.other or 0)
    for a in view.load_now:
        yield "load_now", a.name, "open", a.count
    for d in view.load_at_day_end:
        for a in d.loads:
            yield "load_at_day_end", d.day, a.name, a.count
