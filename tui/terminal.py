"""The end of the app's terminal ends the app: SIGHUP, or end of file on its input.

When tmux is killed or an SSH connection drops, the kernel sends SIGHUP and from then on every read
of the terminal returns end of file at once. Textual's Linux driver treats an empty read as "nothing
yet" and selects again, so with SIGHUP ignored (nohup, some session managers) its input thread spins
at full CPU forever. This driver stops on the first empty read and asks the app to exit.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


class HangupAwareDriver(LinuxDriver):
    """Textual's Linux driver, except that end of file on the terminal exits the app."""

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        try:
            while not self.exit_event.is_set():
                for _key, mask in selector.select(0.1):
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
