"""Live models -> desired-state YAML, to adopt models that already exist.

The output is what a person would have written: no read-only fields, nothing
equal to SageMaker's defaults, keys in the service model's order, and never a
secret in clear: a secret-looking Environment value becomes ``!env NAME`` and
the variables to set are printed on stderr (names and where they go, never values).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml

from drift import __version__, redact
from drift.config import Config
from drift.errors import DriftError
from drift.live import TargetReader
from drift.normalise import drop_empty, drop_read_only, tags_as_mapping
from drift.validate import create_model_shape


@dataclass(frozen=True, slots=True)
class EnvPlaceholder:
    """A ``!env NAME`` value in the written YAML."""

    name: str


@dataclass(frozen=True, slots=True)
class ImportedModel:
    target: str
    account: str
    region: str
    entry: dict[str, Any]


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with ``!env`` placeholders, in the order we give."""


_Dumper.add_representer(EnvPlaceholder, lambda d, v: d.represent_scalar("!env", v.name))


def strip_defaults(model: dict[str, Any]) -> dict[str, Any]:
    """Remove values equal to what SageMaker does when they are omitted."""
    model = dict(model)
    if model.get("EnableNetworkIsolation") is False:
        del model["EnableNetworkIsolation"]
    containers = model.get("Containers") or ([model["PrimaryContainer"]] if model.get("PrimaryContainer") else [])
    for container in containers:
        if container.get("Mode") == "SingleModel":
            del container["Mode"]
        if container.get("ImageConfig") == {"RepositoryAccessMode": "Platform"}:
            del container["ImageConfig"]
        if container.get("MultiModelConfig") == {"ModelCacheSetting": "Enabled"}:
            del container["MultiModelConfig"]
    if len(containers) > 1 and model.get("InferenceExecutionConfig") == {"Mode": "Serial"}:
        del model["InferenceExecutionConfig"]
    return model


