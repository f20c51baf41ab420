"""The Dockerfile, the Helm values, workspace.yaml and deploy/dagster.yaml agree with each other.

No container runtime or cluster is available to the tests: what is checked is what can be read
(see docs/deployment.md for what is not tested here).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib

import dagster as dg
import yaml

from probation_pipeline_tests.shipped import REPO

VALUES = yaml.safe_load((REPO / "deploy" / "helm" / "values.yaml").read_text())
INSTANCE = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
WORKSPACE = yaml.safe_load((REPO / "workspace.yaml").read_text())
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def option(args: list[str], *names: str) -> str:
    for index, arg in enumerate(args):
        if arg in names:
            return args[index + 1]
    raise AssertionError(f"none of {names} in {args}")


def the_deployment() -> dict:
    (deployment,) = VALUES["dagster-user-deployments"]["deployments"]
    return deployment


def test_image_command_chart_arguments_and_workspace_load_the_same_module():
    instructions = dockerfile_instructions()
    assert "ENTRYPOINT" not in {k for k, _ in instructions}, (
        "the chart passes `dagster code-server start ...` as container args; an ENTRYPOINT "
        "would be prepended to them"
    )
    (cmd,) = [json.loads(rest) for keyword, rest in instructions if keyword == "CMD"]
    assert cmd[:3] == ["dagster", "code-server", "start"]
    deployment = the_deployment()
    chart_args = deployment["codeServerArgs"]
    (location,) = WORKSPACE["load_from"]
    module = location["python_module"]["module_name"]
    assert option(cmd, "--module-name", "-m") == module
    assert option(chart_args, "--module-name", "-m") == module
    assert PYPROJECT["tool"]["dagster"]["module_name"] == module
    assert option(cmd, "-p", "--port") == str(deployment["port"])
    (workdir,) = [rest for keyword, rest in instructions if keyword == "WORKDIR"]
    assert option(cmd, "--working-directory", "-d") == workdir
    assert option(chart_args, "--working-directory", "-d") == workdir
    loaded = dg.Definitions.merge(__import__(module, fromlist=["defs"]).defs)
    assert loaded.resolve_job_def("area_job") is not None


def test_the_image_installs_the_deployment_extras_and_ships_what_it_copies():
    instructions = dockerfile_instructions()
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    extras = re.search(r"pip install '\.\[([a-z0-9,]+)\]'", runs)
    assert extras, runs
    optional = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras.group(1).split(",")) == {"deploy", "k8s"} <= set(optional)
    for keyword, rest in instructions:
        if keyword == "COPY":
            *sources, _ = shlex.split(rest)
            for source in sources:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert f"DAGSTER_HOME={VALUES['global']['dagsterHome']}" in env


def test_integration_pins_are_the_releases_of_the_pinned_dagster():
    pins = {}
    for requirement in [
        *PYPROJECT["project"]["dependencies"],
        *(r for extra in PYPROJECT["project"]["optional-dependencies"].values() for r in extra),
    ]:
        if "==" in requirement:
            name, version = requirement.split("==")
            pins[name.strip()] = version.strip()
    major, minor, patch = pins["dagster"].split(".")
    library = f"0.{int(minor) + 16}.{patch}"  # dagster 1.x.y ships its libraries as 0.(x+16).y
    assert pins["dagster-postgres"] == library
    assert pins["dagster-k8s"] == library
    assert major == "1"


def test_the_chart_runs_each_run_in_a_kubernetes_job_with_storage_from_secrets():
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = VALUES["runLauncher"]["config"]["k8sRunLauncher"]
    deployment = the_deployment()
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    for holder in (launcher, deployment):
        assert {"name": "probation-object-store"} in holder["envSecrets"]
        assert {"name": "probation-storage"} in holder["envConfigMaps"]
    postgres = VALUES["postgresql"]
    assert postgres["enabled"] is False and "postgresqlPassword" not in postgres
    assert VALUES["generatePostgresqlPasswordSecret"] is False
    assert VALUES["global"]["postgresqlSecretName"]
    text = (REPO / "deploy" / "helm" / "values.yaml").read_text()
    assert not re.search(r"AWS_SECRET_ACCESS_KEY\s*:", text)
    assert not re.search(r"(?i)password\s*:\s*\S", text)


def test_the_chart_queue_and_retries_match_deploy_dagster_yaml():
    runs, pools = INSTANCE["concurrency"]["runs"], INSTANCE["concurrency"]["pools"]
    chart = VALUES["concurrency"]
    assert chart["enabled"] is True
    assert chart["runs"]["maxConcurrentRuns"] == runs["max_concurrent_runs"]
    assert chart["runs"]["tagConcurrencyLimits"] == runs["tag_concurrency_limits"]
    assert chart["pools"] == {"defaultLimit": pools["default_limit"], "granularity": "run"}
    daemon = VALUES["dagsterDaemon"]
    assert daemon["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert INSTANCE["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert daemon["runMonitoring"]["enabled"] and INSTANCE["run_monitoring"]["enabled"]
    retries = INSTANCE["run_retries"]
    assert daemon["runRetries"] == {
        "enabled": retries["enabled"],
        "maxRetries": retries["max_retries"],
        "retryOnAssetOrOpFailure": retries["retry_on_asset_or_op_failure"],
    }


def test_deploy_dagster_yaml_reads_postgres_only_from_the_environment():
    database = INSTANCE["storage"]["postgres"]["postgres_db"]
    assert database == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }
