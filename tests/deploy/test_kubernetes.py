"""deploy/kubernetes: every manifest loads and says what the layout needs, and each
command it runs parses with twinsight's own command line."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from twinsight.cli.app import app
from twinsight.cli.options import parse_duration
from twinsight.config import load_config

LAYOUT = Path(__file__).parents[2] / "deploy" / "kubernetes"
SECRET_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TWINSIGHT_REDACTION_KEY"}
KINDS = {
    "Namespace": "v1",
    "Deployment": "apps/v1",
    "Service": "v1",
    "VirtualService": "networking.istio.io/v1",
    "DaskCluster": "kubernetes.dask.org/v1",
    "PersistentVolumeClaim": "v1",
    "CronJob": "batch/v1",
}


def kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((LAYOUT / "kustomization.yaml").read_text())
    return loaded


def manifests() -> list[dict[str, Any]]:
    """Every resource the kustomization lists, in its order."""
    found = []
    for name in kustomization()["resources"]:
        found.extend(d for d in yaml.safe_load_all((LAYOUT / name).read_text()) if d)
    return found


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    chosen = [m for m in manifests() if m["kind"] == kind and name in (None, m["metadata"]["name"])]
    assert len(chosen) == 1, (kind, name, len(chosen))
    return chosen[0]


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, pod spec) of every pod template in the layout."""
    for manifest in manifests():
        kind, spec = manifest["kind"], manifest.get("spec", {})
        if kind == "Deployment":
            yield kind, spec["template"]["spec"]
        elif kind == "CronJob":
            yield kind, spec["jobTemplate"]["spec"]["template"]["spec"]
        elif kind == "DaskCluster":
            yield "DaskCluster worker", spec["worker"]["spec"]
            yield "DaskCluster scheduler", spec["scheduler"]["spec"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def parsed(args: list[str]) -> dict[str, Any]:
    """The options twinsight's command line makes of `args` (parsed, never run)."""
    command: Any = typer.main.get_command(app)
    words = list(args)
    while words and words[0] in getattr(command, "commands", {}):
        command = command.commands[words[0]]
        words = words[1:]
    assert not hasattr(command, "commands"), f"no command in {args}"
    context = command.make_context("twinsight", words)
    return dict(context.params)


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_the_kustomization_lists_every_manifest_and_each_is_of_a_known_kind() -> None:
    listed = set(kustomization()["resources"])
    on_disk = {p.name for p in LAYOUT.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    for manifest in manifests():
        assert KINDS[manifest["kind"]] == manifest["apiVersion"], manifest["metadata"]
    assert {m["kind"] for m in manifests()} == set(KINDS)
    for generator in kustomization()["configMapGenerator"]:
        for file in generator.get("files", []):
            assert (LAYOUT / file).is_file(), file


def test_the_config_file_it_mounts_is_one_twinsight_loads(tmp_path: Path) -> None:
    text = (LAYOUT / "twinsight.toml").read_text()
    tomllib.loads(text)
    (tmp_path / "twinsight.toml").write_text(text)
    settings = load_config(tmp_path / "twinsight.toml")
    assert settings.capture.mirror_writes is False


def test_the_mirror_goes_to_the_sink_service_on_its_port() -> None:
    route = one("VirtualService")["spec"]["http"][0]
    service = one("Service", "twinsight-sink")
    namespace = kustomization()["namespace"]
    assert route["mirror"]["host"] == f"twinsight-sink.{namespace}.svc.cluster.local"
    ports = {p["port"]: p for p in service["spec"]["ports"]}
    mirrored = ports[route["mirror"]["port"]["number"]]
    assert mirrored["name"].startswith("http")  # Istio reads the protocol from the name
    assert 0 < route["mirrorPercentage"]["value"] <= 100
    assert route["route"][0]["destination"]["host"] in one("VirtualService")["spec"]["hosts"]


def test_service_deployment_and_probes_agree_on_ports() -> None:
    deployment, service = one("Deployment", "twinsight-sink"), one("Service", "twinsight-sink")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert deployment["spec"]["replicas"] >= 2
    (sink,) = pod["spec"]["containers"]
    named = {p["name"]: p["containerPort"] for p in sink["ports"]}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in named, port
    options = parsed(sink["args"])
    assert port_of(options["listen"]) == named["mirror"]
    assert port_of(options["admin"]) == named["admin"]
    by_port = {p["targetPort"]: p["port"] for p in service["spec"]["ports"]}
    assert by_port["mirror"] == named["mirror"]
    assert sink["readinessProbe"]["httpGet"] == {"path": "/health", "port": "admin"}
    assert sink["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "admin"}
    assert sink["resources"]["requests"].keys() >= {"cpu", "memory"}
    annotations = pod["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == named["admin"]


def test_the_sink_writes_segments_to_the_bucket_the_cronjob_reads() -> None:
    (sink,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    written = parsed(sink["args"])["segments"]
    assert str(written).startswith("s3:/")
    pod = one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    steps = [c["args"][0] for c in containers(pod)]
    assert steps == ["analyze", "report", "ready"]
    for step in containers(pod):
        assert parsed(step["args"])["segments"] == written, step["name"]
        mounts = {m["mountPath"] for m in step["volumeMounts"]}
        cache = {e["name"]: e.get("value") for e in step["env"]}["XDG_CACHE_HOME"]
        assert cache in mounts  # the local copy of the segments, shared by the steps


def test_every_command_the_layout_runs_parses(tmp_path: Path) -> None:
    for where, pod in pod_specs():
        for container in containers(pod):
            if where.startswith("DaskCluster"):
                assert container["command"][0] in {"dask-worker", "dask-scheduler"}
                continue
            options = parsed(container["args"])
            assert options["config"] == Path("/etc/twinsight/twinsight.toml"), where
    with pytest.raises(Exception, match="No such option"):
        parsed(["ready", "--segments", "s3://b/p", "--no-such-option"])  # the check can fail


def test_the_cronjob_analyses_on_the_dask_scheduler() -> None:
    cluster = one("DaskCluster")
    service = cluster["spec"]["scheduler"]["service"]
    assert service["selector"]["dask.org/cluster-name"] == cluster["metadata"]["name"]
    comm = next(p for p in service["ports"] if p["name"] == "tcp-comm")
    address = f"tcp://{cluster['metadata']['name']}-scheduler:{comm['port']}"
    pod = one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    analyze = next(c for c in containers(pod) if c["args"][0] == "analyze")
    assert parsed(analyze["args"])["dask"] == address
    # A duration analyze reads (the parser above takes any text for it).
    assert parse_duration("--dask-wait", parsed(analyze["args"])["dask_wait"]) > 0
    schedule = one("CronJob")["spec"]
    assert schedule["concurrencyPolicy"] == "Forbid"
    assert schedule["jobTemplate"]["spec"]["backoffLimit"] == 0


def test_secrets_are_referenced_never_inlined() -> None:
    assert all(m["kind"] != "Secret" for m in manifests())
    seen = set()
    for where, pod in pod_specs():
        for container in containers(pod):
            for variable in container.get("env", []):
                if variable["name"] in SECRET_VARIABLES:
                    assert "value" not in variable, (where, variable["name"])
                    assert variable["valueFrom"]["secretKeyRef"]["name"], where
                    seen.add(variable["name"])
    assert seen == SECRET_VARIABLES
    for generator in kustomization()["configMapGenerator"]:
        for literal in generator.get("literals", []):
            assert literal.split("=", 1)[0] not in SECRET_VARIABLES, literal


def test_images_are_pinned_and_the_dockerfile_names_a_tagged_base() -> None:
    for where, pod in pod_specs():
        for container in containers(pod):
            image = container["image"]
            name, _, tag = image.rpartition(":")
            assert name, (where, image)  # a tag given: none means latest
            assert tag not in ("", "latest"), (where, image)
            assert "/" not in tag, (where, image)  # a registry's port is no tag
    for image in kustomization()["images"]:
        assert image["newTag"] not in ("", "latest")
    base = re.search(r"^FROM (\S+)", (LAYOUT / "Dockerfile").read_text(), re.MULTILINE)
    assert base is not None
    assert ":" in base[1]
    assert not base[1].endswith(":latest")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_layout() -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(LAYOUT)], capture_output=True, text=True, timeout=60
    )
    assert built.returncode == 0, built.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(built.stdout) if d]
    assert sorted(kinds) == sorted(["ConfigMap", "ConfigMap", *[m["kind"] for m in manifests()]])
    assert all(
        d["metadata"].get("namespace") == "twinsight"
        for d in yaml.safe_load_all(built.stdout)
        if d and d["kind"] != "Namespace"
    )
