"""What a night prints: one short line per step and per document, for a person reading the console.

The steps report through `report(context, message)`, which sends the line to two places:

- Dagster's log (`context.log`): the UI's run view, the run's log file
  (`<data_dir>/logs/night-*.log`, logger `run_log_file` below) and, under `--verbose` or in
  `dagster dev`, Dagster's console logger;
- the Python logger `pipelines.report`, which `python -m pipelines run` prints as a plain line at
  the default level (Dagster's console logger is then turned down to CRITICAL, so its prefixes and
  the libraries' chatter stay in the log file and the UI).

Under `dagster dev` nobody listens to `pipelines.report`: the lines are in the run's log only.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from dagster import Field, String, logger

from pipelines.safe_text import printable

REPORT_LOGGER = "pipelines.report"
_report = logging.getLogger(REPORT_LOGGER)
_report.propagate = False  # never through the root logger (pytest's capture, Dagster's handlers)
_report.addHandler(logging.NullHandler())


MAX_LINE = 160  # a console line longer than this is cut (the full text is in the run's log)


def report(context, message: str, level: int = logging.INFO) -> None:
    """One line for the run's log and the operator's console."""
    if context is not None:
        context.log.log(level, message)
    _report.log(level, message, extra={"fw_in_dagster_log": context is not None})


class _ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # one line on the terminal, whatever a message holds: file and department names come from
        # outside (pipelines/safe_text.py escapes control and reordering characters, \n too)
        text = printable(record.getMessage())
        if record.levelno >= logging.WARNING:
            text = f"{record.levelname.lower()}: {text}"
        return text if len(text) <= MAX_LINE else text[:MAX_LINE - 1] + "…"


class console_report:
    """While open, `pipelines.report` lines at `level` or above go to `stream` (the CLI's stdout).

    `dagster_too=False` (the CLI's --verbose, where Dagster's console logger prints the steps'
    lines already) keeps only the lines that are not in Dagster's log."""

    def __init__(self, stream=None, level: int = logging.INFO, dagster_too: bool = True):
        self._handler = logging.StreamHandler(stream or sys.stdout)
        self._handler.setFormatter(_ConsoleFormatter())
        self._handler.setLevel(level)
        if not dagster_too:
            self._handler.addFilter(lambda record: not getattr(record, "fw_in_dagster_log", False))

    def line(self, message: str, level: int = logging.INFO) -> None:
        report(None, message, level)

    def __enter__(self) -> "console_report":
        _report.setLevel(logging.DEBUG)
        _report.addHandler(self._handler)
        return self

    def __exit__(self, *exc) -> None:
        self._handler.flush()
        _report.removeHandler(self._handler)


class Throttle:
    """Progress of a long step (`dbt 37/204`): a line when another tenth is done or `seconds` have
    passed since the last line, so a step is never silent for long and never floods the console."""

    def __init__(self, total: int, seconds: float = 10.0):
        self.total = max(total, 1)
        self.seconds = seconds
        self._last_count = 0
        self._last_time = time.monotonic()

    def due(self, count: int) -> bool:
        now = time.monotonic()
        if count >= self.total or count - self._last_count >= self.total / 10 or now - self._last_time >= self.seconds:
            if count == self._last_count:
                return False
            self._last_count, self._last_time = count, now
            return True
        return False


class _AppendHandler(logging.Handler):
    """Appends each record to a file, opened only for the write: a night's runs share one file and
    no handle outlives the run."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except Exception:  # a log line must never fail a run
            self.handleError(record)


@logger(
    config_schema={"path": Field(String, description="file the run's log is appended to"),
                   "log_level": Field(String, is_required=False, default_value="DEBUG")},
    description="Dagster's full log of a run (every event, as the console logger prints it), appended to a file.",
)
def run_log_file(init_context):
    path = Path(init_context.logger_config["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    log = logging.getLogger(f"pipelines.run_log.{init_context.run_id}")
    log.setLevel(init_context.logger_config["log_level"])
    log.propagate = False
    handler = _AppendHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
    log.handlers = [handler]
    return log
