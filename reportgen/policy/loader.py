"""Read a policy file safely and validate it, reporting every problem at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from reportgen.errors import PolicyError
from reportgen.policy.schema import Policy

MAX_POLICY_BYTES = 1_000_000
MAX_YAML_NODES = 50_000


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
        """A path named in the policy, made absolute against the policy file's folder."""
        return (self.base_dir / relative).resolve()


def load_policy(path: str | Path) -> LoadedPolicy:
    """Load and validate ``path``.

    Raises:
        PolicyError: the file is missing, not YAML, unsafe, or invalid; ``problems`` lists every
            problem as ``<file>: <key path>: <what is wrong>``.
    """
    path = Path(path)
    raw = _read(path)
    data = _parse(path, raw)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = [f"{path}: {_describe(err)}" for err in exc.errors()]
        summary = problems[0] if len(problems) == 1 else f"{path}: {len(problems)} problems found"
        raise PolicyError(summary, problems) from exc
    return LoadedPolicy(policy=policy, path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest())


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise PolicyError(f"{path}: policy file not found")
    raw = path.read_bytes()
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"{path}: policy file is {len(raw)} bytes, more than the {MAX_POLICY_BYTES} allowed")
    return raw


def _parse(path: Path, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: policy file is not UTF-8 text") from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError(f"{path}: policy file is empty; expected a mapping of policy keys")
        _check_nodes(path, node)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{path}: not valid YAML{line}: {problem}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping of policy keys at the top, got {type(data).__name__}")
    return data


def _check_nodes(path: Path, root: yaml.Node) -> None:
    """Refuse alias bombs (expanded size over MAX_YAML_NODES) and duplicate mapping keys."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise PolicyError(f"{path}: recursive YAML alias at line {node.start_mark.line + 1}")
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        raise PolicyError(
                            f"{path}: duplicate key '{k.value}' at line {k.start_mark.line + 1}"
                        )
                    seen.add(k.value)
                total += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        active.discard(key)
        sizes[key] = total
        if total > MAX_YAML_NODES:
            raise PolicyError(
                f"{path}: YAML expands to more than {MAX_YAML_NODES} nodes through aliases; refused"
            )
        return total

    size(root)


def key_path(loc: tuple[int | str, ...]) -> str:
    """``("models", 0, "path")`` -> ``models[0].path``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(err: Any) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    where = key_path(loc)
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    if kind == "missing":
        return f"{where}: is required"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"{where}: must be {sign} {bound}, got {got!r}"
    if kind == "literal_error":
        return f"{where}: must be {ctx.get('expected')}, got {got!r}"
    if kind == "string_pattern_mismatch":
        return f"{where}: must be a lowercase identifier (letters, digits, '-', '_'), got {got!r}"
    if kind == "too_short":
        return f"{where}: must not be empty"
    if kind == "value_error":
        return f"{where}: {ctx.get('error', err['msg'])}"
    return f"{where}: {err['msg'][0].lower()}{err['msg'][1:]}, got {got!r}"
