"""Run settings: what the config file and the command line decide, merged and validated.

The config file (`tfllint.toml`, or `[tool.tfllint]` in pyproject.toml) and the command
line use the same keys; a value given on the command line replaces the file's. Unknown
keys are errors, so a typo never silently disables a check.
"""
from __future__ import annotations

import fnmatch
from typing import Any, Mapping

from ..analyses.runtime import runtime_version_note
from ..errors import ConfigError
from ..records import field, record, replace
from ..sizes import parse_size
from ..versions import parse_version
from .rule import SEVERITIES, Rule

FAIL_ON_CHOICES = SEVERITIES + ("none",)
# LiteRT's hardware accelerators (kLiteRtHwAccelerator*), as --accelerators names them
ACCELERATORS = ("cpu", "gpu", "npu")


@record
class ModelIgnore:
    """Silence `rules` on models matching `models`, optionally only at matching ops/tensors."""

    models: str
    rules: tuple[str, ...]
    op: str | None = None
    tensor: str | None = None


@record
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    fail_on: str = "error"
    runtime_version: tuple[int, ...] | None = None
    per_model_ignores: tuple[ModelIgnore, ...] = ()
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    rules_paths: tuple[str, ...] = ()
    format: str = "text"
    targets: tuple[str, ...] = ()
    android_api: int | None = None  # NNAPI: the device's Android API level
    max_delegated_partitions: int | None = None  # GPU-style delegates; None: the profile's
    # LiteRT CompiledModel accelerator set (kLiteRtHwAccelerator*): without "cpu", an op a
    # CompiledModel accelerator target leaves off fails the whole compile (TFL302); None:
    # each such target's accelerator with the CPU, the set whose compile partitions
    accelerators: tuple[str, ...] | None = None
    soc: str | None = None  # --soc: the SoC of NPU targets whose verdicts differ by SoC
    max_partitions: int | None = None  # TFL303: more accelerated partitions is a finding
    min_on_target: float | None = None  # TFL304: smaller share of ops or MACs (0..1)
    memory_budget: int | None = None  # bytes of RAM for activations (TFL401, TFL402)
    weights_budget: int | None = None  # bytes of flash/parameter memory (TFL403)
    # the TFLite Micro build whose arena is planned and budgeted: 64 (the host build, as
    # tflite-micro's Python interpreter) or 32 (a 32-bit microcontroller)
    tflm_word_size: int = 64
    # run preview rules and apply preview severities (--preview; see tfllint.engine.rule)
    preview: bool = False
    # untrusted mode (--untrusted): the model comes from outside; run every rule declared
    # with an untrusted_severity, preview or not, at that severity, and the checks that
    # hold only for TFLite Micro as if a TFLM target were named (see tfllint.engine.rule)
    untrusted: bool = False
    # a baseline file (tfllint.baseline): findings recorded in it are not reported
    baseline: str | None = None
    config_path: str | None = None
    base_directory: str = "."  # per-model-ignore globs are relative to the config file


