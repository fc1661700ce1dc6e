"""Live resources -> desired-state YAML, to adopt what already exists (``drift import``).

The output is what a person would have written: no read-only fields, nothing equal
to SageMaker's defaults, keys in the service model's order, and never a secret in
clear: a secret-looking value (by key or by shape) becomes ``!env NAME`` and the
variables to set are printed on stderr (names and where they go, never values).
It works from flags and the environment alone, never overwrites a file without
``--force``, and says which resources are already declared instead of declaring
them twice.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml

from drift import __version__, redact
from drift._botocore import input_shape
from drift.aws import sagemaker as sm
from drift.aws.session import Connection
from drift.config.settings import Config
from drift.console import quiet_in_json, say
from drift.desired import DesiredState, PlaceholderEnv, load_desired
from drift.errors import DriftError
from drift.files import display_path, find_files
from drift.kinds import BY_SECTION
from drift.normalise import drop_empty, keep_request_fields, tags_as_mapping
from drift.report import Kind

#: Variables the tool reads itself: a placeholder must never be one of them (it would read its own secret).
RESERVED_PREFIXES = ("AWS_", "DRIFT_")


@dataclass(frozen=True, slots=True)
class ImportArgs:
    models: tuple[str, ...] = ()
    name_prefix: str | None = None
    out: str | None = None
    force: bool = False
    endpoints: bool = False
    desired_given: bool = False


@dataclass(frozen=True, slots=True)
class EnvPlaceholder:
    """A ``!env NAME`` value in the written YAML."""

    name: str


@dataclass(frozen=True, slots=True)
class Imported:
    kind: Kind
    target: str
    account: str
    region: str
    entry: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.entry[BY_SECTION[self.kind.section].name_field])


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with ``!env`` placeholders, in the order we give."""


_Dumper.add_representer(EnvPlaceholder, lambda d, v: d.represent_scalar("!env", v.name))


def strip_defaults(model: dict[str, Any]) -> dict[str, Any]:
    """Remove values equal to what SageMaker does when they are omitted (see kinds/model.fill_defaults)."""
    model = dict(model)
    if model.get("EnableNetworkIsolation") is False:
        del model["EnableNetworkIsolation"]
    containers = model.get("Containers") or ([model["PrimaryContainer"]] if model.get("PrimaryContainer") else [])
    for container in containers:
        for key, default in (("Mode", "SingleModel"), ("ImageConfig", {"RepositoryAccessMode": "Platform"}),
                             ("MultiModelConfig", {"ModelCacheSetting": "Enabled"})):
            if container.get(key) == default:
                del container[key]
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        if source.get("S3Uri") == container.get("ModelDataUrl"):
            container.pop("ModelDataSource", None)  # SageMaker's echo of the URL
    if model.get("InferenceExecutionConfig") == {"Mode": "Serial"}:
        del model["InferenceExecutionConfig"]
    return model


def strip_config_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """Remove what SageMaker fills in an endpoint config (see kinds/endpoint_config.fill_defaults)."""
    config = dict(config)
    if config.get("EnableNetworkIsolation") is False:
        del config["EnableNetworkIsolation"]
    for key in ("ProductionVariants", "ShadowProductionVariants"):
        if isinstance(config.get(key), list):
            config[key] = [{k: v for k, v in variant.items() if not (k == "InitialVariantWeight" and v == 1.0)}
                           if isinstance(variant, dict) and variant.get("ModelName") else variant
                           for variant in config[key]]
    return config


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


def to_entry(kind: Kind, raw: dict[str, Any], tags: list[dict[str, str]] | None) -> dict[str, Any]:
    """One Describe response (+ ListTags) as a desired-state entry."""
    spec = BY_SECTION[kind.section]
    shape = input_shape(spec.create_operation)
    entry = drop_empty(keep_request_fields(raw, shape.members, spec.read_only))
    if kind is Kind.ENDPOINT_CONFIG:
        entry = strip_config_defaults(entry)
    if kind is Kind.MODEL:
        entry = strip_defaults(entry)
        if entry.get("PrimaryContainer") and entry.get("Containers"):
            entry.pop("Containers")  # an echo of the primary container; keep the form it was created with
    body = dict(ordered(entry, shape))
    tag_map = tags_as_mapping(tags or [])
    if tag_map:
        body["Tags"] = {k: tag_map[k] for k in sorted(tag_map)}
    return body


