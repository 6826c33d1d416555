"""tfllint.entry_points reads entry_points.txt itself (importlib.metadata is slow to import);
importlib.metadata is the oracle for what it must find."""
from __future__ import annotations

import importlib.metadata

import pytest

from tfllint.entry_points import entry_points


@pytest.mark.parametrize("group", ["tfllint.rules", "tfllint.reporters", "console_scripts",
                                   "pytest11"])
def test_finds_what_importlib_metadata_finds(group):
    expected = sorted((e.name, e.value) for e in importlib.metadata.entry_points(group=group))
    assert sorted((e.name, e.value) for e in entry_points(group)) == expected


def test_first_distribution_on_sys_path_wins_and_loads(tmp_path, monkeypatch):
    for directory, value in (("first", "json:dumps"), ("second", "json:loads")):
        metadata = tmp_path / directory / "Acme_Lint-1.0.dist-info"
        metadata.mkdir(parents=True)
        (metadata / "entry_points.txt").write_text(
            f"# comment\n[other]\nx = os\n\n[tfllint.test]\nacme = {value}\n")
    monkeypatch.syspath_prepend(str(tmp_path / "second"))
    monkeypatch.syspath_prepend(str(tmp_path / "first"))
    found = entry_points("tfllint.test")
    assert [(e.name, e.value) for e in found] == [("acme", "json:dumps")]
    assert found[0].load() is __import__("json").dumps
    assert (sorted((e.name, e.value) for e in importlib.metadata.entry_points(group="tfllint.test"))
            == [("acme", "json:dumps")])


def test_package_modules_finds_what_pkgutil_finds():
    import pkgutil

    import tfllint
    import tfllint.rules
    import tfllint.targets.checks
    from tfllint.entry_points import package_modules

    for package in (tfllint, tfllint.rules, tfllint.targets.checks):
        assert package_modules(package.__path__) == sorted(
            info.name for info in pkgutil.iter_modules(package.__path__))
