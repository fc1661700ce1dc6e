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


def _deployed_at(facts: Mapping[str, Any]) -> datetime | None:
    """When the endpoint last deployed: its earliest ResolutionTime, else its LastModifiedTime."""
    times = [t for key in VARIANT_LISTS for v in facts.get(key) or []
             for t in (_time(i.get("ResolutionTime")) for i in v.get("DeployedImages") or []) if t is not None]
    return min(times) if times else _time(facts.get("LastModifiedTime"))


def _serving(name: str, config: Mapping[str, Any]) -> tuple[tuple[str, ServedBy], ...]:
    return tuple((str(v["ModelName"]), ServedBy(name, str(v.get("VariantName")))) for key in VARIANT_LISTS
                 for v in config.get(key) or [] if isinstance(v, dict) and v.get("ModelName"))


def judge_chain(endpoint: Live, configs: Mapping[str, Live], models: Mapping[str, Live],
                resolutions: Mapping[Key, Resolution], target: str) -> ChainOutcome:
    facts = endpoint.facts or {}
    name = endpoint.listed.name
    status = facts.get("EndpointStatus") or endpoint.listed.status
    config_name = str(facts.get("EndpointConfigName"))
    config = configs.get(config_name)
    readable = config is not None and not config.gone and config.error is None and config.form is not None
    if status != "InService":
        return ChainOutcome(notes=(f"EndpointStatus is {status}: the serving chain is checked for InService "
                                   "endpoints only",), served=_serving(name, config.form or {}) if readable and config
                            else ())
    if config is None or config.gone:
        message = (f"endpoint {name} uses endpoint config {config_name}, which no longer exists: its next "
                   "scale-out or update cannot reuse it")
        return ChainOutcome(differences=(Difference("EndpointConfigName", DiffType.GONE, config_name, None,
                                                    Severity.CRITICAL, baseline=Baseline("endpoint", name=name),
                                                    message=message),))
    if config.error or config.form is None:
        return ChainOutcome(notes=(f"EndpointConfigName: {config_name} could not be read: {config.error}",))
    deployed_at, created = _deployed_at(facts), _time(config.listed.created)
    if deployed_at is not None and created is not None and created > deployed_at:
        # Configs are immutable: a config created after the deployment is another incarnation, not what runs.
        message = (f"endpoint {name} runs endpoint config {config_name} as it was before it was re-created at "
                   f"{_clock(created)}; the next deployment or scale-out will run what it names now")
        return ChainOutcome(differences=(Difference("EndpointConfigName", DiffType.STALE, deployed_at.isoformat(),
                                                    created.isoformat(), Severity.CRITICAL,
                                                    baseline=Baseline("endpoint", name=name), message=message),))
    return _Chain(name, facts, models, resolutions, target).judge(config.form)


@dataclass(frozen=True, slots=True)
class _Chain:
    """One InService endpoint, with what its variants are judged against."""

    endpoint: str
    facts: Mapping[str, Any]
    models: Mapping[str, Live]
    resolutions: Mapping[Key, Resolution]
    target: str

    @property
    def baseline(self) -> Baseline:
        return Baseline("endpoint", name=self.endpoint)

    def judge(self, config: Mapping[str, Any]) -> ChainOutcome:
        findings: list[Difference] = []
        served: list[tuple[str, ServedBy]] = []
        notes: list[str] = []
        for key in VARIANT_LISTS:
            running = {v.get("VariantName"): v for v in self.facts.get(key) or []}
            for i, variant in enumerate(config.get(key) or []):
                model_name = str(variant.get("ModelName") or "")
                if not model_name:
                    continue  # an inference-component variant names no model
                found = self.variant(f"{key}[{i}]", model_name, running.get(variant.get("VariantName")) or {})
                findings += found
                model = self.models.get(model_name)
                if model is not None and model.error is not None:
                    notes.append(f"{key}[{i}].ModelName: {model_name} could not be read: {model.error}")
                served.append((model_name, ServedBy(self.endpoint, str(variant.get("VariantName")),
                                                    stale=any(f.type is DiffType.STALE for f in found))))
        return ChainOutcome(tuple(findings), tuple(notes), tuple(served))

    def variant(self, where: str, model_name: str, deployed: Mapping[str, Any]) -> list[Difference]:
        model = self.models.get(model_name)
        if model is None or model.gone:
            message = (f"endpoint {self.endpoint} runs model {model_name}, which no longer exists: its next "
                       "scale-out or update cannot start it")
            return [Difference(f"{where}.ModelName", DiffType.GONE, model_name, None, Severity.CRITICAL,
                               baseline=self.baseline, message=message)]
        images = deployed.get("DeployedImages") or []
        times = [t for t in (_time(image.get("ResolutionTime")) for image in images) if t is not None]
        deployed_at = min(times) if times else _time(self.facts.get("LastModifiedTime"))
        created = _time(model.listed.created)
        out = []
        if deployed_at is not None and created is not None and created > deployed_at:
            message = (f"endpoint {self.endpoint} runs {model_name} as it was before it was re-created at "
                       f"{_clock(created)}; the next deployment will change what it serves")
            out.append(Difference(f"{where}.ModelName", DiffType.STALE, deployed_at.isoformat(), created.isoformat(),
                                  Severity.CRITICAL, baseline=self.baseline, message=message))
        # A model-package container names no Image in DescribeModel: its deployed image is the package's.
        current = [c.get("Image") for c in (model.form or {}).get("Containers") or []]
        for j, image in enumerate(images):
            out += self.image(f"{where}.DeployedImages[{j}]", model_name, image, current, j)
        return out

    def image(self, path: str, model_name: str, image: Mapping[str, Any], current: list[Any],
              index: int) -> list[Difference]:
        specified = image.get("SpecifiedImage")
        now_image = current[index] if index < len(current) else None
        known = [i for i in current if isinstance(i, str)]
        out = []
        if known and len(known) == len(current) and specified not in known:
            message = (f"endpoint {self.endpoint} runs image {specified}, but model {model_name} now names "
                       f"{now_image}; the next deployment will change what it serves")
            out.append(Difference(path, DiffType.STALE, specified, now_image, Severity.CRITICAL,
                                  baseline=self.baseline, message=message))
        resolution = self.resolutions.get((self.target, "image", str(specified)))
        resolved = str(image.get("ResolvedImage") or "")
        running = resolved.rpartition("@")[2] if "@" in resolved else None
        if resolution is None or running is None:
            return out
        parsed = parse_image(str(specified))
        tag = parsed.short if parsed else str(specified)
        if resolution.state == "missing":
            out.append(Difference(path, DiffType.GONE, running, None, Severity.CRITICAL, baseline=self.baseline,
                                  message=f"{tag}, which endpoint {self.endpoint} runs, no longer exists in ECR: a "
                                          "scale-out cannot pull it"))
        elif resolution.state == "ok" and running != resolution.value and running not in resolution.platforms:
            out.append(Difference(path, DiffType.REPOINTED, running, resolution.value, Severity.CRITICAL,
                                  baseline=self.baseline,
                                  message=f"tag {tag} now points to {str(resolution.value)[:19]}…; endpoint "
                                          f"{self.endpoint} runs {running[:19]}…, and its next scale-out or "
                                          "deployment would run the new image"))
        return out