def _secret_slots(items: list[Imported]) -> list[tuple[Imported, dict[str, Any], str, str]]:
    """(resource, mapping, key, where) for every secret-looking Environment value or tag."""
    slots = []
    for item in items:
        entry = item.entry
        containers = [("PrimaryContainer", entry["PrimaryContainer"])] if entry.get("PrimaryContainer") else [
            (f"Containers[{i}]", c) for i, c in enumerate(entry.get("Containers") or [])]
        for where, container in containers:
            env = container.get("Environment") or {}
            slots += [(item, env, key, f"{where}.Environment") for key in env if redact.is_secret(key, env[key])]
        tags = entry.get("Tags") or {}
        slots += [(item, tags, key, "Tags") for key in tags if redact.looks_secret(tags[key])]
    return slots


def _variable(*parts: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)).upper()
    return name if not name.startswith(RESERVED_PREFIXES) and not name[:1].isdigit() else f"SM_{name}"


def _place(where: str) -> str:
    """A short name for where a value sits: the container's index, or TAGS."""
    match = re.match(r"Containers\[(\d+)\]", where)
    return match.group(1) if match else ("0" if where.startswith("PrimaryContainer") else "TAGS")


def replace_secrets(items: list[Imported]) -> list[tuple[str, str]]:
    """Swap secret values for ``!env`` placeholders; return (variable, where) pairs to tell the user.

    A variable is named after the key when every such key holds one value, else after the resource and key,
    else after resource, place and key: one name never stands for two values, and never for a variable the
    tool itself reads (``AWS_*``, ``DRIFT_*`` get an ``SM_`` prefix).
    """
    slots = _secret_slots(items)
    options = [((key,), (item.name, key), (item.name, _place(where), key)) for item, _m, key, where in slots]
    values: dict[tuple[str, ...], set[str]] = {}
    for (_item, mapping, key, _where), choices in zip(slots, options, strict=True):
        for choice in choices:
            values.setdefault(choice, set()).add(str(mapping[key]))
    told: dict[str, str] = {}
    for (item, mapping, key, where), choices in zip(slots, options, strict=True):
        chosen = next((c for c in choices if len(values[c]) == 1), choices[-1])
        variable = _variable(*chosen) if len(chosen) > 1 else _variable(chosen[0])
        mapping[key] = EnvPlaceholder(variable)
        told.setdefault(variable, f"{item.name}: {where}.{key}")
    return sorted(told.items())


def render_file(items: list[Imported], *, with_target: bool) -> str:
    first = items[0]
    header = (f"# Imported by sagemaker-drift {__version__} from account {first.account}, region {first.region}.\n"
              "# Review before committing: this is the desired state drift will enforce.\n")
    doc: dict[str, Any] = {"target": first.target} if with_target else {}
    for kind in Kind:
        entries = [i.entry for i in items if i.kind is kind]
        if entries:
            doc[kind.section] = entries
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)
    # PyYAML quotes every tagged scalar; a placeholder name is a plain identifier and reads better bare.
    return header + re.sub(r"!env '([A-Za-z_][A-Za-z0-9_]*)'", r"!env \1", text)


