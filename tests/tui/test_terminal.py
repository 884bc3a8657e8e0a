"""The app's terminal driver sleeps while idle: its input thread waits without a timeout unless an
escape sequence is pending, and setting the exit event wakes it."""

from __future__ import annotations

import selectors
import threading

from textual._xterm_parser import XTermParser

from tui.terminal import WakingEvent, select_timeout


def test_the_input_thread_sleeps_until_something_happens_unless_an_escape_is_pending() -> None:
    parser = XTermParser()
    assert select_timeout(parser) is None
    list(parser.feed("\x1b"))  # a lone Esc: a key, or the start of a sequence; the parser waits to know
    timeout = select_timeout(parser)
    assert timeout is not None and 0 <= timeout <= 0.1


def test_setting_the_exit_event_wakes_a_sleeping_select() -> None:
    event = WakingEvent()
    selector = selectors.SelectSelector()
    selector.register(event.read_fd, selectors.EVENT_READ)
    try:
        threading.Timer(0.1, event.set).start()
        assert selector.select(5.0), "the select slept through the exit"
        assert event.is_set()
        event.drain()
        assert selector.select(0) == []
    finally:
        selector.close()
        event.close()