def ordered(value: Any, shape: Any) -> Any:
    """Keys in the order the service model lists them (maps sorted), so output is stable and familiar."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = list(shape.members)
        keys = sorted(value, key=lambda k: members.index(k) if k in members else len(members))
        return {k: ordered(value[k], shape.members.get(k)) for k in keys}
    if shape.type_name == "list" and isinstance(value, list):
        return [ordered(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: value[k] for k in sorted(value)}
    return value


def to_entry(raw: dict[str, Any], tags: list[dict[str, str]] | None) -> dict[str, Any]:
    """One DescribeModel response (+ ListTags) as a desired-state entry."""
    entry = strip_defaults(drop_empty(drop_read_only(raw)))
    if entry.get("PrimaryContainer") and entry.get("Containers"):
        entry.pop("Containers")  # an echo of the primary container; keep the form it was created with
    tag_map = tags_as_mapping(tags or [])
    if tag_map:
        entry["Tags"] = {k: tag_map[k] for k in sorted(tag_map)}
    shape = create_model_shape()
    body = ordered({k: v for k, v in entry.items() if k != "Tags"}, shape)
    if "Tags" in entry:
        body["Tags"] = entry["Tags"]
    return dict(body)


def _secret_slots(models: list[ImportedModel]) -> list[tuple[ImportedModel, dict[str, Any], str, str]]:
    """(model, environment mapping, key, container path) for every secret-looking Environment value."""
    slots: list[tuple[ImportedModel, dict[str, Any], str, str]] = []
    for model in models:
        entry = model.entry
        containers = [("PrimaryContainer", entry["PrimaryContainer"])] if entry.get("PrimaryContainer") else [
            (f"Containers[{i}]", c) for i, c in enumerate(entry.get("Containers") or [])]
        for where, container in containers:
            env = container.get("Environment") or {}
            slots.extend((model, env, key, where) for key in env if redact.is_secret_key(key))
    return slots


def replace_secrets(models: list[ImportedModel]) -> list[tuple[str, str]]:
    """Swap secret values for ``!env`` placeholders; return (variable, where) pairs to tell the user.

    A variable is named after the key when every such key holds one value, else after the model and
    key, else after model, container and key: one name never stands for two values.
    """
    slots = _secret_slots(models)

    def identifier(*parts: str) -> str:
        return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)).upper() if len(parts) > 1 else parts[0]

    candidates = []
    for model, _env, key, where in slots:
        name = str(model.entry["ModelName"])
        index = where[len("Containers["):-1] if where.startswith("Containers[") else "0"
        candidates.append(((key,), (name, key), (name, index, key)))
    values: dict[tuple[str, ...], set[str]] = {}
    for (_model, env, key, _where), options in zip(slots, candidates, strict=True):
        for option in options:
            values.setdefault(option, set()).add(str(env[key]))
    told: dict[str, str] = {}
    for (model, env, key, where), options in zip(slots, candidates, strict=True):
        chosen = next((o for o in options if len(values[o]) == 1), options[-1])
        variable = identifier(*chosen)
        env[key] = EnvPlaceholder(variable)
        told.setdefault(variable, f"{model.entry['ModelName']}: {where}.Environment.{key}")
    return sorted(told.items())


def render_file(models: list[ImportedModel], *, with_target: bool) -> str:
    first = models[0]
    header = (f"# Imported by sagemaker-drift {__version__} from account {first.account}, region {first.region}.\n"
              "# Review before committing: this is the desired state drift will enforce.\n")
    doc: dict[str, Any] = {}
    if with_target:
        doc["target"] = first.target
    doc["models"] = [m.entry for m in models]
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)
    # PyYAML quotes every tagged scalar; a placeholder name is a plain identifier and reads better bare.
    return header + re.sub(r"!env '([A-Za-z_][A-Za-z0-9_]*)'", r"!env \1", text)


def run_import(config: Config, *, models: tuple[str, ...], name_prefix: str | None, out: str | None) -> int:
    wanted = set(models)
    prefix = name_prefix if name_prefix is not None else config.name_prefix
    imported: list[ImportedModel] = []
    for target in config.aws.targets:
        for region in target.regions:
            reader = TargetReader(target, region, config.aws)
            account = reader.connect()
            listed, _hint = reader.list_models(prefix if not wanted else "")
            for summary in listed:
                if (wanted and summary.name not in wanted) or not summary.name.startswith(prefix or ""):
                    continue
                raw = reader.describe(summary.name)
                tags = reader.list_tags(summary.arn)
                imported.append(ImportedModel(target.name, account, region, to_entry(raw, tags)))
    missing = wanted - {m.entry["ModelName"] for m in imported}
    if missing:
        raise DriftError(f"no such model: {', '.join(sorted(missing))}")
    if not imported:
        raise DriftError("no live model matches: nothing to import")
    variables = replace_secrets(imported)
    several_targets = len(config.aws.targets) > 1
    if out:
        os.makedirs(out, exist_ok=True)
        for model in imported:
            name = model.entry["ModelName"]
            stem = f"{model.target}-{model.region}-{name}" if several_targets or len(
                {m.region for m in imported}) > 1 else name
            path = os.path.join(out, f"{stem}.yaml")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(render_file([model], with_target=several_targets))
        print(f"drift import: wrote {len(imported)} model{'s' if len(imported) != 1 else ''} to {out}/",
              file=sys.stderr)
    else:
        groups: dict[tuple[str, str], list[ImportedModel]] = {}
        for model in imported:
            groups.setdefault((model.target, model.region), []).append(model)
        if len(groups) > 1:
            raise DriftError("models come from several targets or regions: use --out DIR (one file per model)")
        sys.stdout.write(render_file(imported, with_target=several_targets))
    if variables:
        print(f"drift import: {len(variables)} secret-looking environment value"
              f"{'s were' if len(variables) != 1 else ' was'} written as !env placeholders; "
              "set these variables before running drift check:", file=sys.stderr)
        width = max(len(name) for name, _ in variables)
        for name, where in variables:
            print(f"  {name.ljust(width)}  ({where})", file=sys.stderr)
    return 0
