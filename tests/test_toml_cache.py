"""tfllint.toml_files: parsed TOML is kept in a cache keyed by the file, and a cache that is
missing, stale, corrupt or unwritable only costs a parse."""
from __future__ import annotations

import os
import time

import pytest

from tfllint import toml_files
from tfllint.errors import ConfigError
from tfllint.toml_files import read_toml


@pytest.fixture
def cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("TFLLINT_CACHE_DIR", str(directory))
    return directory


def settled(path, text):
    """Write `text` and date it a minute back, as a file that has not just been edited."""
    path.write_text(text)
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


def parses(monkeypatch):
    """Count the parses read_toml does from here on."""
    done = []
    real = toml_files.parse_toml
    monkeypatch.setattr(toml_files, "parse_toml", lambda text, where: done.append(where)
                        or real(text, where))
    return done


def test_a_settled_file_is_parsed_once(cache, tmp_path, monkeypatch):
    table = settled(tmp_path / "a.toml", 'x = 1\n[t]\ny = ["z"]\n')
    counted = parses(monkeypatch)
    assert read_toml(table) == {"x": 1, "t": {"y": ["z"]}}
    assert read_toml(table) == {"x": 1, "t": {"y": ["z"]}}
    assert len(counted) == 1
    assert len(list((cache / "toml").iterdir())) == 1


def test_a_changed_file_is_parsed_again(cache, tmp_path, monkeypatch):
    table = settled(tmp_path / "a.toml", "x = 1\n")
    assert read_toml(table) == {"x": 1}
    settled(table, "x = 22\n")
    assert read_toml(table) == {"x": 22}


def test_a_file_just_written_is_not_cached(cache, tmp_path, monkeypatch):
    table = tmp_path / "a.toml"
    table.write_text("x = 1\n")
    counted = parses(monkeypatch)
    read_toml(table)
    read_toml(table)
    assert len(counted) == 2 and not cache.exists()


def test_a_corrupt_cache_entry_is_parsed_again_and_replaced(cache, tmp_path, monkeypatch):
    table = settled(tmp_path / "a.toml", "x = 1\n")
    read_toml(table)
    (entry,) = (cache / "toml").iterdir()
    entry.write_bytes(b"\x00garbage")
    counted = parses(monkeypatch)
    assert read_toml(table) == {"x": 1} and read_toml(table) == {"x": 1}
    assert len(counted) == 1


def test_the_cache_off_or_unwritable_only_costs_the_parse(tmp_path, monkeypatch):
    table = settled(tmp_path / "a.toml", "x = 1\n")
    monkeypatch.setenv("TFLLINT_CACHE_DIR", "")
    assert read_toml(table) == {"x": 1}
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("TFLLINT_CACHE_DIR", str(blocker))
    assert read_toml(table) == {"x": 1}
    assert blocker.read_text() == ""


def test_dates_are_parsed_but_not_cached(cache, tmp_path):
    table = settled(tmp_path / "a.toml", "when = 2026-12-07\n")
    assert str(read_toml(table)["when"]) == "2026-12-07"
    assert not (cache / "toml").exists() or not list((cache / "toml").iterdir())


@pytest.mark.parametrize("data, problem", [(b"x = = 1\n", "not valid TOML: Invalid value"),
                                           (b"x = '\xff'\n", "not valid TOML: not UTF-8")])
def test_bad_files_are_one_config_error(cache, tmp_path, data, problem):
    table = tmp_path / "bad.toml"
    table.write_bytes(data)
    with pytest.raises(ConfigError, match=f"^profile bad.toml: {problem}"):
        read_toml(table, "profile bad.toml")
