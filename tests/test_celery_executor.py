"""The parse step on Dagster's Celery executor: a real Redis, two `dagster-celery` workers, a
persistent Dagster instance; the warehouse equals the one built in-process.

Needs Debian's `redis-server` (`.ci/run` and `make test` install it); skipped, saying so, when it
cannot be found.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
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


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory) -> Path:
    from dagster import DagsterInstance

    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(PROJECT_ROOT / "pipelines" / "dagster.yaml", home / "dagster.yaml")
    with DagsterInstance.from_config(str(home)) as instance:  # create the SQLite storage once: two
        instance.get_runs(limit=1)  # workers starting at once would both try (alembic_version exists)
    return home


@pytest.fixture(scope="module")
def celery_workers(redis_url, dagster_home, tmp_path_factory):
    """Two workers, started as an operator would (README of docs/scale-out.md); not waited for here,
    so they boot while the in-process reference run works."""
    folder = tmp_path_factory.mktemp("workers")
    config = folder / "celery.yaml"
    config.write_text(yaml.safe_dump({"execution": {"config": celery_config(redis_url)}}), encoding="utf-8")
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home), FW_CELERY_BROKER=redis_url, DO_NOT_TRACK="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    procs, logs = [], []
    try:
        for name in WORKERS:
            logs.append(open(folder / f"{name}.log", "wb"))
            procs.append(subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                 "-y", str(config), "-n", name, "-i", "pipelines.executors", "--", "--pool", "solo"],
                cwd=PROJECT_ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT, start_new_session=True))
        yield folder, procs
    finally:
        for proc in procs:
            _stop_group(proc)
        for log in logs:
            log.close()


def _wait_for_workers(broker: str, names: tuple[str, ...], workers, timeout: float = 150) -> None:
    from celery import Celery

    log_folder, procs = workers
    app = Celery("fw-test-ping", broker=broker, backend=broker)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and all(p.poll() is None for p in procs):
            replies = {next(iter(r)).split("@")[0] for r in app.control.ping(timeout=1.0)}
            if set(names) <= replies:
                return
            time.sleep(0.5)
    finally:
        app.close()
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in sorted(log_folder.glob("*.log")))
    raise AssertionError(f"Celery workers {names} not ready (exit codes {[p.poll() for p in procs]})\n{logs}")


def _settings(landing: Path, out: Path, parse_workers: int, parse_batches: int = 0):
    from pipelines.settings import PipelineSettings

    return PipelineSettings(landing_dir=str(landing), warehouse_path=str(out / "warehouse.duckdb"), data_dir="",
                            manifest_path="", parse_cache_url="", parse_workers=parse_workers,
                            parse_batches=parse_batches)


def test_parse_step_on_two_celery_workers_gives_the_in_process_warehouse(
        tmp_path, redis_url, dagster_home, celery_workers, monkeypatch):
    from dagster import DagsterInstance

    from demo.generate import generate_corpus
    from pipelines.checksum import marts_checksum
    from pipelines.executors import run_night_on_celery
    from pipelines.orchestration import run_night

    landing = tmp_path / "landing"
    generate_corpus(landing, count=6, seed=3)

    reference = _settings(landing, tmp_path / "in_process", parse_workers=2)
    with DagsterInstance.ephemeral() as instance:
        outcome = run_night(reference, instance, log_level="WARNING")
    assert outcome.success, outcome.errors
    expected = marts_checksum(reference.warehouse)

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
        # "Executing steps <step key> in celery worker", with the worker's name in its metadata
        batch_workers = {
            e.message.split("Executing steps ")[1].split(" in celery worker")[0]:
                e.dagster_event.engine_event_data.metadata["Celery worker"].value.split("@")[0]
            for e in instance.all_logs(run_id)
            if e.dagster_event is not None and "in celery worker" in (e.message or "")
            and "parse_document_batch[" in e.message
        }
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
