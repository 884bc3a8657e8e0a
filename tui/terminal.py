"""The app's terminal driver: Textual's Linux driver, made to sleep while idle and to end with its terminal.

Idle: Textual's input thread wakes ten times a second to look for keys and for the app's exit; twenty
idle apps spend a measurable share of a core on that alone. This driver's thread sleeps until a key
arrives, an escape sequence needs its timeout (a lone Esc), or the app stops (a byte on a wake pipe).

End: when tmux is killed or an SSH connection drops, the kernel sends SIGHUP and from then on every
read of the terminal returns end of file at once. Textual's Linux driver treats an empty read as
"nothing yet" and selects again, so with SIGHUP ignored (nohup, some session managers) its input
thread spins at full CPU forever. This driver stops on the first empty read and asks the app to exit.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


class WakingEvent(threading.Event):
    """The driver's exit event: setting it also wakes the input thread from its select()."""

    def __init__(self) -> None:
        super().__init__()
        self.read_fd, self.write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def set(self) -> None:
        super().set()
        try:
            os.write(self.write_fd, b"x")
        except OSError:  # the pipe is full (already woken) or closed
            pass

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 512):
                pass
        except OSError:  # empty: EAGAIN
            pass

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def select_timeout(parser: XTermParser) -> float | None:
    """How long the input thread may sleep: until the parser's pending escape sequence times out, or
    (nothing pending) until something happens."""
    # A private attribute of Textual's parser (textual._parser.Parser), read with a fallback: an
    # update that renames it makes the thread poll as Textual's own does, never hang an Esc.
    deadline: float | None = getattr(parser, "_timeout_time", 0.0)
    if deadline is None:
        return None
    return min(max(deadline - get_time(), 0.0), 0.1)


class HangupAwareDriver(LinuxDriver):
    """Textual's Linux driver: asleep while idle, and end of file on the terminal exits the app."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_event = WakingEvent()

    def run_input_thread(self) -> None:
        wake = self.exit_event
        assert isinstance(wake, WakingEvent)
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ, "terminal")
        selector.register(wake.read_fd, selectors.EVENT_READ, "wake")
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        try:
            while not wake.is_set():
                for key, mask in selector.select(select_timeout(parser)):
                    if key.data == "wake":
                        wake.drain()
                        continue
                    if not mask & selectors.EVENT_READ:
                        continue
                    try:
                        data = os.read(self.fileno, 4096)
                    except OSError:  # EIO: the terminal is gone
                        data = b""
                    if not data:
                        self.terminal_gone()
                        return
                    for event in parser.feed(decode(data)):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()

    def close(self) -> None:
        super().close()
        if isinstance(self.exit_event, WakingEvent):
            self.exit_event.close()

    def terminal_gone(self) -> None:
        """Ask the app to exit (post_message is safe from this thread)."""
        detach_from_terminal()
        self._app.call_later(self._app.exit, None, 129)


def detach_from_terminal() -> None:
    """Point standard input, output and error at /dev/null.

    Writes to a hung-up terminal fail, and Textual's output thread dies on the first failure, after
    which its shutdown waits forever on a full queue. Nobody is left to read a goodbye anyway."""
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
    finally:
        os.close(devnull)
