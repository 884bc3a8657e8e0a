"""The reports screen: the figures of `comptoir report` for a period and a team, with plots.

Period ([ and ]) and team (t and T) are chosen with keys; each choice asks the service for a new
report in a thread worker, which posts ReportLoaded; only its handler changes widgets.
"""

from __future__ import annotations

from datetime import timedelta

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from core.durations import format_seconds as duration
from core.work.alert_kinds import kind_words
from core.work.views import ReportView, Share
from tui import keys
from tui.messages import ReportLoaded
from tui.safe import clean_line
from tui.screens.base import ComptoirScreen
from tui.widgets.alert_bar import AlertBar
from tui.widgets.key_footer import KeyFooter
from tui.widgets.top_bar import TopBar

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 1
WIDE = 120
"""Terminal columns from which plots and tables sit two by two."""
HEAT = ("#1d3b53", "#24679a", "#3b97c9", "#8fd3f2")
"""Cell backgrounds from quiet to busiest; an hour without mail is a dim dot."""


def heatmap(volume: tuple[tuple[int, ...], ...], title: str) -> Text:
    """Messages per weekday and hour as coloured cells, brightest for the busiest hours."""
    peak = max((n for row in volume for n in row), default=0)
    text = Text()
    text.append(f"{title}\n", style="bold")
    text.append("     " + "".join(f"{h:<6}" for h in range(0, 24, 3)).rstrip() + "\n", style="dim")
    for day, row in enumerate(volume):
        text.append(f"{DAY_NAMES[day]}  ", style="dim")
        for count in row:
            if not peak or not count:
                text.append(" ·", style="dim")
            else:
                text.append("  ", style=f"on {HEAT[min(3, int(4 * count / (peak + 1)))]}")
        text.append(f" {sum(row)}\n", style="dim")
    text.append("     each cell is one hour; brightest: up to " + f"{peak} messages", style="dim")
    return text


def share(value: Share) -> str:
    """'80% (12/15)', or '-' when nothing was promised."""
    return f"{100 * value.met / value.total:.0f}% ({value.met}/{value.total})" if value.total else "-"


def summary_table(view: ReportView) -> Table:
    t = view.total
    table = Table(
        title="Response",
        title_justify="left",
        title_style="bold",
        box=None,
        padding=(0, 1),
        expand=False,
        show_edge=False,
    )
    for name, justify in (("", "left"), ("median", "right"), ("p90", "right"), ("count", "right")):
        table.add_column(name, justify=justify, no_wrap=True)
    for label, value in (
        ("first response", t.first_response),
        ("  in business time", t.first_response_business),
        ("worked out", t.worked_out),
        ("  in business time", view.worked_out_business),
        ("resolution", t.resolution),
    ):
        table.add_row(label, duration(value.median), duration(value.p90), str(value.count))
    return table


def promise_table(view: ReportView) -> Table:
    t = view.total
    table = Table(
        title="Promises and work",
        title_justify="left",
        title_style="bold",
        box=None,
        padding=(0, 1),
        show_header=False,
        show_edge=False,
    )
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    per_resolved = "-" if view.replies_per_resolved is None else f"{view.replies_per_resolved:.1f}"
    for label, value in (
        ("within exclusive window", share(view.within_exclusive)),
        ("within team window", share(view.within_team)),
        ("within the promise", share(view.within_promise)),
        ("messages in / replies out", f"{t.messages_in} / {t.replies_out}"),
        ("not worked out yet", str(view.not_worked_out)),
        ("replies per resolved", per_resolved),
    ):
        table.add_row(label, value)
    return table


def people_table(view: ReportView) -> Table:
    table = Table(
        title="Escalations, hand-overs, ratings, alerts, load",
        title_justify="left",
        title_style="bold",
        box=None,
        padding=(0, 1),
        show_header=False,
        show_edge=False,
    )
    table.add_column(no_wrap=True, style="dim")
    table.add_column(overflow="fold")

    def joined(items) -> str:
        return ", ".join(items) or "none"

    table.add_row("escalations", joined(f"{e.name.replace('_', ' ')} {e.count}" for e in view.escalations))
    table.add_row("hand-overs", f"{view.reassignments}, take-backs {view.take_backs}")
    table.add_row("no action", joined(f"{clean_line(r.name)} {r.count}" for r in view.no_action_reasons[:4]))
    table.add_row(
        "ratings",
        joined(
            f"{clean_line(s.name)} {s.other:.1f} ({s.count})"
            for s in (*view.satisfaction_teams, *view.satisfaction_agents)
        ),
    )
    table.add_row(
        "alerts",
        joined(
            f"{clean_line(kind_words(a.name))} {a.count} ({int(a.other or 0)} idle)" for a in view.alerts_by_kind[:5]
        ),
    )
    table.add_row("load now", joined(f"{clean_line(a.name)} {a.count}" for a in view.load_now))
    ended = [d for d in view.load_at_day_end if d.recorded]
    if ended:
        table.add_row(
            f"load {ended[-1].day[5:]} end", joined(f"{clean_line(a.name)} {a.count}" for a in ended[-1].loads)
        )
    return table


