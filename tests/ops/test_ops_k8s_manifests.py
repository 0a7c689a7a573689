"""The Kubernetes manifests, validated offline.

The base and the production overlay are rendered by the real kustomize (pinned, built by
``qsmo_stack.ensure_kustomize``). Every built-in object is validated strictly (unknown fields
are errors) against the Kubernetes JSON schemas shipped in the ``kubernetes-validate`` package,
for the oldest and newest Kubernetes versions we support. Strimzi's ``KafkaTopic`` has no
schema there, so ``kafka_topic_problems`` checks the fields we use against the CRD's rules.
Then the platform's own rules: settings names and values match the code's settings classes,
probes, resources, PDBs, HPAs never above the partitions, secrets mounted where the code reads.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from ops_support import REPO

from gateway.settings import GatewaySettings
from services.ingest.settings import IngestSettings
from services.measures.settings import MeasuresSettings
from services.notifications.settings import NotificationsSettings
from services.scorecard.settings import ScorecardSettings
from shared import topics
from shared.api_keys import generate_development_keys, parse_api_key_file
from shared.catalog import load_catalog
from shared.settings import PlatformSettings, ServiceSettings

K8S = REPO / "deploy" / "k8s"
SECRETS = K8S / "overlays" / "production" / "secrets"
K8S_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
SETTINGS: dict[str, type[ServiceSettings]] = {
    "ingest": IngestSettings,
    "measures": MeasuresSettings,
    "scorecard": ScorecardSettings,
    "notifications": NotificationsSettings,
    "gateway": GatewaySettings,
}
KEY_FILE_READERS = {"ingest", "gateway"}
STORE_USERS = {"ingest", "measures", "scorecard", "notifications", "gateway"}
STORE_SECRET = {"ingest": "qsmo-store-ingest"}
"""The Secret holding each store user's QSMO_MONGO_URL (default: qsmo-store)."""
Objects = list[dict[str, Any]]


def _build(kustomize: str, directory: Path) -> Objects:
    result = subprocess.run(
        [kustomize, "build", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered(kustomize: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Objects]:
    """Base and production overlay, the overlay with freshly generated secret files (as a
    deployment pipeline would write them; the repository holds only examples)."""
    work = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, work)
    secrets = work / "overlays" / "production" / "secrets"
    _plaintext, key_file = generate_development_keys(list(load_catalog().qsmo_ids))
    (secrets / "api-keys.hashed.json").write_text(key_file.model_dump_json())
    (secrets / "store.env").write_text("QSMO_MONGO_URL=mongodb://qsmo:s3cret@qsmo-mongodb:27017/\n")
    (secrets / "store-ingest.env").write_text(
        "QSMO_MONGO_URL=mongodb://qsmo-ingest:r3ad@qsmo-mongodb:27017/\n"
    )
    return {
        "base": _build(kustomize, work / "base"),
        "production": _build(kustomize, work / "overlays" / "production"),
    }


def _of(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _base_name(generated: str) -> str:
    """The name before kustomize's content-hash suffix (``qsmo-store-8gf2t7k26c``)."""
    return re.sub(r"-[a-z0-9]{10}$", "", generated)


def _environment(objects: Objects, deployment: dict[str, Any]) -> dict[str, str]:
    config_maps, secrets = _of(objects, "ConfigMap"), _of(objects, "Secret")
    env: dict[str, str] = {}
    for source in _container(deployment).get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]]["data"])
        else:
            data = secrets[source["secretRef"]["name"]]["data"]
            env.update({k: base64.b64decode(v).decode() for k, v in data.items()})
    env.update({item["name"]: item["value"] for item in _container(deployment).get("env", [])})
    return env


def _quantity(text: str | int) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi)?", str(text))
    assert match, f"unexpected quantity {text!r}"
    return float(match.group(1)) * units.get(match.group(2) or "", 1)


