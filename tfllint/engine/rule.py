"""The rule API: how a rule declares itself and what it reports.

A rule is a pure function decorated with `@rule(...)`. It receives a `RuleContext` (the
model view, the shared analyses, its own options, the run's settings) and yields
`Violation`s. The engine, not the rule, stamps the ID and the configured severity onto
each violation to make a `Finding`.

    @rule(id="TFL101", name="flex-op-needs-select-tf-ops", severity="error")
    def check(ctx: RuleContext) -> Iterator[Violation]:
        '''What it finds ... Why it matters ... Example ... How to fix ...'''

Preview (so that an upgrade does not break a pipeline): a new rule is declared
`preview=True`, and a rule whose severity rises keeps its stable `severity` and declares
the new one as `preview_severity`:

    @rule(id="TFL612", name="...", severity="warning", preview=True)      # a new rule
    @rule(id="TFL303", name="...", severity="warning", preview_severity="error")

Without preview on (`--preview`, or `preview = true` in the config) a preview rule does
not run and a preview severity is not applied; with it both are. In the next minor
release the rule graduates: `preview=True` is dropped, or `preview_severity` becomes
`severity`, and CHANGELOG.md says so. A preview severity must be higher than the stable
one (a severity that falls breaks no pipeline and needs no preview), and a preview rule
has no preview severity (its `severity` is the one preview applies).

Untrusted mode (`--untrusted`, `untrusted = true`): a rule that matters for a model from
outside declares `untrusted_severity`, its severity in that mode (at least `severity`):

    @rule(id="TFL110", name="...", severity="warning", preview=True,
          untrusted_severity="error")

Untrusted mode runs every such rule, a preview one too (without turning on the other
preview rules), on top of the selection, and applies its untrusted severity; --ignore and
a user's --severity still win.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..records import field, record

if TYPE_CHECKING:
    from ..analyses import Analyses
    from ..view import ModelView
    from .settings import Settings

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
# A rule that raised: not a judgement of the model but a failure of tfllint, counted
# apart from the severities and always exit code 2.
FAILURE = "failure"
DOC_SECTIONS = ("What it finds", "Why it matters", "Example", "How to fix")
RULE_ID = re.compile(r"^[A-Z]{2,8}[0-9]{3,4}$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@record
class Location:
    """Where in the model a finding is; every field is optional.

    `key` is stamped by the engine: a name that survives edits elsewhere in the model
    (op type and output tensor name for an op, the tensor name for a tensor), for
    fingerprints, baselines and diffs. It does not take part in comparisons.
    """

    subgraph: int | None = None
    op_index: int | None = None
    op: str | None = None
    tensor: str | None = None
    tensor_index: int | None = None
    buffer: int | None = None  # for data that no tensor refers to
    key: str | None = field(default=None, compare=False)


@record
class Violation:
    """What a rule reports: a message, where, and optionally a target and a fix hint.

    One violation is one cause. A rule that finds one cause at many places (31 ops that
    fall back for one reason) yields one violation with all of them in `locations`;
    `location` is then the first. The engine also merges violations of one rule with the
    same target and fix whose `cause` (by default the message) is the same: a rule whose
    messages name their place gives them a `cause` ("nan-in-weights") to be grouped,
    and the merged finding keeps the first message as the example.
    """

    message: str
    location: Location = field(default_factory=Location)
    target: str | None = None
    fix: str | None = None
    locations: tuple[Location, ...] = ()
    cause: str | None = None

    def __post_init__(self) -> None:
        if self.locations:
            object.__setattr__(self, "location", self.locations[0])
        else:
            object.__setattr__(self, "locations", (self.location,))


@record
class Finding:
    """A violation stamped by the engine with the rule's identity and severity."""

    rule: str
    name: str
    severity: str
    message: str
    locations: tuple[Location, ...]
    target: str | None = None
    fix: str | None = None
    path: str = ""

    @property
    def location(self) -> Location:
        """The first place: where the finding is anchored in one-line formats."""
        return self.locations[0]


