"""The one persistent Dagster instance the CLI, cron and the UI (`make dev`) share.

`DAGSTER_HOME` when it is set, else `<data_dir>/dagster_home` (`var/data/dagster_home` after
`make run`, the folder `make dev` opens). Its `dagster.yaml` is written from
`pipelines/dagster.yaml` when the folder has none (an operator's own file is never replaced):
the `duckdb_writer` pool, telemetry off, the UI's onboarding pop-up off.

A night run from the command line appears in the UI with its runs, partitions, materializations
and check results, because it is recorded in that instance's storage (SQLite files in the folder).
"""
from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.ref import InstanceRef

from pipelines.settings import PipelineSettings

DAGSTER_YAML = Path(__file__).resolve().parent / "dagster.yaml"
HOME_FOLDER = "dagster_home"

# Tags on the runs of a CLI night: which process ran them, so a night can tell a run left
# "started" by a killed night (its process is gone) from one that is still running.
NIGHT_PID_TAG = "fw/night_pid"
NIGHT_HOST_TAG = "fw/night_host"
_UNFINISHED = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
               DagsterRunStatus.CANCELING]

# The CLI's in-process runs print to the operator's console; their output is kept in the run's
# log file and the event log, so the CLI's instance does not also capture it (the local capture
# mirrors stdout through a `tail` subprocess, which would reorder and repeat the console lines).
_CLI_OVERRIDES = {"compute_logs": {"module": "dagster._core.storage.noop_compute_log_manager",
                                   "class": "NoOpComputeLogManager"}}


def dagster_home(settings: PipelineSettings) -> Path:
    env = os.environ.get("DAGSTER_HOME", "").strip()
    return Path(env).expanduser().resolve() if env else settings.data / HOME_FOLDER


def ensure_home(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        tmp = home / ".dagster.yaml.tmp"
        shutil.copyfile(DAGSTER_YAML, tmp)
        os.replace(tmp, config)
    return home


@contextmanager
def night_instance(settings: PipelineSettings) -> Iterator[DagsterInstance]:
    """The persistent instance of `settings`' Dagster home, as the CLI uses it.

    A Dagster home that cannot be made (a read-only data folder) gives an ephemeral instance: the
    night then stops at its own check of the data folder, in one line, recorded in runs.jsonl."""
    try:
        home = ensure_home(dagster_home(settings))
    except OSError:
        with DagsterInstance.ephemeral() as instance:
            yield instance
        return
    ref = InstanceRef.from_dir(str(home), overrides=_CLI_OVERRIDES)
    with DagsterInstance.from_ref(ref) as instance:
        yield instance


def night_tags() -> dict[str, str]:
    return {NIGHT_PID_TAG: str(os.getpid()), NIGHT_HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphaned_runs(instance: DagsterInstance) -> list[str]:
    """Runs of an earlier night on this machine whose process is gone (killed, power cut): report
    them failed and free the pool slots they held, so this night's steps can claim them.

    Only the runs this project's CLI tagged are considered, and only when their process no longer
    exists; runs launched from the UI are left to Dagster's own run monitoring.
    """
    host = socket.gethostname()
    failed = []
    for run in instance.get_runs(RunsFilter(statuses=_UNFINISHED, tags={NIGHT_HOST_TAG: host})):
        pid = run.tags.get(NIGHT_PID_TAG, "")
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"the night that ran this run (pid {pid}) ended before it finished")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        failed.append(run.run_id)
    return failed