def _string_list(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings, got {value!r}")
    return tuple(value)


def _per_model_ignores(value: Any) -> tuple[ModelIgnore, ...]:
    if not isinstance(value, Mapping):
        raise ConfigError("per-model-ignores must be a table of model glob = [rules] "
                          "or model glob = { rules = [...], op = \"glob\", tensor = \"glob\" }")
    ignores = []
    for models, entry in value.items():
        if isinstance(entry, Mapping):
            unknown = set(entry) - {"rules", "op", "tensor"}
            if unknown:
                raise ConfigError(f"per-model-ignores.{models!r}: unknown key(s) "
                                  + ", ".join(sorted(unknown)))
            rules = _string_list(entry.get("rules", []), f"per-model-ignores.{models!r}.rules")
            ignores.append(ModelIgnore(models, rules, entry.get("op"), entry.get("tensor")))
        else:
            ignores.append(ModelIgnore(models, _string_list(entry, f"per-model-ignores.{models!r}")))
    return tuple(ignores)


# key in the file/CLI -> (Settings field, converter)
_KEYS = {
    "select": ("select", lambda v: _string_list(v, "select")),
    "ignore": ("ignore", lambda v: _string_list(v, "ignore")),
    "severity": ("severity", lambda v: _severity_table(v)),
    "fail-on": ("fail_on", lambda v: _choice(v, FAIL_ON_CHOICES, "fail-on")),
    "runtime-version": ("runtime_version", lambda v: parse_version(v)),
    "per-model-ignores": ("per_model_ignores", _per_model_ignores),
    "rule-options": ("rule_options", lambda v: _rule_options(v)),
    "rules-path": ("rules_paths", lambda v: _string_list(v, "rules-path")),
    "format": ("format", lambda v: _string(v, "format")),
    "target": ("targets", lambda v: _string_list(v, "target")),
    "android-api": ("android_api", lambda v: _positive_int(v, "android-api")),
    "max-delegated-partitions": ("max_delegated_partitions",
                                 lambda v: _positive_int(v, "max-delegated-partitions")),
    "accelerators": ("accelerators", lambda v: _accelerators(v, "accelerators")),
    "soc": ("soc", lambda v: _string(v, "soc").upper() or None),
    "max-partitions": ("max_partitions", lambda v: _positive_int(v, "max-partitions")),
    "min-on-target": ("min_on_target", lambda v: _share(v, "min-on-target")),
    "memory-budget": ("memory_budget", lambda v: _size(v, "memory-budget")),
    "weights-budget": ("weights_budget", lambda v: _size(v, "weights-budget")),
    "tflm-word-size": ("tflm_word_size", lambda v: _word_size(v, "tflm-word-size")),
    "preview": ("preview", lambda v: _boolean(v, "preview")),
    "untrusted": ("untrusted", lambda v: _boolean(v, "untrusted")),
    "baseline": ("baseline", lambda v: _string(v, "baseline") or None),
}
CONFIG_KEYS = tuple(_KEYS)


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise ConfigError(f"{key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _positive_int(value: Any, key: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or isinstance(value, float) or number < 1:
        raise ConfigError(f"{key} must be a whole number of at least 1, got {value!r}")
    return number


def _accelerators(value: Any, key: str) -> tuple[str, ...]:
    """A set of LiteRT accelerators, "gpu,cpu" or ["gpu", "cpu"], each once."""
    names = _string_list(value, key)
    unknown = [name for name in names if name not in ACCELERATORS]
    if unknown or not names:
        raise ConfigError(f"{key} must list one or more of {', '.join(ACCELERATORS)} "
                          f"(comma-separated), got {value!r}")
    return tuple(dict.fromkeys(names))


def _share(value: Any, key: str) -> float:
    """A share as 0.8, 80 or "80%"; stored as a fraction."""
    text = str(value).strip()
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise ConfigError(f"{key} must be a share like 80% or 0.8, got {value!r}") from None
    if text.endswith("%") or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise ConfigError(f"{key} must lie between 0% and 100%, got {value!r}")
    return number


def _size(value: Any, key: str) -> int:
    """Bytes, from a whole number of bytes or text like "256KiB" (tfllint.sizes)."""
    try:
        return parse_size(value)
    except ValueError as error:
        raise ConfigError(f"{key}: {error}") from None


def _word_size(value: Any, key: str) -> int:
    if isinstance(value, bool) or str(value).strip() not in ("32", "64"):
        raise ConfigError(f"{key} must be 32 (a microcontroller's TFLite Micro build) or 64 "
                          f"(a 64-bit host build), got {value!r}")
    return int(str(value).strip())


def _boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, got {value!r}")
    return value


def _severity_table(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError("severity must be a table of rule = \"error\"|\"warning\"|\"info\"")
    return {str(k): _choice(v, SEVERITIES, f"severity.{k}") for k, v in value.items()}


def _rule_options(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ConfigError("rule-options must be a table of tables: [rule-options.TFL103]")
    return {str(k): dict(v) for k, v in value.items()}


def settings_from_mapping(values: Mapping[str, Any], source: str,
                          base: Settings | None = None) -> Settings:
    """Apply `values` (config-file or command-line keys) on top of `base`."""
    unknown = [key for key in values if key not in _KEYS]
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(map(repr, sorted(unknown)))}; "
                          f"known keys: {', '.join(CONFIG_KEYS)}")
    changes = {}
    for key, value in values.items():
        field_name, convert = _KEYS[key]
        try:
            changes[field_name] = convert(value)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None
    return replace(base or Settings(), **changes)


def settings_notes(settings: Settings) -> tuple[str, ...]:
    """What the user should hear about valid settings before the run: a one-line note
    each, not an error (the command line prints them on stderr, "tfllint: note: ...")."""
    return tuple(note for note in (runtime_version_note(settings.runtime_version),) if note)


# -- resolving settings against the loaded rules ---------------------------------------

def selector_matches(selector: str, rule: Rule) -> bool:
    """A selector is ALL, a rule-ID prefix (TFL1, TFL101) or a rule name."""
    selector = selector.strip()
    return (selector.upper() == "ALL" or rule.id.startswith(selector.upper())
            or selector == rule.name)


def check_against_rules(settings: Settings, rules: tuple[Rule, ...], source: str) -> None:
    """Every selector must name a rule and every rule option must exist: a typo is an
    error naming `source`, not a silent no-op."""
    named = [*settings.select, *settings.ignore, *settings.severity, *settings.rule_options,
             *(s for ignore in settings.per_model_ignores for s in ignore.rules)]
    try:
        for selector in named:
            if not any(selector_matches(selector, rule) for rule in rules):
                raise ConfigError(f"{selector!r} matches no rule; `tfllint rules` lists them")
        for rule in rules:
            options_for(rule, settings)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None


def enabled_rules(settings: Settings, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The rules a run enables. A preview rule runs only with preview on, as in ruff.
    Selecting one by its full ID or name without preview is an error (ruff warns that the
    selection has no effect): the rule the user asked for would silently not run. A prefix
    or ALL leaves preview rules out without a word."""
    def untrusted(rule: Rule) -> bool:  # a rule untrusted mode adds, preview or not
        return settings.untrusted and rule.untrusted_severity is not None

    def enabled(rule: Rule) -> bool:
        selected = not settings.select or any(selector_matches(s, rule) for s in settings.select)
        return (selected or untrusted(rule)) and \
            not any(selector_matches(s, rule) for s in settings.ignore)

    if not settings.preview:
        for rule in rules:
            named = [s for s in settings.select
                     if s.strip().upper() == rule.id or s.strip() == rule.name]
            if rule.preview and named and not untrusted(rule):
                raise ConfigError(f"select {named[0]!r}: {rule.id} is a preview rule; "
                                  "add --preview (or preview = true in the config) to run it")
    return tuple(rule for rule in rules
                 if enabled(rule) and (settings.preview or not rule.preview or untrusted(rule)))


def severity_for(rule: Rule, settings: Settings) -> str:
    # The most specific override wins: a full ID or name beats a prefix. Without one, a
    # preview severity applies only with preview on, an untrusted one in untrusted mode.
    best, best_length = rule.default_severity(settings.preview, settings.untrusted), -1
    for selector, severity in settings.severity.items():
        if selector_matches(selector, rule) and len(selector) > best_length:
            best, best_length = severity, len(selector)
    return best


def options_for(rule: Rule, settings: Settings) -> dict[str, Any]:
    options = rule.default_options()
    declared = {option.name: option for option in rule.options}
    for selector in (rule.id, rule.name):
        for name, value in settings.rule_options.get(selector, {}).items():
            if name not in declared:
                known = ", ".join(declared) or "none"
                raise ConfigError(f"unknown option {name!r} for {rule.id}; its options: {known}")
            options[name] = declared[name].coerce(value, rule.id)
    return options


def model_matches(pattern: str, model_path: str, base_directory: str) -> bool:
    """Match a per-model-ignore glob against the model path, relative to the config."""
    from pathlib import Path, PurePath  # here: only a config with per-model-ignores needs it

    path = PurePath(model_path)
    candidates = {path.as_posix(), path.name}
    try:
        candidates.add(Path(model_path).resolve().relative_to(
            Path(base_directory).resolve()).as_posix())
    except ValueError:
        pass
    return any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates)
