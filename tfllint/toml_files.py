"""Read TOML files (the shipped data tables and target profiles, config files), keeping what
was parsed in a cache.

tomllib is pure Python: importing it and parsing the op tables and one target profile take
about 15 ms, a fifth of a whole run on a small model, on every run of a pre-commit hook.
So each file parsed is kept in the user's cache directory as marshal data (what Python
uses for its own .pyc files), under a key of the file's path, inode, size and modification
time, the Python version and tfllint's version: a file that changed is parsed again. As
git does with its index, a file modified in the last two seconds is not cached, since a
second change within the same tick of the file system's clock would keep its key.

TFLLINT_CACHE_DIR moves the cache (default: $XDG_CACHE_HOME/tfllint, else
~/.cache/tfllint); set to an empty string, it turns the cache off. A cache that cannot be
read or written is passed over: it only ever costs the parse it would have saved.
"""
from __future__ import annotations

import marshal
import os
import sys
import time
import zlib
from typing import Any

from . import __version__
from .errors import ConfigError

CACHE_ENVIRONMENT_VARIABLE = "TFLLINT_CACHE_DIR"
SETTLED_NS = 2_000_000_000


def read_toml(path: str | os.PathLike[str], where: str | None = None) -> dict[str, Any]:
    """The parsed document of a TOML file. Raises OSError when the file cannot be read and
    ConfigError (naming `where`, default the path) when it is not valid TOML."""
    path = os.path.abspath(path)
    status = os.stat(path)
    key = (path, status.st_ino, status.st_size, status.st_mtime_ns, sys.version_info[:2],
           __version__)
    # A file changed within the last seconds may change again within the same clock tick,
    # keeping its size and time: it is not cached until it has been still for a while.
    settled = time.time_ns() - status.st_mtime_ns > SETTLED_NS
    cache_file = _cache_file(path) if settled else None
    document = _cached(cache_file, key) if cache_file else None
    if document is None:
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ConfigError(f"{where or path}: not valid TOML: not UTF-8 text (byte "
                              f"{error.start})") from None
        document = parse_toml(text, where or path)
        if cache_file:
            _store(cache_file, key, document)
    return document


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """Parse TOML text; ConfigError naming `where` when it is not valid TOML."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {error}") from None


def shipped_file(*parts: str) -> str:
    """The path of a file shipped in the tfllint.rules package (data/, targets/)."""
    import tfllint.rules

    return os.path.join(os.path.dirname(tfllint.rules.__file__), *parts)


def cache_directory() -> str | None:
    """Where parsed files are kept, or None when the cache is turned off."""
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    if configured is not None:
        return configured or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tfllint")


def _cache_file(path: str) -> str | None:
    directory = cache_directory()
    if directory is None:
        return None
    stem = os.path.basename(path).rsplit(".", 1)[0]
    return os.path.join(directory, "toml", f"{stem}-{zlib.crc32(path.encode()):08x}.marshal")


def _cached(cache_file: str, key: tuple) -> dict[str, Any] | None:
    try:
        with open(cache_file, "rb") as handle:
            stored_key, document = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):  # none yet, or unreadable: parse
        return None
    return document if stored_key == key and isinstance(document, dict) else None


def _store(cache_file: str, key: tuple, document: dict[str, Any]) -> None:
    try:
        data = marshal.dumps((key, document))
    except ValueError:  # a TOML date or time: marshal cannot keep it, so it is not cached
        return
    temporary = f"{cache_file}.{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(cache_file), exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, cache_file)  # atomic: a parallel run reads all or nothing
    except OSError:
        try:
            os.remove(temporary)
        except OSError:
            pass