class ReportsScreen(ComptoirScreen[None]):
    """Response times, promises kept, backlog, busiest hours and pending work, for a period and a team."""

    BINDINGS = keys.bindings("reports")

    def __init__(self) -> None:
        super().__init__()
        self.period_index = DEFAULT_PERIOD
        self.team_index = 0
        self.report: ReportView | None = None

    @property
    def teams(self) -> list[str | None]:
        return [None, *(team.name for team in self.app.service.config.teams)]

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        yield AlertBar(id="alert-bar")
        yield Static(id="reports-title")
        with VerticalScroll(id="reports-body"):
            with Horizontal(id="reports-figures"):
                yield Static(Text("Counting…", style="dim"), id="reports-summary")
                yield Static(id="reports-promises")
            with Grid(id="reports-plots"):
                yield PlotextPlot(id="plot-backlog")
                yield PlotextPlot(id="plot-response")
                yield Static(id="reports-heatmap")
                yield PlotextPlot(id="plot-pending")
            yield Static(id="reports-people")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.app.fill_top_bar(self.query_one(TopBar))
        self.app.refresh_alert_bars()
        self.set_class(self.app.size.width >= WIDE, "wide")
        self.show_title()
        self.load_report()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "wide")

    # -- choosing ----------------------------------------------------------------------------
    def show_title(self, counting: bool = True) -> None:
        days = PERIODS[self.period_index]
        team = self.teams[self.team_index]
        text = Text()
        text.append(" Reports ", style="bold reverse")
        text.append(f"  last {days} days", style="bold")
        text.append(f"  ·  {('team ' + clean_line(team)) if team else 'all teams'}", style="bold")
        if counting:
            text.append("  counting…", style="dim")
        self.query_one("#reports-title", Static).update(text)

    def action_next_period(self) -> None:
        self.period_index = min(self.period_index + 1, len(PERIODS) - 1)
        self.load_report()

    def action_previous_period(self) -> None:
        self.period_index = max(self.period_index - 1, 0)
        self.load_report()

    def action_next_team(self) -> None:
        self.team_index = (self.team_index + 1) % len(self.teams)
        self.load_report()

    def action_previous_team(self) -> None:
        self.team_index = (self.team_index - 1) % len(self.teams)
        self.load_report()

    def action_scroll_report_down(self) -> None:
        self.query_one("#reports-body", VerticalScroll).scroll_down(animate=False)

    def action_scroll_report_up(self) -> None:
        self.query_one("#reports-body", VerticalScroll).scroll_up(animate=False)

    def action_scroll_report_top(self) -> None:
        self.query_one("#reports-body", VerticalScroll).scroll_home(animate=False)

    def action_scroll_report_bottom(self) -> None:
        self.query_one("#reports-body", VerticalScroll).scroll_end(animate=False)

    def action_back(self) -> None:
        self.dismiss(None)

    def workspace_changed(self, conversation_ids: frozenset[int], kinds: frozenset[str]) -> None:
        """A report is a count at one moment: it is counted again on ctrl+l (refresh), not on every change."""
        if "refresh" in kinds:
            self.load_report()

    # -- loading -------------------------------------------------------------------------------
    def load_report(self) -> None:
        self.show_title(counting=True)
        self.fetch_report(PERIODS[self.period_index], self.teams[self.team_index])

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def fetch_report(self, days: int, team: str | None) -> None:
        service = self.app.service
        now = service.now()
        self.post_message(
            ReportLoaded(
                service.report(since=now - timedelta(days=days), until=now, team=team, timezone=self.app.zone.key)
            )
        )

    @on(ReportLoaded)
    def show_report(self, message: ReportLoaded) -> None:
        view = self.report = message.report
        self.show_title(counting=False)
        self.query_one("#reports-summary", Static).update(summary_table(view))
        self.query_one("#reports-promises", Static).update(promise_table(view))
        self.query_one("#reports-heatmap", Static).update(
            heatmap(view.volume_in, f"Messages in by hour ({view.timezone})")
        )
        self.query_one("#reports-people", Static).update(people_table(view))
        self._plot_backlog(view)
        self._plot_response(view)
        self._plot_pending(view)

    def _plot_backlog(self, view: ReportView) -> None:
        widget = self.query_one("#plot-backlog", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        days = [b.name[5:] for b in view.backlog]
        plt.plot(list(range(len(days))), [b.count for b in view.backlog], marker="braille")
        _day_ticks(plt, days)
        plt.title("Open conversations at each day's end")
        widget.refresh()

    def _plot_response(self, view: ReportView) -> None:
        widget = self.query_one("#plot-response", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        by_day = {r.name: (r.other or 0) / 3600 for r in view.response_by_day}
        days = [b.name for b in view.backlog]
        plt.plot(list(range(len(days))), [by_day.get(day, 0) for day in days], marker="braille")
        _day_ticks(plt, [d[5:] for d in days])
        plt.title("Median first response by day (hours)")
        widget.refresh()

    def _plot_pending(self, view: ReportView) -> None:
        widget = self.query_one("#plot-pending", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        plt.bar([b.name for b in view.pending_by_age], [b.count for b in view.pending_by_age], marker="sd", width=0.5)
        plt.title("Pending messages by age")
        widget.refresh()


def _day_ticks(plt, days: list[str]) -> None:
    """At most six date labels along the x axis, so they never overlap at 80 columns."""
    if not days:
        return
    step = max(1, (len(days) + 5) // 6)
    positions = list(range(0, len(days), step))
    plt.xticks(positions, [days[i] for i in positions])
