"""The parse step on Dagster's Celery executor: a real Redis, two `dagster-celery` workers, a
persistent Dagster instance; the warehouse equals the one built in-process, also when one of the
workers is killed while it holds a batch (the other parses it once Redis delivers it again).

Needs Debian's `redis-server` (`.ci/run` and `make test` install it); skipped, saying so, when it
cannot be found.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from pipelines.executors import celery_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server") or next(
    (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)), None)
WORKERS = ("fw-test-1", "fw-test-2")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """Stop a process started with start_new_session=True and everything it started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children left behind (celery's own worker process)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if REDIS_SERVER is None:
        pytest.skip("redis-server not found: install Debian's redis-server "
                    "(apt-get install redis-server; .ci/run and make test do it)")
    import redis

    port = _free_port()
    log = open(tmp_path_factory.mktemp("redis") / "redis.log", "wb")
    proc = subprocess.Popen(
        [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start (exit {proc.poll()})")
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop_group(proc, grace=5)
        log.close()


def _dagster_home(folder: Path) -> Path:
    from dagster import DagsterInstance

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "pipelines" / "dagster.yaml", folder / "dagster.yaml")
    with DagsterInstance.from_config(str(folder)) as instance:  # create the SQLite storage once: two
        instance.get_runs(limit=1)  # workers starting at once would both try (alembic_version exists)
    return folder


@contextlib.contextmanager
def _celery_workers(folder: Path, broker: str, dagster_home: Path, names: tuple[str, ...],
                    transport_options: dict | None = None):
    """Workers started as an operator would (docs/scale-out.md), with the celery.yaml written from
    `celery_config`; not waited for here, so they boot while the caller does other work."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "celery.yaml"
    config.write_text(yaml.safe_dump({"execution": {"config": celery_config(broker, transport_options=transport_options)}}),
                      encoding="utf-8")
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home), FW_CELERY_BROKER=broker, DO_NOT_TRACK="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    procs, logs = {}, []
    try:
        for name in names:
            logs.append(open(folder / f"{name}.log", "wb"))
            procs[name] = subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                 "-y", str(config), "-n", name, "-i", "pipelines.executors", "--", "--pool", "solo"],
                cwd=PROJECT_ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT, start_new_session=True)
        yield folder, procs
    finally:
        for proc in procs.values():
            _stop_group(proc)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory) -> Path:
    return _dagster_home(tmp_path_factory.mktemp("dagster_home"))


@pytest.fixture
def celery_workers(redis_url, dagster_home, tmp_path_factory):
    """Stopped after their test: a process rebuilds a reconstructable job once (Dagster caches it),
    so both tests' runs submit to the broker the first one configured, and only that test's
    workers may listen there."""
    with _celery_workers(tmp_path_factory.mktemp("workers"), redis_url, dagster_home, WORKERS) as workers:
        yield workers


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, str]:
    """Six demo documents and the marts checksum of their warehouse built in-process."""
    from dagster import DagsterInstance

    from demo.generate import generate_corpus
    from pipelines.checksum import marts_checksum
    from pipelines.orchestration import run_night

    folder = tmp_path_factory.mktemp("corpus")
    landing = folder / "landing"
    generate_corpus(landing, count=6, seed=3)
    reference = _settings(landing, folder / "in_process", parse_workers=2)
    with DagsterInstance.ephemeral() as instance:
        outcome = run_night(reference, instance, log_level="WARNING")
    assert outcome.success, outcome.errors
    return landing, marts_checksum(reference.warehouse)


def _wait_for_workers(broker: str, names: tuple[str, ...], workers, timeout: float = 150) -> None:
    from celery import Celery

    log_folder, procs = workers
    app = Celery("fw-test-ping", broker=broker, backend=broker)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and all(p.poll() is None for p in procs.values()):
            replies = {next(iter(r)).split("@")[0] for r in app.control.ping(timeout=1.0)}
            if set(names) <= replies:
                return
            time.sleep(0.5)
    finally:
        app.close()
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in sorted(log_folder.glob("*.log")))
    raise AssertionError(f"Celery workers {names} not ready (exit codes {[p.poll() for p in procs.values()]})\n{logs}")


def _batch_executions(instance, run_id: str) -> list[tuple[str, str]]:
    """(batch step key, worker name) for every time a worker started a batch step, in order: the
    worker reports "Executing steps <step key> in celery worker" with its name in the metadata."""
    return [(e.message.split("Executing steps ")[1].split(" in celery worker")[0],
             e.dagster_event.engine_event_data.metadata["Celery worker"].value.split("@")[0])
            for e in instance.all_logs(run_id)
            if e.dagster_event is not None and "in celery worker" in (e.message or "")
            and "parse_document_batch[" in e.message]


def _settings(landing: Path, out: Path, parse_workers: int, parse_batches: int = 0):
    from pipelines.settings import PipelineSettings

    return PipelineSettings(landing_dir=str(landing), warehouse_path=str(out / "warehouse.duckdb"), data_dir="",
                            manifest_path="", parse_cache_url="", parse_workers=parse_workers,
                            parse_batches=parse_batches)


def test_parse_step_on_two_celery_workers_gives_the_in_process_warehouse(
        tmp_path, redis_url, dagster_home, celery_workers, corpus, monkeypatch):
    from dagster import DagsterInstance

    from pipelines.checksum import marts_checksum
    from pipelines.executors import run_night_on_celery

    landing, expected = corpus
    _wait_for_workers(redis_url, WORKERS, celery_workers)
    monkeypatch.setenv("FW_CELERY_BROKER", redis_url)  # read by the parse job as rebuilt by its runs
    distributed = _settings(landing, tmp_path / "celery", parse_workers=1, parse_batches=2)
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        outcome = run_night_on_celery(distributed, instance, log_level="WARNING")
        assert outcome.success, outcome.errors
        assert outcome.parsed == 6
        parse_runs = [r for r in instance.get_runs() if r.job_name == "parse_documents"]
        assert len(parse_runs) == 1 and parse_runs[0].is_success  # the six new documents: one range
        run_id = parse_runs[0].run_id
        batch_steps = sorted(s.step_key for s in instance.get_run_step_stats(run_id)
                             if s.step_key.startswith("parsed_document.parse_document_batch["))
        batch_workers = dict(_batch_executions(instance, run_id))
    # The run's six documents went out as two batch steps (three documents each), both Celery
    # tasks, one on each worker: a worker holds one task until it has finished it
    # (CELERY_SETTINGS), so the second batch goes to the idle worker.
    assert batch_steps == ["parsed_document.parse_document_batch[batch_0]",
                           "parsed_document.parse_document_batch[batch_1]"]
    assert sorted(batch_workers) == batch_steps
    assert set(batch_workers.values()) == set(WORKERS), batch_workers
    assert len(list((distributed.parsed_dir).rglob("*.json"))) == 6
    assert not (distributed.data / "steps" / run_id).exists()  # the steps' hand-over values are removed

    assert marts_checksum(distributed.warehouse) == expected


# A lost batch is delivered again after 20 s (kombu's default: an hour); idle workers look for such
# batches every second (default: every 100 s). Longer than a batch of three documents takes.
LOST_BATCH_TRANSPORT = {"visibility_timeout": 20, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
NIGHT_TIMEOUT = 240
RECEIVED = re.compile(rb"Task execute_plan\[[0-9a-f-]+\] received")


def _kill_first_to_receive(folder: Path, procs: dict, killed: list, stop: threading.Event) -> None:
    """SIGKILL the first worker (its whole process group: a machine lost) that receives a task."""
    while not stop.is_set():
        for name, proc in procs.items():
            log = folder / f"{name}.log"
            if log.exists() and RECEIVED.search(log.read_bytes()):
                os.killpg(proc.pid, signal.SIGKILL)
                killed.append(name)
                return
        time.sleep(0.02)


def test_a_batch_whose_worker_is_lost_is_parsed_by_the_other_worker(
        tmp_path, redis_url, corpus, monkeypatch):
    """A worker killed while it holds a batch: the batch is not lost (acknowledged only when the
    step has finished, CELERY_SETTINGS), Redis delivers it again after the visibility timeout, the
    other worker parses it and the night ends with the in-process warehouse."""
    from dagster import DagsterInstance

    from pipelines.checksum import marts_checksum
    from pipelines.executors import run_night_on_celery

    landing, expected = corpus
    home = _dagster_home(tmp_path / "dagster_home")
    names = ("fw-lost-a", "fw-lost-b")
    with _celery_workers(tmp_path / "workers", redis_url, home, names, LOST_BATCH_TRANSPORT) as workers:
        _wait_for_workers(redis_url, names, workers)  # the other test's are stopped
        killed: list[str] = []
        stop = threading.Event()
        killer = threading.Thread(target=_kill_first_to_receive, args=(*workers, killed, stop), daemon=True)
        killer.start()
        monkeypatch.setenv("FW_CELERY_BROKER", redis_url)
        settings = _settings(landing, tmp_path / "celery", parse_workers=1, parse_batches=2)
        night: dict = {}

        def run() -> None:
            with DagsterInstance.from_config(str(home)) as instance:
                night["outcome"] = run_night_on_celery(settings, instance, log_level="WARNING")
                night["run_id"] = next(r.run_id for r in instance.get_runs() if r.job_name == "parse_documents")
                night["executions"] = _batch_executions(instance, night["run_id"])

        started = time.monotonic()
        runner = threading.Thread(target=run, daemon=True)  # a batch never delivered again hangs the run
        runner.start()
        runner.join(NIGHT_TIMEOUT)
        seconds = time.monotonic() - started
        stop.set()
        killer.join()
        assert not runner.is_alive(), f"the night did not end in {NIGHT_TIMEOUT} s: the lost batch was not delivered again"
        assert len(killed) == 1, "no worker received a batch"
        assert workers[1][killed[0]].poll() is not None  # it is gone
    outcome, executions = night["outcome"], night["executions"]
    assert outcome.success, outcome.errors
    lost, survivor = killed[0], next(n for n in names if n != killed[0])
    # Killed as soon as it had received a batch (it may not even have reported starting it): the
    # survivor parsed its own batch and then the lost one, delivered again after the visibility
    # timeout (the night waited for it).
    by_worker = {name: [step for step, worker in executions if worker == name] for name in names}
    assert sorted(by_worker[survivor]) == ["parsed_document.parse_document_batch[batch_0]",
                                           "parsed_document.parse_document_batch[batch_1]"], executions
    assert len(by_worker[lost]) <= 1, executions
    assert seconds > LOST_BATCH_TRANSPORT["visibility_timeout"]
    assert outcome.parsed == 6
    assert len(list(settings.parsed_dir.rglob("*.json"))) == 6
    assert marts_checksum(settings.warehouse) == expected