def kafka_topic_problems(topic: dict[str, Any]) -> list[str]:
    """What is wrong with a KafkaTopic, by the rules of Strimzi's v1beta2 CRD for the fields
    we use (no schema for it ships in a package we can install)."""
    problems = []
    if set(topic) - {"apiVersion", "kind", "metadata", "spec"}:
        problems.append(
            f"unknown top-level fields {set(topic) - {'apiVersion', 'kind', 'metadata', 'spec'}}"
        )
    if topic.get("apiVersion") != "kafka.strimzi.io/v1beta2":
        problems.append(f"apiVersion {topic.get('apiVersion')!r}")
    metadata, spec = topic.get("metadata", {}), topic.get("spec", {})
    name = metadata.get("name", "")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", name):
        problems.append(f"metadata.name {name!r} is not a DNS-1123 subdomain")
    labels = metadata.get("labels", {})
    if not isinstance(labels.get("strimzi.io/cluster"), str):
        problems.append("no strimzi.io/cluster label: no Topic Operator would manage it")
    if set(spec) - {"partitions", "replicas", "config", "topicName"}:
        problems.append(
            f"unknown spec fields {set(spec) - {'partitions', 'replicas', 'config', 'topicName'}}"
        )
    for field, top in (("partitions", None), ("replicas", 32767)):
        value = spec.get(field)
        if type(value) is not int or value < 1 or (top and value > top):
            problems.append(f"spec.{field} {value!r} must be an integer in 1..{top or 'n'}")
    if not re.fullmatch(r"[a-zA-Z0-9._-]{1,249}", str(spec.get("topicName", name))):
        problems.append(f"spec.topicName {spec.get('topicName')!r} is not a legal Kafka topic name")
    config = spec.get("config", {})
    if not isinstance(config, dict) or not all(isinstance(v, str) for v in config.values()):
        problems.append("spec.config must map names to strings")
    return problems


# --------------------------------------------------------------- schema validation


@pytest.mark.parametrize("layer", ["base", "production"])
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_objects_validate_strictly_against_the_kubernetes_schemas(
    rendered: dict[str, Objects], layer: str, version: str
) -> None:
    for obj in rendered[layer]:
        label = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] == "KafkaTopic":
            assert kafka_topic_problems(obj) == [], label
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{label} on Kubernetes {version}: {error.message} at {list(error.path)}")


def test_the_validators_catch_mistakes(rendered: dict[str, Objects]) -> None:
    deployment = _of(rendered["production"], "Deployment")["ingest"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    _container(broken)["readinesProbe"] = _container(broken).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[0], strict=True)
    topic = next(iter(_of(rendered["production"], "KafkaTopic").values()))
    bad_topic = {**topic, "spec": {**topic["spec"], "replicas": "3", "partition": 6}}
    assert len(kafka_topic_problems(bad_topic)) == 2


# --------------------------------------------------------------- the platform's rules


@pytest.mark.parametrize("layer", ["base", "production"])
def test_topics_are_the_platforms_with_replication_3_and_min_isr_2(
    rendered: dict[str, Objects], layer: str
) -> None:
    kafka_topics = list(_of(rendered[layer], "KafkaTopic").values())
    assert sorted(t["spec"]["topicName"] for t in kafka_topics) == sorted(topics.ALL_TOPICS)
    for topic in kafka_topics:
        assert topic["metadata"]["namespace"] == "kafka"
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "qsmo-kafka"
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == "2"


def test_every_application_object_lives_in_the_qsmo_namespace(rendered: dict[str, Objects]) -> None:
    for obj in rendered["production"]:
        if obj["kind"] != "KafkaTopic":
            assert obj["metadata"]["namespace"] == "qsmo", obj["metadata"]["name"]


