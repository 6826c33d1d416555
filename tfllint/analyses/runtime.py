"""Which runtime release a model needs, from its op codes and versions.

Two tables, both extracted from LiteRT's sources (rules/data/*.toml cite the commit):
op_runtime_versions (runtime_version.cc: the first release that runs each op version)
and builtin_op_versions (register.cc: the versions the newest runtime registers).
"""
from __future__ import annotations

from ..records import record
from ..versions import format_version, parse_version
from ..model import OperatorCode
from .data import load_data_table

MIN_RUNTIME_METADATA = "min_runtime_version"


@record
class OpRequirement:
    opcode: OperatorCode
    # First release that runs this (op, version); None when the table has no entry.
    min_runtime: tuple[int, ...] | None
    # Version range the newest runtime registers; None when it has no kernel for the op.
    registered: tuple[int, int] | None


@record
class RuntimeAnalysis:
    requirements: tuple[OpRequirement, ...]
    required_min_version: tuple[int, ...] | None
    declared_min_version: str | None  # as written in the metadata, None when absent/empty

    @property
    def required_text(self) -> str | None:
        return format_version(self.required_min_version) if self.required_min_version else None

    def set_by(self) -> str:
        """The op versions that set the required minimum, e.g. "CONV_2D v5, MUL v4"."""
        return ", ".join(sorted({f"{r.opcode.name} v{r.opcode.version}"
                                 for r in self.requirements
                                 if r.min_runtime and r.min_runtime == self.required_min_version}))


def min_runtime_for(name: str, version: int) -> tuple[int, ...] | None:
    releases = load_data_table("op_runtime_versions")["ops"].get(name, {})
    release = releases.get(str(version))
    return parse_version(release) if release else None


def newest_known_release() -> tuple[int, int]:
    """(major, minor) of the newest release the op-version table names: past it, tfllint
    cannot know which op versions a runtime added."""
    releases = load_data_table("op_runtime_versions")["ops"].values()
    return max(parse_version(release)[:2] for ops in releases for release in ops.values())


def runtime_version_note(runtime: tuple[int, ...] | None) -> str | None:
    """What to tell a user whose runtime is newer than the table, or None. Not an error:
    the model is still checked, and as if for the newest release tfllint knows, since
    every op version the table lists ran by then. Only a newer minor (or major) release
    counts: the table labels patch releases of its last minor series too."""
    newest = newest_known_release()
    if runtime is None or runtime[:2] <= newest:
        return None
    known = format_version(newest)
    return (f"tfllint's op-version table ends at LiteRT {known}; runtime-version "
            f"{format_version(runtime)} is checked as {known}: op versions added later are "
            "not known")


def registered_range(name: str) -> tuple[int, int] | None:
    entry = load_data_table("builtin_op_versions")["ops"].get(name)
    return (entry["min"], entry["max"]) if entry else None


def registered_custom_range(custom_code: str) -> tuple[int, int] | None:
    """The versions of a custom op the builtin resolver registers itself (e.g. Mfcc)."""
    entry = load_data_table("builtin_op_versions")["custom_ops"].get(custom_code)
    return (entry["min"], entry["max"]) if entry else None


def analyze_runtime(opcodes: tuple[OperatorCode, ...], declared: bytes | None) -> RuntimeAnalysis:
    # The interpreter resolves every operator code in the file, used or not, so all count.
    requirements = tuple(
        OpRequirement(opcode=code,
                      min_runtime=min_runtime_for(code.name, code.version),
                      registered=registered_range(code.name))
        for code in opcodes if code.is_known and code.name != "CUSTOM")
    versions = [r.min_runtime for r in requirements if r.min_runtime]
    return RuntimeAnalysis(requirements=requirements,
                           required_min_version=max(versions) if versions else None,
                           declared_min_version=_declared_text(declared))


def _declared_text(raw: bytes | None) -> str | None:
    """The converter writes the version NUL-padded into a 16-byte buffer; empty means none."""
    if raw is None:
        return None
    text = bytes(raw).split(b"\0", 1)[0].decode("ascii", errors="replace").strip()
    return text or None
