"""The worker pools scale on queue length: KEDA ScaledObjects, checked against vendored schemas.

``tests/schemas/`` holds KEDA's ScaledObject CRD and a Kubernetes ``apps/v1`` Deployment
JSON schema (provenance and licenses in its README), so nothing is fetched at test time.
Each manifest is validated with ``jsonschema``, and additionally checked for fields the API
server would silently prune (a CRD schema lists its fields without forbidding others).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bench_common.catalogue import CATALOGUE
from bench_common.queues import FINALIZE_QUEUE

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "schemas"
K8S = ROOT / "deploy" / "kubernetes"
RABBITMQ_OVERLAY = ROOT / "deploy" / "kubernetes-rabbitmq"
QUEUES = CATALOGUE.queues


@cache
def scaledobject_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / "keda-scaledobject-v1alpha1.json").read_text())
    return schema


@cache
def deployment_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / "deployment-apps-v1.json").read_text())
    return schema


def documents(directory: Path = K8S) -> list[dict[str, Any]]:
    found = []
    for path in sorted(directory.glob("*.y*ml")):
        if path.name != "kustomization.yaml":
            found += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def of_kind(kind: str, docs: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in (docs or documents()) if d["kind"] == kind}


def errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Schema violations, then fields the schema does not know (pruned on apply)."""
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
             for e in validator(schema).iter_errors(instance)]  # fmt: skip
    return found + unknown_fields(instance, schema, "", schema)


def unknown_fields(
    instance: Any, schema: dict[str, Any], path: str, root: dict[str, Any]
) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return unknown_fields(instance, root["$defs"][name], path, root)
    found: list[str] = []
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        if not unknown_fields(instance, option, path, root):
            return []
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in instance.items():
            if key in properties:
                found += unknown_fields(value, properties[key], f"{path}/{key}", root)
            elif isinstance(extra, dict):
                found += unknown_fields(value, extra, f"{path}/{key}", root)
            elif properties and extra is not True:
                found.append(f"{path}/{key}: not a field of the schema")
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(instance):
            found += unknown_fields(item, schema["items"], f"{path}/{i}", root)
    return found


# --- the schemas themselves -------------------------------------------------------------------


def test_the_vendored_schemas_are_valid_and_credited() -> None:
    jsonschema.Draft4Validator.check_schema(scaledobject_schema())
    schema = deployment_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    notes = (SCHEMAS / "README.md").read_text()
    assert "Apache License, Version 2.0" in notes
    assert "keda-scaledobject-v1alpha1.json" in notes and "deployment-apps-v1.json" in notes


def test_the_schemas_refuse_what_they_should() -> None:
    good = of_kind("ScaledObject")["worker-finalize"]
    assert errors(good, scaledobject_schema()) == []
    for path, bad_value in ((("spec", "minReplicaCount"), "1"),
                            (("spec", "triggers"), [{"type": "redis", "metadata": {"n": 5}}]),
                            (("spec", "maxReplicas"), 3),
                            (("spec", "scaleTargetRef"), {"kind": "Deployment"})):  # fmt: skip
        broken = copy.deepcopy(good)
        broken[path[0]][path[1]] = bad_value
        assert errors(broken, scaledobject_schema()), f"{path} = {bad_value!r} was accepted"
    deployment = copy.deepcopy(of_kind("Deployment")["worker-ibm"])
    deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [{"configMap": {}}]
    assert errors(deployment, deployment_schema())


# --- the manifests ----------------------------------------------------------------------------


def test_every_manifest_deployment_matches_the_kubernetes_schema() -> None:
    deployments = of_kind("Deployment")
    assert {f"worker-{queue}" for queue in QUEUES} <= set(deployments)
    for name, deployment in deployments.items():
        assert errors(deployment, deployment_schema()) == [], name