@record
class Option:
    """A typed rule option with a default; unknown option names are rejected on load."""

    name: str
    type: type
    default: Any
    help: str

    def coerce(self, value: Any, rule_id: str) -> Any:
        from ..errors import ConfigError

        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise ConfigError(f"option {self.name!r} of {rule_id} must be "
                              f"{self.type.__name__}, got {value!r}")
        return value


@record
class RuleContext:
    """Everything a rule may read: it must not change any of it."""

    view: ModelView
    analyses: Analyses
    options: Mapping[str, Any]
    settings: Settings


CheckFunction = Callable[[RuleContext], Iterable[Violation]]


@record
class Rule:
    id: str
    name: str
    severity: str
    check: CheckFunction
    doc: str
    options: tuple[Option, ...] = ()
    scope: str = "model"
    origin: str = ""  # the module that defined the rule
    # What backs an error (the severity policy): "runtime: <the differential tests>",
    # "source: <the source or document cited>", "gate" (a threshold the user set), or
    # several kinds joined with "+" ("runtime+source: ...").
    evidence: str = ""
    # Preview (see the module docstring): the whole rule, or only a higher severity.
    preview: bool = False
    preview_severity: str | None = None
    # Untrusted mode (see the module docstring): the rule's severity there; None: not
    # one of the untrusted-mode rules.
    untrusted_severity: str | None = None

    @property
    def state(self) -> str:
        """"preview" for a rule that runs only with preview on, else "stable"."""
        return "preview" if self.preview else "stable"

    def default_severity(self, preview: bool = False, untrusted: bool = False) -> str:
        """The severity before user overrides: the untrusted severity in untrusted mode,
        the preview severity only with preview on."""
        if untrusted and self.untrusted_severity:
            return self.untrusted_severity
        return self.preview_severity if preview and self.preview_severity else self.severity

    @property
    def evidence_kinds(self) -> tuple[str, ...]:
        return tuple(self.evidence.split(":", 1)[0].split("+")) if self.evidence else ()

    @property
    def summary(self) -> str:
        """The first line of the documentation."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    def section(self, title: str) -> str:
        """The text of one documentation section (What it finds, Why it matters, ...)."""
        return doc_sections(self.doc).get(title, "")

    def default_options(self) -> dict[str, Any]:
        return {option.name: option.default for option in self.options}


def rule(*, id: str, name: str, severity: str, options: Iterable[Option] = (),
         scope: str = "model", evidence: str = "", preview: bool = False,
         preview_severity: str | None = None,
         untrusted_severity: str | None = None) -> Callable[[CheckFunction], Rule]:
    """Declare a rule; the decorated function's docstring is its documentation.

    `preview=True`: a new rule, run only with preview on; `preview_severity`: the higher
    severity a rule will have in the next minor release, applied only with preview on;
    `untrusted_severity`: the rule is one untrusted mode runs, with this severity."""

    def declare(check: CheckFunction) -> Rule:
        return Rule(id=id, name=name, severity=severity, check=check,
                    doc=clean_docstring(check.__doc__ or ""), options=tuple(options),
                    scope=scope, origin=check.__module__, evidence=evidence,
                    preview=preview, preview_severity=preview_severity,
                    untrusted_severity=untrusted_severity)

    return declare


def clean_docstring(doc: str) -> str:
    """inspect.cleandoc, without importing inspect (and its ast, dis and tokenize) on
    every run: the first line stripped, the others' common indentation removed, blank
    lines at both ends dropped."""
    lines = doc.expandtabs().split("\n")
    margin = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()),
                 default=0)
    lines = [lines[0].lstrip(), *(line[margin:] for line in lines[1:])]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


@lru_cache(maxsize=None)  # every run asks each rule for each section; the docs do not change
def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its titled sections ("What it finds:" lines). The
    result is shared: do not change it."""
    sections: dict[str, str] = {}
    current = None
    lines: list[str] = []
    for line in doc.splitlines():
        title = line.strip().rstrip(":")
        if line.strip().endswith(":") and title in DOC_SECTIONS:
            if current:
                sections[current] = "\n".join(lines).strip()
            current, lines = title, []
        elif current:
            lines.append(line)
    if current:
        sections[current] = "\n".join(lines).strip()
    return sections
