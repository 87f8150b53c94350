"""Read a policy file safely and validate it, reporting every problem at once.

Each problem is one line, ``<file>: <key path>: <what is wrong, what was expected, what was
got>``; problems that concern the whole file (empty, not YAML, unsafe) name the file and, where
known, the line.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import BaseModel, ValidationError

from reportgen.errors import PolicyError
from reportgen.policy.consistency import cross_key_problems
from reportgen.policy.registry_models import is_registry_name, registry_file
from reportgen.policy.schema import (
    SLUG_PATTERN,
    SLUG_WORDS,
    Policy,
    annotation_at,
    literal_values,
    model_keys,
    type_in_words,
)

MAX_POLICY_BYTES = 1_000_000
MAX_YAML_NODES = 50_000
MAX_YAML_DEPTH = 32
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"  # the `<<: *defaults` key: merges a mapping in
_SAFE_TAGS = frozenset(
    [_MERGE_TAG, *(tag for tag in yaml.SafeLoader.yaml_constructors if tag is not None)]
)


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated policy with the file it came from and its content hash."""

    policy: Policy
    path: Path
    sha256: str

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path named in the policy, made absolute against the policy file's folder, with
        every symbolic link followed; a registered model (``models:/NAME/VERSION``) is the file
        its registry holds (:mod:`reportgen.policy.registry_models`)."""
        if is_registry_name(relative):
            return registry_file(relative)
        return (self.base_dir / relative).resolve()

    def shown(self, relative: str) -> str:
        """How messages name a policy path: where it leads, and the link it went through."""
        if is_registry_name(relative):
            return f"{relative} (the file {self.resolve(relative)})"
        written = Path(os.path.normpath(self.base_dir / relative))
        target = self.resolve(relative)
        return str(target) if written == target else f"{written} (a link to {target})"


def load_policy(path: str | Path, *, root: str | Path | None = None) -> LoadedPolicy:
    """Load and validate ``path``.

    Args:
        root: when given, every file the policy names (models, preprocessing, training logs,
            datasets, candidates) must lead, after following links, to a place inside this folder.

    Raises:
        PolicyError: the file is missing, not YAML, unsafe, or invalid, or names a file outside
            ``root``; ``problems`` lists every problem as ``<file>: <key path>: <what is wrong>``.
    """
    path = Path(path)
    raw = _read(path)
    data = _parse(path, raw)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        _raise_all(path, [_describe(err) for err in exc.errors()], exc)
    loaded = LoadedPolicy(
        policy=policy, path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest()
    )
    problems = cross_key_problems(policy)
    if root is not None:
        problems += _outside_root(loaded, Path(root).resolve())
    if problems:
        _raise_all(path, [f"{key_path(loc)}: {message}" for loc, message in problems])
    return loaded


def _outside_root(loaded: LoadedPolicy, root: Path) -> list[tuple[tuple[int | str, ...], str]]:
    """The policy's file paths that lead outside ``root``."""
    named: list[tuple[tuple[int | str, ...], str | None]] = []
    for i, model in enumerate(loaded.policy.models):
        named += [(("models", i, "path"), model.path)]
        named += [(("models", i, "preprocessing"), model.preprocessing)]
        log = model.training_log
        named += [(("models", i, "training_log", "path"), log.path if log else None)]
    for role in ("reference", "evaluation"):
        named.append((("datasets", role, "path"), getattr(loaded.policy.datasets, role).path))
    for i, edit in enumerate(loaded.policy.edits.assess if loaded.policy.edits else []):
        named += [(("edits", "assess", i, "path"), getattr(edit, "path", None))]
    problems: list[tuple[tuple[int | str, ...], str]] = []
    for loc, relative in named:
        target = loaded.resolve(relative) if relative is not None else root
        if not target.is_relative_to(root):
            problems.append(
                (loc, f"'{relative}' leads to {target}, outside the allowed root {root}")
            )
    return problems


def _raise_all(path: Path, problems: list[str], cause: Exception | None = None) -> NoReturn:
    lines = [f"{path}: {problem}" for problem in problems]
    summary = lines[0] if len(lines) == 1 else f"{path}: {len(lines)} problems found"
    raise PolicyError(summary, lines) from cause


