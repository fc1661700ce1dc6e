"""The serving chain (SPEC §9): what an endpoint really runs, judged purely from what was read.

An endpoint runs what its endpoint config named *when it was last deployed*.
Deleting and re-creating a model, re-pointing its image tag or deleting the config
changes nothing on a running endpoint until its next deployment or scale-out, and
then changes it silently. Each finding here says so, on the endpoint, critical:

* the config it uses is gone: ``GONE`` at ``EndpointConfigName``;
* a variant's model is gone: ``GONE`` at ``ProductionVariants[i].ModelName``;
* a variant's model was created after the variant was deployed: ``STALE`` there;
* a deployed image is not the model's current image: ``STALE`` at ``...DeployedImages[j]``;
* the deployed image's tag now resolves elsewhere: ``REPOINTED`` at the same path.

A variant was deployed at its ``DeployedImages[].ResolutionTime`` when present, else at
the endpoint's ``LastModifiedTime`` (a weights-and-capacity update bumps the latter
without redeploying). Only InService endpoints are judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift.integrity.refs import Ref, parse_image
from drift.integrity.resolve import Key, Resolution
from drift.read.types import Live
from drift.report import Baseline, Difference, DiffType, ServedBy, Severity

VARIANT_LISTS = ("ProductionVariants", "ShadowProductionVariants")


@dataclass(frozen=True, slots=True)
class ChainOutcome:
    differences: tuple[Difference, ...] = ()
    notes: tuple[str, ...] = ()
    #: (model name, who serves it)
    served: tuple[tuple[str, ServedBy], ...] = ()


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _clock(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "an unknown time"


def deployed_refs(endpoint: Live) -> list[Ref]:
    """The images an InService endpoint deployed, whose tags the integrity resolver must resolve now."""
    facts = endpoint.facts or {}
    if facts.get("EndpointStatus") != "InService":
        return []
    return [Ref("image", str(image["SpecifiedImage"]), (key, i, "DeployedImages", j))
            for key in VARIANT_LISTS for i, variant in enumerate(facts.get(key) or [])
            for j, image in enumerate(variant.get("DeployedImages") or []) if image.get("SpecifiedImage")]


def judge_chain(endpoint: Live, configs: Mapping[str, Live], models: Mapping[str, Live],
                resolutions: Mapping[Key, Resolution], target: str) -> ChainOutcome:
    facts = endpoint.facts or {}
    name = endpoint.listed.name
    status = facts.get("EndpointStatus") or endpoint.listed.status
    if status != "InService":
        return ChainOutcome(notes=(f"EndpointStatus is {status}: the serving chain is checked for InService "
                                   "endpoints only",))
    baseline = Baseline("endpoint", name=name)
    config_name = str(facts.get("EndpointConfigName"))
    config = configs.get(config_name)
    if config is None or config.gone:
        message = (f"endpoint {name} uses endpoint config {config_name}, which no longer exists: its next "
                   "scale-out or update cannot reuse it")
        return ChainOutcome(differences=(Difference("EndpointConfigName", DiffType.GONE, config_name, None,
                                                    Severity.CRITICAL, baseline=baseline, message=message),))
    if config.error or config.form is None:
        return ChainOutcome(notes=(f"EndpointConfigName: {config_name} could not be read: {config.error}",))
    findings: list[Difference] = []
    served: list[tuple[str, ServedBy]] = []
    notes: list[str] = []
    for key in VARIANT_LISTS:
        running = {v.get("VariantName"): v for v in facts.get(key) or []}
        for i, variant in enumerate(config.form.get(key) or []):
            model_name = variant.get("ModelName")
            if not model_name:
                continue  # an inference-component variant names no model
            deployed = running.get(variant.get("VariantName")) or {}
            found = _variant(name, key, i, str(model_name), deployed, facts, models, resolutions, target, baseline)
            findings += found
            notes += [] if models.get(str(model_name)) is None or models[str(model_name)].error is None else [
                f"{key}[{i}].ModelName: {model_name} could not be read: {models[str(model_name)].error}"]
            served.append((str(model_name), ServedBy(name, str(variant.get("VariantName")),
                                                     stale=any(f.type is DiffType.STALE for f in found))))
    return ChainOutcome(tuple(findings), tuple(notes), tuple(served))


def _variant(endpoint: str, key: str, i: int, model_name: str, deployed: Mapping[str, Any],
             facts: Mapping[str, Any], models: Mapping[str, Live], resolutions: Mapping[Key, Resolution],
             target: str, baseline: Baseline) -> list[Difference]:
    where = f"{key}[{i}]"
    model = models.get(model_name)
    if model is None or model.gone:
        message = (f"endpoint {endpoint} runs model {model_name}, which no longer exists: its next scale-out or "
                   "update cannot start it")
        return [Difference(f"{where}.ModelName", DiffType.GONE, model_name, None, Severity.CRITICAL,
                           baseline=baseline, message=message)]
    images = deployed.get("DeployedImages") or []
    times = [t for t in (_time(image.get("ResolutionTime")) for image in images) if t is not None]
    deployed_at = min(times) if times else _time(facts.get("LastModifiedTime"))
    created = _time(model.listed.created)
    out = []
    if deployed_at is not None and created is not None and created > deployed_at:
        message = (f"endpoint {endpoint} runs {model_name} as it was before it was re-created at {_clock(created)}; "
                   "the next deployment will change what it serves")
        out.append(Difference(f"{where}.ModelName", DiffType.STALE, deployed_at.isoformat(), created.isoformat(),
                              Severity.CRITICAL, baseline=baseline, message=message))
    current = [c.get("Image") for c in (model.form or {}).get("Containers") or []]
    for j, image in enumerate(images):
        out += _image(endpoint, f"{where}.DeployedImages[{j}]", model_name, image,
                      current[j] if j < len(current) else None, current, resolutions, target, baseline)
    return out


def _image(endpoint: str, path: str, model_name: str, image: Mapping[str, Any], now_image: Any, current: list[Any],
           resolutions: Mapping[Key, Resolution], target: str, baseline: Baseline) -> list[Difference]:
    specified = image.get("SpecifiedImage")
    out = []
    if current and specified not in current:
        message = (f"endpoint {endpoint} runs image {specified}, but model {model_name} now names {now_image}; the "
                   "next deployment will change what it serves")
        out.append(Difference(path, DiffType.STALE, specified, now_image, Severity.CRITICAL, baseline=baseline,
                              message=message))
    resolution = resolutions.get((target, "image", str(specified)))
    resolved = str(image.get("ResolvedImage") or "")
    running = resolved.rpartition("@")[2] if "@" in resolved else None
    if resolution is None or running is None:
        return out
    parsed = parse_image(str(specified))
    tag = parsed.short if parsed else str(specified)
    if resolution.state == "missing":
        out.append(Difference(path, DiffType.GONE, running, None, Severity.CRITICAL, baseline=baseline,
                              message=f"{tag}, which endpoint {endpoint} runs, no longer exists in ECR: a scale-out "
                                      "cannot pull it"))
    elif resolution.state == "ok" and resolution.value != running:
        out.append(Difference(path, DiffType.REPOINTED, running, resolution.value, Severity.CRITICAL, baseline=baseline,
                              message=f"tag {tag} now points to {str(resolution.value)[:19]}…; endpoint {endpoint} "
                                      f"runs {running[:19]}…, and its next scale-out or deployment would run the new "
                                      "image"))
    return out
