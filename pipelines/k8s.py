"""The parse step in Kubernetes Jobs: Dagster's `k8s_job_executor` (dagster-k8s), one Job per step.

Without `FW_K8S_JOB_IMAGE` nothing changes: `defs` is `pipelines.definitions.defs`. With it, the
parse job `parse_documents` runs each of its steps (a run's `parse_batches` batch steps among them)
in a Kubernetes Job of its own. Only parsing moves: `build_warehouse` stays in one pod with the
default executor (DuckDB has one writer), so it is not given this executor.

Environment variables, read where the job is built (code location, run pod; put them in the
ConfigMap too, so that every pod rebuilds the same job):
  FW_K8S_JOB_IMAGE       image of this repository for the step Jobs (required; unset: no k8s executor)
  FW_K8S_ENV_CONFIG_MAP  optional ConfigMap whose keys become the step pods' environment: the FW_*
                         settings (FW_DATA_DIR, FW_PARSE_CACHE_URL=s3://..., FW_PARSE_WORKERS, ...)
  FW_K8S_ENV_SECRET      optional Secret, also the step pods' environment (e.g. AWS keys for s3fs)
  FW_K8S_DATA_CLAIM      optional PersistentVolumeClaim of the ReadWriteMany data volume (archive,
                         steps/ hand-over files), mounted read-write at FW_DATA_DIR, which it then
                         requires (absolute); unset: the volume must come from the run launcher
  FW_K8S_MAX_CONCURRENT  step pods at once per run (default 8)
  FW_K8S_CPU             CPU request of a step pod (default "2")
  FW_K8S_MEMORY_REQUEST  memory request of a step pod (default "3Gi")
  FW_K8S_MEMORY_LIMIT    memory limit of a step pod (default "5Gi"); must be above the parser's
                         per-process limit (ingest.workers.WORKER_MEMORY_BYTES) times the parser
                         processes of a step (FW_PARSE_WORKERS, 0 = one under this executor)

What is checked here stops where a cluster would be needed (tests/test_k8s_executor.py builds the
step Job's manifest, never a Job): docs/scale-out.md.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from dagster import Definitions, ExecutorDefinition, JobDefinition

from ingest.workers import WORKER_MEMORY_BYTES
from pipelines.executors import PARSE_JOB_NAME, build_engine_definitions

IMAGE_ENV = "FW_K8S_JOB_IMAGE"
DATA_VOLUME = "data"


def _quantity(env: Mapping[str, str], name: str, default: str):
    """A Kubernetes quantity ("5Gi", "2", "500m") from the environment, as a number to compare."""
    from kubernetes.utils import parse_quantity

    value = env.get(name, "").strip() or default
    try:
        return value, parse_quantity(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a Kubernetes quantity (e.g. {default!r})") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name}={value!r} must be a whole number ({default} if unset)")
    return int(value)


def parser_processes(env: Mapping[str, str]) -> int:
    """Parser processes of one step pod: FW_PARSE_WORKERS, else one (pipelines.assets.parse:
    `executor_kind` counts the `k8s` executor as multiprocess, and `workers_per_step` gives such a
    step one process)."""
    from pipelines.assets.parse import workers_per_step

    return workers_per_step("multiprocess", _int(env, "FW_PARSE_WORKERS", 0), 1)


def k8s_config(env: Mapping[str, str] = os.environ) -> dict:
    """The `k8s_job_executor` config the FW_K8S_* variables describe (keys checked against
    dagster_k8s 0.29.27: executor.py, job.py). Refuses, in one line, a claim without FW_DATA_DIR and
    a memory limit a step's parser processes could outgrow: the pod would be killed mid-batch
    (OOMKilled) instead of the one oversized document being quarantined."""
    image = env.get(IMAGE_ENV, "").strip()
    if not image:
        raise ValueError(f"{IMAGE_ENV} is not set (the image of this repository, e.g. registry/fiscal-warehouse:<sha>)")
    cpu, _ = _quantity(env, "FW_K8S_CPU", "2")
    request, request_bytes = _quantity(env, "FW_K8S_MEMORY_REQUEST", "3Gi")
    limit, limit_bytes = _quantity(env, "FW_K8S_MEMORY_LIMIT", "5Gi")
    workers = parser_processes(env)
    needed = WORKER_MEMORY_BYTES * workers
    if limit_bytes <= needed:
        raise ValueError(f"FW_K8S_MEMORY_LIMIT={limit} ({limit_bytes / 2**30:.2f} GiB) must be above "
                         f"{workers} parser process(es) x {WORKER_MEMORY_BYTES // 2**30} GiB per document = "
                         f"{needed / 2**30:.0f} GiB: raise it or lower FW_PARSE_WORKERS")
    if request_bytes > limit_bytes:
        raise ValueError(f"FW_K8S_MEMORY_REQUEST={request} is above FW_K8S_MEMORY_LIMIT={limit} (Kubernetes refuses the pod)")
    config: dict = {
        "job_image": image,
        "max_concurrent": _int(env, "FW_K8S_MAX_CONCURRENT", 8),
        "step_k8s_config": {"container_config": {"resources": {
            "requests": {"cpu": cpu, "memory": request}, "limits": {"memory": limit}}}},
    }
    if config_map := env.get("FW_K8S_ENV_CONFIG_MAP", "").strip():
        config["env_config_maps"] = [config_map]
    if secret := env.get("FW_K8S_ENV_SECRET", "").strip():
        config["env_secrets"] = [secret]
    if claim := env.get("FW_K8S_DATA_CLAIM", "").strip():
        data_dir = env.get("FW_DATA_DIR", "").strip()
        if not data_dir.startswith("/"):
            raise ValueError(f"FW_K8S_DATA_CLAIM={claim} needs FW_DATA_DIR set to the absolute path to mount it at "
                             f"(e.g. /mnt/fiscal/data), got {data_dir!r}")
        config["volume_mounts"] = [{"name": DATA_VOLUME, "mount_path": data_dir}]
        config["volumes"] = [{"name": DATA_VOLUME, "persistent_volume_claim": {"claim_name": claim}}]
    return config


def k8s_parse_executor(env: Mapping[str, str] = os.environ) -> ExecutorDefinition | None:
    """`k8s_job_executor` configured from the environment, or None when FW_K8S_JOB_IMAGE is unset."""
    if not env.get(IMAGE_ENV, "").strip():
        return None
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor.configured(k8s_config(env), name="k8s")


def k8s_definitions(env: Mapping[str, str] = os.environ) -> Definitions:
    """The project's Definitions with the parse job on the k8s executor; without FW_K8S_JOB_IMAGE
    the plain ones (`pipelines.definitions.defs` itself, not a copy)."""
    executor_def = k8s_parse_executor(env)
    if executor_def is None:
        from pipelines.definitions import defs as plain

        return plain
    return build_engine_definitions(executor_def=executor_def)


def k8s_parse_job() -> JobDefinition:
    """The parse job on the k8s executor, rebuilt by name (`reconstructable(k8s_parse_job)`)."""
    executor_def = k8s_parse_executor()
    if executor_def is None:
        raise RuntimeError(f"{IMAGE_ENV} is not set (the image of this repository for the step Jobs)")
    return build_engine_definitions(executor_def=executor_def).resolve_job_def(PARSE_JOB_NAME)


defs = k8s_definitions()  # `dagster dev -m pipelines.k8s`
