"""Desired-state YAML -> DesiredResource values (models, endpoint configs, endpoints), each with its marks.

A desired file holds ``models:``, ``endpoint_configs:`` and ``endpoints:`` lists of
Create requests, plus an optional ``target:`` and ``region:``; top-level ``x-``
keys hold shared anchors and are ignored. Every error of every file is collected
before we give up, and every message says what to do: a pasted describe output
is accepted (its read-only fields ignored, with one warning per file), while a
CloudFormation template or intrinsic, or a model without its ``models:`` list,
is refused with the way to write it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift import redact
from drift._botocore import sagemaker_model
from drift._words import suggest, type_name
from drift._yaml import EnvRef, MarkedDict, MarkedList, key_line, load_file
from drift.config.schema import REGION
from drift.errors import DesiredStateError, Finding, YamlSyntaxError
from drift.files import display_path, find_files
from drift.kinds import BY_SECTION, KindSpec
from drift.report import Kind
from drift.validate import validate_entry

_FILE_KEYS = ("models", "endpoint_configs", "endpoints", "target", "region")
_NAME_FIELDS = {spec.name_field: section for section, spec in BY_SECTION.items()}


@dataclass(frozen=True, slots=True)
class DesiredResource:
    """One declared resource: a Create request plus where it was written."""

    name: str
    target: str | None
    spec: dict[str, Any]
    file: str
    line: int
    kind: Kind = Kind.MODEL
    #: The file's ``region:``: the resource is expected there only (else in every region of its target).
    region: str | None = None

    @property
    def declares_tags(self) -> bool:
        return "Tags" in self.spec and self.spec["Tags"] is not None

    def expected_in(self, target: str, region: str, aliases: Iterable[str] = ()) -> bool:
        """Whether this resource belongs to the (target, region) unit; ``aliases`` are other names of the target."""
        named = self.target is None or self.target == target or self.target in aliases
        return named and (self.region is None or self.region == region)


#: The name the first release used.
DesiredModel = DesiredResource


@dataclass(frozen=True, slots=True)
class DesiredState:
    resources: tuple[DesiredResource, ...]
    files: tuple[str, ...] = ()
    warnings: tuple[Finding, ...] = ()
    #: Secret values read with !env; registered for scrubbing once the whole load succeeded.
    secrets: frozenset[str] = frozenset()
    _by_kind: dict[Kind, tuple[DesiredResource, ...]] = field(default_factory=dict, compare=False, repr=False)
    #: Canonical forms computed once per resource and digest key (see classify.desired_forms).
    forms_cache: dict[tuple[int, str], Any] = field(default_factory=dict, compare=False, repr=False)

    def of_kind(self, kind: Kind) -> tuple[DesiredResource, ...]:
        if kind not in self._by_kind:
            self._by_kind[kind] = tuple(r for r in self.resources if r.kind is kind)
        return self._by_kind[kind]

    @property
    def models(self) -> tuple[DesiredResource, ...]:
        return self.of_kind(Kind.MODEL)


@dataclass(frozen=True, slots=True)
class Targets:
    """What a file's ``target:`` may name: configured target names, or (for an organization) any account."""

    names: tuple[str, ...] = ("default",)
    regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    organization: bool = False


class PlaceholderEnv(Mapping[str, str]):
    """The real environment, plus an obviously fake value for any ``!env`` variable that is not set: for
    reading desired files where only names and shapes matter (the demo's examples, import's "already
    declared"), so an unset placeholder variable is not an error there."""

    def __init__(self) -> None:
        #: The variables that were not set, with the value given in their place.
        self.placeholders: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key in os.environ:
            return os.environ[key]
        return self.placeholders.setdefault(key, f"placeholder-{key.lower()}")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def load_desired(patterns: Iterable[str], *, targets: Targets | None = None,
                 environ: Mapping[str, str] | None = None) -> DesiredState:
    """Load and validate every desired resource; raise DesiredStateError listing every problem.

    ``environ`` is where ``!env NAME`` values come from (default: the process environment).
    """
    env = os.environ if environ is None else environ
    found, findings = find_files(patterns)
    # Reports and findings name files relative to the working directory when they lie below it (SPEC §4).
    files = [display_path(f) for f in found]
    loader = _FileLoader(targets or Targets(), env, findings)
    resources: list[DesiredResource] = []
    seen: dict[tuple[Kind, str | None, str], list[DesiredResource]] = {}
    for file in files:
        for resource in loader.load(file):
            earlier = seen.setdefault((resource.kind, resource.target, resource.name), [])
            clash = next((r for r in earlier if r.region is None or resource.region is None
                          or r.region == resource.region), None)
            if clash is not None:
                findings.append(Finding(resource.file, resource.line,
                                        f"declared twice (first at {clash.file}:{clash.line})", model=resource.name))
                continue
            earlier.append(resource)
            resources.append(resource)
    if findings:
        raise DesiredStateError([f.without(loader.secrets) for f in findings])
    return DesiredState(resources=tuple(resources), files=tuple(files), warnings=tuple(loader.warnings),
                        secrets=frozenset(loader.secrets))


