"""Every row of the README's "tfllint as a CI gate" table: its example exits with its code
and fires its deciding findings. The rows are read from the README, so the two cannot drift."""
from __future__ import annotations

import json
import re
import shlex

import pytest
from conftest import REPO

ROW_SEVERITY = re.compile(r"`(TFL\d{3})` (error|warning|info)")


def gate_table() -> list[dict]:
    readme = (REPO / "README.md").read_text()
    section = re.search(r"^### tfllint as a CI gate\n(.*?)(?=^#)", readme, re.S | re.M)
    assert section, "README.md has no '### tfllint as a CI gate' section"
    lines = [line for line in section.group(1).splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["case", "example", "deciding findings", "exit code"], header
    rows = []
    for line in lines[2:]:  # after the header and the |---| line
        case, example, findings, code = (cell.strip() for cell in line.strip("|").split("|"))
        command = re.fullmatch(r"`tfllint (.+)`", example)
        assert command, f"{case}: the example should be one `tfllint ...` command"
        rows.append({"case": case, "args": shlex.split(command.group(1)),
                     "findings": findings, "code": int(code)})
    return rows


ROWS = gate_table()


def expected_findings(cell: str) -> set[tuple[str, str]] | None:
    """{(rule, severity)} the row names; set() for 'none'; None when no report is made."""
    if cell == "-":
        return None
    if cell == "none":
        return set()
    pairs = set(ROW_SEVERITY.findall(cell))
    assert pairs and ROW_SEVERITY.sub("", cell).strip(" ,") == "", f"unparsed: {cell!r}"
    return pairs


def run_process(run_cli, *args: str) -> tuple[int, str, str]:
    """run_cli, with an argparse SystemExit turned into the exit code a process would have."""
    try:
        return run_cli(*args)
    except SystemExit as exit:
        return exit.code, "", ""


@pytest.mark.parametrize("row", ROWS, ids=[row["case"] for row in ROWS])
def test_ci_gate_row(row, run_cli, monkeypatch):
    monkeypatch.chdir(REPO)  # the examples name paths under the repository root
    assert not (REPO / "models" / "missing.tflite").exists()
    args = [*row["args"], "--no-config"]
    code, out, err = run_process(run_cli, *args)
    assert code == row["code"], f"{row['case']}: exit {code}, README says {row['code']}\n{out}{err}"

    expected = expected_findings(row["findings"])
    if expected is None:  # no report to look into: a usage error or an unreadable model
        return
    code, out, err = run_cli(*args, "--format", "json")
    assert code == row["code"], err
    found = {(f["rule"], f["severity"]) for model in json.loads(out)["models"]
             for f in model["findings"]}
    if expected:
        assert expected <= found, f"{row['case']}: {sorted(found)}"
    else:
        assert found == set()


def test_table_covers_every_gate_and_case():
    """The cases the section promises are all in the table, with the codes it promises."""
    by_option = {}
    for row in ROWS:
        for option in ("--min-on-target", "--max-partitions", "--memory-budget",
                       "--weights-budget", "--fail-on", "--severity"):
            if option in row["args"]:
                by_option.setdefault(option, set()).add(row["code"])
    assert by_option == {"--min-on-target": {0, 1}, "--max-partitions": {1},
                         "--memory-budget": {1}, "--weights-budget": {1},
                         "--fail-on": {1, 2}, "--severity": {0}}
    assert [row["code"] for row in ROWS].count(2) >= 3  # unreadable model, usage, config
    assert {row["code"] for row in ROWS} == {0, 1, 2}


def test_user_set_thresholds_are_errors_by_default():
    """TFL303/TFL304 (the gates --max-partitions/--min-on-target) are errors like the budgets."""
    from tfllint.engine.registry import load_rules

    severity = {rule.id: rule.severity for rule in load_rules()}
    for rule_id in ("TFL303", "TFL304", "TFL401", "TFL402", "TFL403"):
        assert severity[rule_id] == "error", rule_id