@pytest.mark.parametrize("layer", ["base", "production"])
def test_consumer_autoscaling_never_exceeds_the_partitions(
    rendered: dict[str, Objects], layer: str
) -> None:
    objects = rendered[layer]
    partitions = {
        t["spec"]["topicName"]: t["spec"]["partitions"] for t in _of(objects, "KafkaTopic").values()
    }
    hpas = _of(objects, "HorizontalPodAutoscaler")
    assert set(hpas) == {"measures", "scorecard"}
    deployments = _of(objects, "Deployment")
    consumed = {
        "measures": MeasuresSettings().events_topic,
        "scorecard": ScorecardSettings().values_topic,
    }
    for name, hpa in hpas.items():
        spec = hpa["spec"]
        assert spec["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert 2 <= spec["minReplicas"] <= spec["maxReplicas"] <= partitions[consumed[name]], name
        assert "replicas" not in deployments[name]["spec"], f"{name}: the HPA owns replicas"


def test_notifications_runs_exactly_one_instance(rendered: dict[str, Objects]) -> None:
    deployment = _of(rendered["production"], "Deployment")["notifications"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_deployment_probes_resources_service_and_pdb(
    rendered: dict[str, Objects], name: str
) -> None:
    objects = rendered["production"]
    deployment = _of(objects, "Deployment")[name]
    container = _container(deployment)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert [p["name"] for p in container["ports"]] == ["http"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    resources = container["resources"]
    for what in ("cpu", "memory"):
        assert _quantity(resources["requests"][what]) <= _quantity(resources["limits"][what]), what
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    image = container["image"]
    assert re.fullmatch(r"[a-z0-9./-]+:[0-9][A-Za-z0-9.-]*", image), f"{image}: pin a version tag"
    service = _of(objects, "Service")[name]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (container["ports"][0]["containerPort"], "http")
    budgets = [
        pdb
        for pdb in _of(objects, "PodDisruptionBudget").values()
        if pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ]
    assert len(budgets) == 1, f"{name}: one PodDisruptionBudget"
    assert set(budgets[0]["spec"]) == {"maxUnavailable", "selector"}
    assert budgets[0]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("name", list(SETTINGS))
def test_settings_are_names_and_values_the_code_reads(
    rendered: dict[str, Objects], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = rendered["production"]
    deployment = _of(objects, "Deployment")[name]
    env = _environment(objects, deployment)
    settings_class = SETTINGS[name]
    prefix = settings_class.model_config["env_prefix"]
    known = {f"QSMO_{field.upper()}" for field in PlatformSettings.model_fields}
    known |= {f"{prefix}{field.upper()}" for field in settings_class.model_fields}
    assert set(env) - known == set(), f"{name}: variables no settings class reads"
    for variable in [v for v in os.environ if v.startswith("QSMO_")]:
        monkeypatch.delenv(variable)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    platform, settings = PlatformSettings(), settings_class()
    assert platform.environment == "production"
    assert settings.host == "0.0.0.0"
    assert settings.port == _container(deployment)["ports"][0]["containerPort"]
    assert ("QSMO_MONGO_URL" in env) == (name in STORE_USERS), f"{name}: store credentials"


@pytest.mark.parametrize("name", sorted(KEY_FILE_READERS))
def test_key_file_secret_is_mounted_where_the_settings_point(
    rendered: dict[str, Objects], name: str
) -> None:
    objects = rendered["production"]
    deployment = _of(objects, "Deployment")[name]
    path = Path(_environment(objects, deployment)["QSMO_API_KEYS_FILE"])
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (mount,) = [
        m for m in _container(deployment)["volumeMounts"] if Path(m["mountPath"]) == path.parent
    ]
    secret_volume = volumes[mount["name"]]["secret"]
    assert _base_name(secret_volume["secretName"]) == "qsmo-api-keys"
    (item,) = secret_volume["items"]
    assert item["path"] == path.name
    assert mount["readOnly"] is True
    secret = _of(objects, "Secret")[secret_volume["secretName"]]
    key_file = parse_api_key_file(base64.b64decode(secret["data"][item["key"]]).decode())
    assert key_file.keys


def test_each_store_user_gets_its_own_store_credential(rendered: dict[str, Objects]) -> None:
    """Ingest (internet-facing, read-only needs) never holds the full store credential."""
    for name, deployment in _of(rendered["production"], "Deployment").items():
        store_secrets = {
            _base_name(source["secretRef"]["name"])
            for source in _container(deployment).get("envFrom", [])
            if "secretRef" in source
        }
        expected = {STORE_SECRET.get(name, "qsmo-store")} if name in STORE_USERS else set()
        assert store_secrets == expected, name


def test_only_key_file_readers_get_the_key_secret(rendered: dict[str, Objects]) -> None:
    for name, deployment in _of(rendered["production"], "Deployment").items():
        secrets = {
            _base_name(v["secret"]["secretName"])
            for v in deployment["spec"]["template"]["spec"]["volumes"]
            if "secret" in v
        }
        assert ("qsmo-api-keys" in secrets) == (name in KEY_FILE_READERS), name


def test_secret_examples_match_the_code_and_stay_out_of_git() -> None:
    parse_api_key_file((SECRETS / "api-keys.hashed.json.example").read_text())
    for example in ("store.env.example", "store-ingest.env.example"):
        variables = {
            line.split("=", 1)[0]
            for line in (SECRETS / example).read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert variables == {"QSMO_MONGO_URL"}, example
    ignored = (SECRETS / ".gitignore").read_text().split()
    assert ignored[ignored.index("*") :] == ["*", "!.gitignore", "!*.example"]
