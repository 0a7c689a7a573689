"""Lines on the terminal from inside a test run, whatever pytest captures: suite summaries."""

import contextlib

import pytest


def write_terminal_line(config: pytest.Config, line: str) -> None:
    """One line on the terminal, whatever pytest captures (``-s`` or not): suite summaries."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line)
        else:  # pytest without its terminal (-p no:terminal)
            print(line, flush=True)
