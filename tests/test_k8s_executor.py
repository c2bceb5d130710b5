"""The parse step on Dagster's `k8s_job_executor` (pipelines/k8s.py), up to the cluster boundary.

There is no Kubernetes cluster here: the test resolves the job's executor config as a run would
(`ResolvedRunConfig`), starts the real executor on an instance whose run launcher is a real
`K8sRunLauncher` (a kubeconfig naming an unreachable server: loading it contacts nothing), and
builds the step Job's manifest the way `K8sStepHandler.launch_step` does, stopping before
`create_namespaced_job`. Whether a cluster accepts and runs that Job is not shown.
"""
from __future__ import annotations

import importlib

import pytest
import yaml
from dagster import DagsterRun, instance_for_test, reconstructable
from dagster._core.executor.init import InitExecutorContext
from dagster._core.system_config.objects import ResolvedRunConfig
from dagster_k8s import K8sRunLauncher
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import construct_dagster_k8s_job

import pipelines.definitions
import pipelines.k8s
from pipelines.k8s import k8s_definitions, k8s_parse_executor, k8s_parse_job

ENV = {
    "FW_K8S_JOB_IMAGE": "registry.example/fiscal-warehouse:0123abc",
    "FW_K8S_ENV_CONFIG_MAP": "fiscal-warehouse-env",
    "FW_K8S_ENV_SECRET": "fiscal-warehouse-s3",
    "FW_K8S_DATA_CLAIM": "fiscal-data",
    "FW_DATA_DIR": "/mnt/fiscal/data",
    "FW_K8S_MAX_CONCURRENT": "5",
    "FW_K8S_CPU": "1500m",
    "FW_K8S_MEMORY_REQUEST": "2500Mi",
    "FW_K8S_MEMORY_LIMIT": "4500Mi",
}


def test_without_an_image_nothing_changes(monkeypatch):
    assert k8s_parse_executor({}) is None
    assert k8s_parse_executor({"FW_K8S_JOB_IMAGE": "  "}) is None
    assert k8s_definitions({"FW_K8S_DATA_CLAIM": "fiscal-data"}) is pipelines.definitions.defs
    monkeypatch.delenv("FW_K8S_JOB_IMAGE", raising=False)
    assert importlib.reload(pipelines.k8s).defs is pipelines.definitions.defs
    plain = pipelines.definitions.defs.resolve_job_def("parse_documents")
    assert plain.executor_def.name != "k8s"