def test_each_queue_has_one_scaledobject_on_its_redis_list() -> None:
    scaled = of_kind("ScaledObject")
    assert not of_kind("HorizontalPodAutoscaler"), "KEDA owns the pools' replica counts"
    assert set(scaled) == {f"worker-{queue}" for queue in QUEUES}
    deployments = of_kind("Deployment")
    for queue in QUEUES:
        name = f"worker-{queue}"
        scaledobject = scaled[name]
        assert scaledobject["apiVersion"] == "keda.sh/v1alpha1"
        assert errors(scaledobject, scaledobject_schema()) == [], name
        spec = scaledobject["spec"]
        target = spec["scaleTargetRef"]
        assert (target["name"], target.get("kind", "Deployment")) == (name, "Deployment")
        assert "replicas" not in deployments[name]["spec"], f"{name}: KEDA owns replicas"
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"], name
        [trigger] = spec["triggers"]
        assert trigger["type"] == "redis"
        metadata = trigger["metadata"]
        assert metadata["listName"] == queue
        assert int(metadata["listLength"]) >= 1
        assert metadata["address"].startswith("redis.qcos-bench.svc")
        assert metadata["databaseIndex"] == _broker_database()
    assert scaled[f"worker-{FINALIZE_QUEUE}"]["spec"]["minReplicaCount"] >= 1


def _broker_database() -> str:
    secret = of_kind("Secret")["bench-connections"]["stringData"]["BENCH_BROKER_URL"]
    return str(secret.rsplit("/", 1)[1])


def test_nothing_autoscales_beat_or_the_api_on_queue_length() -> None:
    targets = {s["spec"]["scaleTargetRef"]["name"] for s in of_kind("ScaledObject").values()}
    assert "beat" not in targets and "flower" not in targets and "api" not in targets


# --- the RabbitMQ overlay ---------------------------------------------------------------------


def _apply(document: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON patch operations the overlay uses (replace, add) on ``document``."""
    patched = copy.deepcopy(document)
    for operation in operations:
        assert operation["op"] in ("replace", "add"), operation
        *parents, last = operation["path"].lstrip("/").split("/")
        node = patched
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = operation["value"]
    return patched


def rabbitmq_scaledobjects() -> dict[str, dict[str, Any]]:
    overlay = yaml.safe_load((RABBITMQ_OVERLAY / "kustomization.yaml").read_text())
    assert overlay["resources"] == ["../kubernetes"]
    scaled = of_kind("ScaledObject")
    for patch in overlay["patches"]:
        target = patch["target"]
        assert (target["group"], target["kind"]) == ("keda.sh", "ScaledObject")
        scaled[target["name"]] = _apply(scaled[target["name"]], yaml.safe_load(patch["patch"]))
    return scaled


def test_the_rabbitmq_overlay_scales_each_pool_on_its_queue() -> None:
    deployments = of_kind("Deployment")
    for name, scaledobject in rabbitmq_scaledobjects().items():
        assert errors(scaledobject, scaledobject_schema()) == [], name
        [trigger] = scaledobject["spec"]["triggers"]
        assert trigger["type"] == "rabbitmq", name
        metadata = trigger["metadata"]
        assert f"worker-{metadata['queueName']}" == name
        assert metadata["mode"] == "QueueLength" and int(metadata["value"]) >= 1
        # hostFromEnv names a variable of the pool's own (first) container.
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert metadata["hostFromEnv"] in {item["name"] for item in container["env"]}
        assert scaledobject["spec"]["minReplicaCount"] >= 1


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_renders_the_rabbitmq_overlay_as_expected() -> None:
    rendered = subprocess.run(["kubectl", "kustomize", str(RABBITMQ_OVERLAY)], check=True,
                              capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    scaled = of_kind("ScaledObject", docs)
    expected = rabbitmq_scaledobjects()
    assert set(scaled) == set(expected)
    for name, scaledobject in scaled.items():
        assert scaledobject["metadata"]["namespace"] == "qcos-bench"
        assert scaledobject["spec"]["triggers"] == expected[name]["spec"]["triggers"]
    assert set(of_kind("Deployment", docs)) == set(of_kind("Deployment"))