def _read(path: Path) -> bytes:
    if path.is_dir():
        raise PolicyError(f"{path}: is a folder; expected a policy file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: policy file not found") from exc
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc.strerror})") from exc
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(
            f"{path}: policy file is {len(raw)} bytes; at most {MAX_POLICY_BYTES} are allowed"
        )
    return raw


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"{path}: policy file is not UTF-8 text (undecodable byte at offset {exc.start})"
        ) from exc
    try:
        loader = yaml.SafeLoader(text)  # refuses control characters such as NUL up front
    except yaml.reader.ReaderError as exc:
        raise PolicyError(f"{path}: {_unprintable(text, exc)}") from exc
    try:
        _check_depth(path, text)
        node = loader.get_single_node()
        if node is None:
            raise PolicyError(f"{path}: policy file is empty; expected a mapping of policy keys")
        _check_nodes(path, node)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: {_yaml_problem(exc)}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise PolicyError(
            f"{path}: (top level): must be a mapping of policy keys "
            f"({', '.join(model_keys(Policy))}), got {_show(data)}"
        )
    return data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """``line 3, column 5: not valid YAML: <problem> (<context> that starts at line 2)``."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and problem.startswith("but "):
        problem = f"{context}, {problem}"
    elif context and context_mark is not None:
        problem += f" ({context} that starts at line {context_mark.line + 1})"
    elif context:
        problem += f" ({context})"
    hint = next((h for p, h in _YAML_HINTS.items() if problem.startswith(p)), "")
    return f"{where}not valid YAML: {problem}{hint}"


def _unprintable(text: str, exc: yaml.reader.ReaderError) -> str:
    """``line 2, column 11: not valid YAML: control character U+0000 is not allowed``."""
    before = text[: exc.position]
    line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return (
        f"line {line}, column {column}: not valid YAML: control character U+{code:04X} is not "
        "allowed in a policy"
    )


_YAML_HINTS = {
    "mapping values are not allowed": "; check the indentation, or quote a value holding ': '",
    "found character '\\t'": "; indent with spaces, not tabs",
}


def _check_depth(path: Path, text: str) -> None:
    """Refuse nesting deeper than MAX_YAML_DEPTH before composing, whose recursion it would
    exhaust. Scanning tokens is iterative, so any depth is safe to measure."""
    opening = (
        yaml.BlockMappingStartToken,
        yaml.BlockSequenceStartToken,
        yaml.FlowMappingStartToken,
        yaml.FlowSequenceStartToken,
    )
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, opening):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                mark = token.start_mark
                raise PolicyError(
                    f"{path}: line {mark.line + 1}, column {mark.column + 1}: YAML is nested "
                    f"more than {MAX_YAML_DEPTH} levels deep; refused"
                )
        elif isinstance(token, closing):
            depth -= 1


def _check_nodes(path: Path, root: yaml.Node) -> None:
    """Refuse what ``safe_load`` would accept but a policy must not hold: alias bombs (expanded
    size over MAX_YAML_NODES), recursive aliases, duplicate or non-text mapping keys, and tags
    outside plain YAML. Collects every key and tag problem."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    problems: list[str] = []

    def size(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            message = f"YAML alias refers back to its own parent (anchor at line {_line(node)})"
            _raise_all(path, [f"{key_path(loc)}: {message}; refused"])
        active.add(key)
        problems.extend(_node_problems(node, loc))
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k, loc) + size(v, (*loc, str(k.value)))
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(child, (*loc, i)) for i, child in enumerate(node.value))
        active.discard(key)
        sizes[key] = total
        if total > MAX_YAML_NODES:
            message = f"YAML anchors and aliases expand to more than {MAX_YAML_NODES} values"
            _raise_all(path, [f"{message} (an alias bomb); refused"])
        return total

    size(root, ())
    if problems:
        _raise_all(path, problems)