@dataclass(slots=True)
class _Place:
    """Where the entries of one file belong, and which pasted read-only fields were met in it."""

    file: str
    target: str | None
    region: str | None
    pasted: list[str] = field(default_factory=list)



class _FileLoader:
    def __init__(self, targets: Targets, env: Mapping[str, str], findings: list[Finding]) -> None:
        self.targets = targets
        self.env = env
        self.findings = findings
        self.warnings: list[Finding] = []
        self.secrets: set[str] = set()

    def load(self, file: str) -> list[DesiredResource]:
        doc = self._document(file)
        if doc is None or not self._shape_is_ours(file, doc):
            return []
        target, region = self._placement(file, doc)
        if target is False:
            return []
        place = _Place(file, target, region)
        out: list[DesiredResource] = []
        for section, spec in BY_SECTION.items():
            entries = doc.get(section)
            if entries is None:
                continue
            if not isinstance(entries, list):
                self.findings.append(Finding(file, key_line(doc, section),
                                             f"{section} must be a list, got {type_name(entries)}", path=section))
                continue
            out += [r for r in (self._entry(place, spec, section, entries, i) for i in range(len(entries))) if r]
        if place.pasted:
            fields = ", ".join(dict.fromkeys(place.pasted))
            self.warnings.append(Finding(file, None, f"read-only fields of describe output are ignored: {fields}"))
        return out

    def _document(self, file: str) -> dict[Any, Any] | None:
        """The file's top-level mapping, or None (an empty file, or a problem already reported)."""
        try:
            doc = load_file(file)
        except YamlSyntaxError as exc:
            self.findings.append(Finding(file, exc.line, str(exc)))
            return None
        if doc is not None and not isinstance(doc, dict):
            self.findings.append(Finding(file, getattr(doc, "line", 1),
                                         f"expected a mapping with a models: list, got {type_name(doc)}"))
            return None
        return doc

    def _shape_is_ours(self, file: str, doc: Mapping[str, Any]) -> bool:
        """Refuse, with the way to write it, a CloudFormation template or a resource without its list."""
        if "Resources" in doc or "AWSTemplateFormatVersion" in doc:
            self.findings.append(Finding(file, getattr(doc, "line", 1),
                                         "this is a CloudFormation template; desired state lists the resources "
                                         "themselves: put each AWS::SageMaker::Model's Properties (intrinsic "
                                         "functions resolved) under models:"))
            return False
        for name_field, section in _NAME_FIELDS.items():
            if name_field in doc and section not in doc:
                self.findings.append(Finding(file, key_line(doc, name_field),
                                             f"a single resource without a list: put it under {section}: "
                                             f"(indent it and start it with '- ')", path=name_field))
                return False
        visible = [k for k in doc if not (isinstance(k, str) and k.startswith("x-"))]
        for key in visible:
            if not isinstance(key, str) or key not in _FILE_KEYS:
                self.findings.append(Finding(file, key_line(doc, key),
                                             f"unknown key{suggest(str(key), _FILE_KEYS)}", path=str(key)))
        if not any(section in doc for section in BY_SECTION):
            self.findings.append(Finding(file, getattr(doc, "line", 1), "missing models: list"))
            return False
        return True

    def _placement(self, file: str, doc: Mapping[str, Any]) -> tuple[Any, str | None]:
        """The file's target and region; ``False`` as target when they are wrong (already reported)."""
        target, region, t = doc.get("target"), doc.get("region"), self.targets
        if target is not None:
            allowed = isinstance(target, str | int) and (t.organization or str(target) in t.names)
            if not allowed:
                known = "an account id or name of the organization" if t.organization else ", ".join(t.names)
                self.findings.append(Finding(file, key_line(doc, "target"),
                                             f"unknown target {target!r} (configured targets: {known})",
                                             path="target"))
                return False, None
            target = str(target)
        elif len(t.names) > 1 or t.organization:
            message = ("aws.organization is configured: name the account (its id or name) with target:"
                       if t.organization else "several aws.targets are configured: name one with target:")
            self.findings.append(Finding(file, getattr(doc, "line", 1), message))
            return False, None
        if region is not None:
            allowed_regions = t.regions.get(str(target) if target else (t.names[0] if t.names else ""), ())
            if not isinstance(region, str) or not REGION.match(region) or (allowed_regions and
                                                                           region not in allowed_regions):
                known = f" (the target's regions: {', '.join(allowed_regions)})" if allowed_regions else ""
                self.findings.append(Finding(file, key_line(doc, "region"), f"unknown region {region!r}{known}",
                                             path="region"))
                return False, None
        return target, region

    def _entry(self, place: _Place, spec: KindSpec, section: str, entries: list[Any], i: int) -> DesiredResource | None:
        file, target, region, pasted = place.file, place.target, place.region, place.pasted
        entry = entries[i]
        line = key_line(entries, i) or getattr(entry, "line", None) or 1
        if not isinstance(entry, dict):
            self.findings.append(Finding(file, line, f"an entry must be a mapping, got {type_name(entry)}",
                                         path=f"{section}[{i}]"))
            return None
        name = entry.get(spec.name_field)
        label = name if isinstance(name, str) else f"{section}[{i}]"
        before = len(self.findings)
        resolved = self._resolve(entry, file, label, "")
        resolved = self._drop_pasted(spec, resolved, pasted)
        if len(self.findings) == before:
            validate_entry(resolved, spec.create_operation, file, label, self.findings)
        if len(self.findings) != before or not isinstance(name, str):
            return None
        return DesiredResource(name=name, target=target, spec=resolved, file=file, line=line, kind=spec.kind,
                               region=region)

    def _drop_pasted(self, spec: KindSpec, entry: MarkedDict, pasted: list[str]) -> MarkedDict:
        """Fields only a Describe answer has (ARN, times, status...) are accepted and ignored (SPEC §2)."""
        describe = sagemaker_model().operation_model(spec.create_operation.replace("Create", "Describe", 1))
        create = sagemaker_model().operation_model(spec.create_operation).input_shape.members
        read_only = (set(describe.output_shape.members) - set(create)) | {"ResponseMetadata"}
        found = [k for k in entry if k in read_only]
        if not found:
            return entry
        pasted.extend(found)
        kept = MarkedDict({k: v for k, v in entry.items() if k not in read_only})
        kept.line, kept.lines = entry.line, {k: v for k, v in entry.lines.items() if k not in read_only}
        if spec.kind is Kind.MODEL and "PrimaryContainer" in kept and kept.get("Containers") == [
                kept["PrimaryContainer"]]:
            del kept["Containers"]  # describe-model echoes the primary container in both forms
        return kept

    def _resolve(self, value: Any, file: str, name: str, path: str) -> Any:
        """Drop nulls and empties (absent everywhere), read ``!env NAME``, refuse CloudFormation intrinsics."""
        if isinstance(value, EnvRef):
            return self._env(value, file, name, path)
        if isinstance(value, dict):
            intrinsic = next((k for k in value if isinstance(k, str) and (k == "Ref" or k.startswith("Fn::"))), None)
            if intrinsic is not None and len(value) == 1:
                self.findings.append(Finding(file, key_line(value, intrinsic), f"{intrinsic} is a CloudFormation "
                                             "intrinsic function: resolve it to its value", model=name, path=path))
                return MarkedDict()
            out = MarkedDict()
            out.line = getattr(value, "line", None)
            for key, item in value.items():
                child = self._resolve(item, file, name, f"{path}.{key}" if path else str(key))
                # Empty and absent are the same, validation included; only an empty Tags means something.
                if child is None or (child in ({}, []) and not (path == "" and key == "Tags")):
                    continue
                out[key] = child
                out.lines[key] = key_line(value, key) or out.line or 0
            return out
        if isinstance(value, list):
            items = MarkedList()
            items.line = getattr(value, "line", None)
            for i, item in enumerate(value):
                items.append(self._resolve(item, file, name, f"{path}[{i}]"))
                items.lines.append(key_line(value, i) or items.line or 0)
            return items
        return value

    def _env(self, ref: EnvRef, file: str, name: str, path: str) -> str:
        variable = str(ref)
        if variable not in self.env:
            self.findings.append(Finding(file, ref.line, f"environment variable {variable} is not set (used as !env)",
                                         model=name, path=path))
            return ""
        value = self.env[variable]
        if redact.is_secret(variable, value) or redact.is_secret_key(path.rsplit(".", 1)[-1]):
            self.secrets.add(value)
        return value