def _read(config: Config, args: ImportArgs) -> list[Imported]:
    wanted, prefix = set(args.models), args.name_prefix if args.name_prefix is not None else config.name_prefix
    kinds = [Kind.MODEL, Kind.ENDPOINT_CONFIG, Kind.ENDPOINT] if args.endpoints else [Kind.MODEL]
    listings = {Kind.MODEL: sm.MODELS, Kind.ENDPOINT_CONFIG: sm.ENDPOINT_CONFIGS, Kind.ENDPOINT: sm.ENDPOINTS}
    describe = {Kind.MODEL: sm.describe_model, Kind.ENDPOINT_CONFIG: sm.describe_endpoint_config,
                Kind.ENDPOINT: sm.describe_endpoint}
    out = []
    for target in config.aws.targets:
        if not target.regions:
            raise DriftError("no region: pass --region or set AWS_REGION (or aws.region in the config)")
        for region in target.regions:
            conn = Connection(target, region, config.aws)
            account = conn.identify()
            for kind in kinds:
                listed, _ = sm.list_all(conn, listings[kind], max_items=config.aws.max_models)
                for item in listed:
                    if kind is Kind.MODEL and wanted and item.name not in wanted:
                        continue
                    if not item.name.startswith(prefix or ""):
                        continue
                    raw = describe[kind](conn, item)
                    tags = sm.list_tags(conn, item.arn)
                    out.append(Imported(kind, target.name, account, region, to_entry(kind, raw, tags)))
    missing = wanted - {i.name for i in out if i.kind is Kind.MODEL}
    if missing:
        raise DriftError(f"no such model: {', '.join(sorted(missing))}")
    return out


def _already(config: Config, args: ImportArgs) -> DesiredState | None:
    """What is already declared, in the desired files that exist (none yet is not an error: import is how
    a desired state starts).

    A desired file with errors is an error: treated as "nothing declared", import would write a second
    declaration or suggest ``--force`` over files the user has reviewed.
    """
    if not config.desired or (not args.desired_given and not os.path.exists(config.path)):
        return None
    from drift.commands.inputs import desired_targets

    existing, _ = find_files(config.desired)
    if not existing:
        return None
    return load_desired(existing, targets=desired_targets(config), environ=PlaceholderEnv())


def run_import(config: Config, args: ImportArgs) -> int:
    items = _read(config, args)
    known = _already(config, args)
    if known is not None:
        declared = {(r.kind, r.name): r for r in known.resources}
        for item in [i for i in items if (i.kind, i.name) in declared]:
            there = declared[(item.kind, item.name)]
            say(f"drift import: {item.name}: already declared at {there.file}:{there.line} (not imported again)",
                event="drift.import.declared", level="warning")
        items = [i for i in items if (i.kind, i.name) not in declared]
    if not items:
        say("drift import: nothing to import", event="drift.import.nothing", level="warning")
        return 0
    variables = replace_secrets(items)
    several = len(config.aws.targets) > 1
    if args.out:
        _write_files(items, args, several)
    else:
        if len({(i.target, i.region) for i in items}) > 1:
            raise DriftError("resources come from several targets or regions: use --out DIR (one file each)")
        sys.stdout.write(render_file(items, with_target=several))
    if variables:
        plural = len(variables) != 1
        say(f"drift import: {len(variables)} secret-looking value{'s were' if plural else ' was'} written as "
            f"!env placeholder{'s' if plural else ''}; set {'these variables' if plural else 'this variable'} "
            "before running drift check:",
            event="drift.import.placeholders", level="warning", variables=[name for name, _ in variables])
        width = max(len(name) for name, _ in variables)
        for name, where in variables:
            quiet_in_json(f"  {name.ljust(width)}  ({where})")
    return 0


def _write_files(items: list[Imported], args: ImportArgs, several: bool) -> None:
    assert args.out is not None
    os.makedirs(args.out, exist_ok=True)
    regions = len({i.region for i in items}) > 1
    plans = []
    for item in items:
        stem = f"{item.target}-{item.region}-{item.name}" if several or regions else item.name
        suffix = "" if item.kind is Kind.MODEL else f".{item.kind.section[:-1].replace('_', '-')}"
        plans.append((os.path.join(args.out, f"{stem}{suffix}.yaml"), item))
    existing = [path for path, _ in plans if os.path.exists(path)]
    if existing and not args.force:
        raise DriftError(f"{', '.join(display_path(p) for p in existing)}: already exist; not overwritten (edit them, "
                         "move them away, or pass --force)")
    for path, item in plans:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(render_file([item], with_target=several))
    say(f"drift import: wrote {len(items)} file{'s' if len(items) != 1 else ''} to {args.out}/",
        event="drift.import.wrote", level="info", files=len(items))