def _node_problems(node: yaml.Node, loc: tuple[int | str, ...]) -> list[str]:
    where = key_path(loc)
    problems = []
    if node.tag not in _SAFE_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        problems.append(
            f"{where}: YAML tag '{tag}' at line {_line(node)} is refused; "
            "a policy holds plain data only"
        )
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.tag == _MERGE_TAG:
                continue
            if not (isinstance(k, yaml.ScalarNode) and k.tag == _STR_TAG):
                shown = k.value if isinstance(k, yaml.ScalarNode) else "a collection"
                reads_as = _TAG_WORDS.get(k.tag, k.tag.replace("tag:yaml.org,2002:", "!!"))
                problems.append(
                    f"{key_path((*loc, str(shown)))}: key at line {_line(k)} must be a name "
                    f"(text), but YAML reads it as {reads_as}; put it in quotes"
                )
            elif k.value in first_line:
                problems.append(
                    f"{key_path((*loc, k.value))}: duplicate key at line {_line(k)} "
                    f"(first written at line {first_line[k.value]}); write each key once"
                )
            else:
                first_line[k.value] = _line(k)
    return problems


_TAG_WORDS = {
    "tag:yaml.org,2002:bool": "true/false",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:map": "a mapping",
    "tag:yaml.org,2002:seq": "a list",
}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def key_path(loc: tuple[int | str, ...]) -> str:
    """``("models", 0, "path")`` -> ``models[0].path``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_EXPECTED_TYPE = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_BOUND_SIGNS = {
    "greater_than_equal": ">=",
    "greater_than": ">",
    "less_than_equal": "<=",
    "less_than": "<",
}


def _describe(err: Any) -> str:
    """One pydantic error as ``<key path>: <what is wrong, expected, got>``."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    if kind in ("extra_forbidden", "invalid_key"):
        return f"{key_path(loc)}: {_unknown_key(loc)}"
    where = key_path(loc)
    if kind == "missing":
        expected = annotation_at(loc)
        hint = f"; expected {_expected_words(loc)}" if expected is not None else ""
        return f"{where}: required key is missing{hint}"
    if kind in _EXPECTED_TYPE:
        expected = _expected_words(loc, kind)
        return f"{where}: must be {expected}, got {_show(got)}{_quote_hint(kind, got)}"
    if kind == "finite_number":
        return f"{where}: must be a finite number, got {_show(got)}"
    if kind in _BOUND_SIGNS:
        bound = next(iter(ctx.values()))
        return f"{where}: must be {_BOUND_SIGNS[kind]} {bound}, got {_show(got)}"
    if kind == "literal_error":
        return f"{where}: must be {ctx.get('expected')}, got {_show(got)}{_did_you_mean(got, loc)}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        words = SLUG_WORDS if pattern == SLUG_PATTERN else f"text matching {pattern}"
        return f"{where}: must be {words}, got {_show(got)}"
    return f"{where}: {_describe_other(kind, ctx, got, err)}"


def _describe_other(kind: str, ctx: dict[str, Any], got: Any, err: Any) -> str:
    if kind == "string_too_short":
        return f"must not be empty, got {_show(got)}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        least = "at least" if kind == "too_short" else "at most"
        items = "item" if bound == 1 else "items"
        return f"must list {least} {bound} {items}, got {ctx.get('actual_length')}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters, got {len(str(got))}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    msg = err["msg"]
    return f"{msg[0].lower()}{msg[1:]}, got {_show(got)}"


def _expected_words(loc: tuple[int | str, ...], kind: str = "") -> str:
    """What belongs at ``loc``, in words; mappings name their keys."""
    annotation = annotation_at(loc)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"a mapping with keys {', '.join(model_keys(annotation))}"
    if annotation is None:
        return _EXPECTED_TYPE.get(kind, "something else")
    return type_in_words(annotation)


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    key = str(loc[-1]) if loc else ""
    parent = annotation_at(loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return "unknown key"
    allowed = model_keys(parent)
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key; expected one of {', '.join(allowed)}"


def _did_you_mean(got: Any, loc: tuple[int | str, ...]) -> str:
    if not isinstance(got, str):
        return ""
    close = difflib.get_close_matches(got, literal_values(annotation_at(loc)), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _quote_hint(kind: str, got: Any) -> str:
    if kind != "string_type":
        return ""
    if isinstance(got, bool):
        return " (YAML reads unquoted yes/no/on/off as true/false; quote it)"
    if isinstance(got, int | float):
        return " (put it in quotes to make it text)"
    return ""


def _show(value: Any) -> str:
    """A value as the policy author wrote it, short."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, float) and not math.isfinite(value):
        return {"inf": ".inf", "-inf": "-.inf"}.get(str(value), ".nan")
    return str(value)