@pytest.fixture
def k8s_instance(tmp_path):
    """A Dagster instance with the Helm chart's run launcher, `K8sRunLauncher`, out of cluster."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
        "users": [{"name": "none", "user": {"token": "not-a-token"}}],
    }), encoding="utf-8")
    launcher = {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": {
        "service_account_name": "dagster", "instance_config_map": "dagster-instance",
        "dagster_home": "/opt/dagster/dagster_home", "job_namespace": "fiscal",
        "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)}}
    with instance_for_test(overrides={"run_launcher": launcher}) as instance:
        yield instance


def test_the_parse_steps_job_has_image_volume_environment_and_resources(k8s_instance, monkeypatch):
    for name, value in ENV.items():  # as in the run pod: k8s_parse_job reads them when rebuilt by name
        monkeypatch.setenv(name, value)
    recon = reconstructable(k8s_parse_job)
    job = recon.get_definition()
    assert job.executor_def.name == "k8s"
    assert k8s_definitions(ENV).resolve_job_def("build_warehouse").executor_def.name != "k8s"
    # the config a run hands the executor: ours, validated against k8s_job_executor's schema
    config = ResolvedRunConfig.build(job, {}).execution.execution_engine_config
    assert config["job_image"] == ENV["FW_K8S_JOB_IMAGE"]
    assert config["max_concurrent"] == 5

    launcher = k8s_instance.run_launcher
    assert isinstance(launcher, K8sRunLauncher)
    executor = job.executor_def.executor_creation_fn(
        InitExecutorContext(job=recon, executor_def=job.executor_def, executor_config=config, instance=k8s_instance))
    assert executor._max_concurrent == 5
    handler = executor._step_handler
    # K8sStepHandler._get_container_context and launch_step, for one batch step without tags
    run = DagsterRun(job_name=job.name, run_id="0f3c5b6e-1d2a-4c8b-9e7f-a1b2c3d4e5f6")
    context = K8sContainerContext.create_for_run(run, launcher, include_run_tags=False).merge(
        handler._executor_container_context)
    k8s_job = construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(handler._executor_image, launcher),
        args=["dagster", "api", "execute_step"], job_name="dagster-step-0123", pod_name="dagster-step-0123",
        component="step_worker", user_defined_k8s_config=context.run_k8s_config,
        env_vars=[{"name": "DAGSTER_RUN_STEP_KEY", "value": "parsed_document.parse_document_batch[batch_0]"}])
    assert context.namespace == "fiscal"

    pod = k8s_job.spec.template.spec
    (container,) = pod.containers
    assert container.image == ENV["FW_K8S_JOB_IMAGE"]
    assert container.args == ["dagster", "api", "execute_step"]
    assert [(m.name, m.mount_path, m.read_only) for m in container.volume_mounts] == [("data", "/mnt/fiscal/data", None)]
    assert [(v.name, v.persistent_volume_claim.claim_name, v.persistent_volume_claim.read_only)
            for v in pod.volumes] == [("data", "fiscal-data", None)]
    assert [e.config_map_ref.name for e in container.env_from if e.config_map_ref] == ["fiscal-warehouse-env"]
    assert [e.secret_ref.name for e in container.env_from if e.secret_ref] == ["fiscal-warehouse-s3"]
    assert container.resources.requests == {"cpu": "1500m", "memory": "2500Mi"}
    assert container.resources.limits == {"memory": "4500Mi"}
    assert {e.name: e.value for e in container.env}["DAGSTER_HOME"] == "/opt/dagster/dagster_home"
    assert pod.service_account_name == "dagster" and pod.restart_policy == "Never"


def test_defaults_and_no_claim():
    env = {"FW_K8S_JOB_IMAGE": "registry.example/fiscal-warehouse:0123abc"}
    config = ResolvedRunConfig.build(k8s_definitions(env).resolve_job_def("parse_documents"), {}) \
        .execution.execution_engine_config
    assert config["max_concurrent"] == 8
    assert config["step_k8s_config"]["container_config"]["resources"] == {
        "requests": {"cpu": "2", "memory": "3Gi"}, "limits": {"memory": "5Gi"}}
    assert config["volumes"] == [] and config["volume_mounts"] == []  # left to the run launcher
    assert not config.get("env_config_maps") and not config.get("env_secrets")


@pytest.mark.parametrize("data_dir", [None, "", "data"])
def test_a_claim_needs_an_absolute_data_dir(data_dir):
    env = {"FW_K8S_JOB_IMAGE": "img", "FW_K8S_DATA_CLAIM": "fiscal-data"}
    if data_dir is not None:
        env["FW_DATA_DIR"] = data_dir
    with pytest.raises(ValueError, match=r"FW_K8S_DATA_CLAIM=fiscal-data needs FW_DATA_DIR") as err:
        k8s_parse_executor(env)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("limit", "workers", "needed"), [
    ("4Gi", "2", "4 GiB"),      # exactly the parsers' limits: nothing left for the step process
    ("3Gi", "2", "4 GiB"),
    ("1536Mi", "0", "2 GiB"),   # 0 = one parser process per step under this executor
    ("5Gi", "3", "6 GiB"),      # the default limit, three parser processes
])
def test_a_memory_limit_the_parsers_could_outgrow_is_refused(limit, workers, needed):
    env = {"FW_K8S_JOB_IMAGE": "img", "FW_K8S_MEMORY_LIMIT": limit, "FW_PARSE_WORKERS": workers,
           "FW_K8S_MEMORY_REQUEST": "1Gi"}
    with pytest.raises(ValueError) as err:
        k8s_parse_executor(env)
    message = str(err.value)
    assert f"FW_K8S_MEMORY_LIMIT={limit}" in message and f"= {needed}" in message and "\n" not in message


def test_a_memory_limit_above_the_parsers_is_accepted():
    env = {"FW_K8S_JOB_IMAGE": "img", "FW_K8S_MEMORY_LIMIT": "4608Mi", "FW_PARSE_WORKERS": "2"}
    assert k8s_parse_executor(env).name == "k8s"


@pytest.mark.parametrize(("name", "value", "match"), [
    ("FW_K8S_MEMORY_LIMIT", "5 GB", "not a Kubernetes quantity"),
    ("FW_K8S_MAX_CONCURRENT", "eight", "must be a whole number"),
    ("FW_K8S_MEMORY_REQUEST", "6Gi", "is above FW_K8S_MEMORY_LIMIT"),
])
def test_malformed_settings_are_refused_in_one_line(name, value, match):
    with pytest.raises(ValueError, match=match):
        k8s_parse_executor({"FW_K8S_JOB_IMAGE": "img", name: value})
