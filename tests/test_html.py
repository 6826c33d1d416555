"""--format html: one self-contained page, checked by parsing it (html.parser) and by
opening it in a real browser (headless Chromium; skipped with the reason when absent)."""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import numpy
import pytest

from builder import ModelBuilder
from conftest import MODELS, SAMPLE_MODELS

CHROMIUM = next((path for path in (shutil.which("chromium"), "/usr/bin/chromium",
                                   shutil.which("chromium-browser"))
                 if path and os.access(path, os.X_OK)), None)
OPTIONS = ("--target", "coral", "--target", "tflm", "--memory-budget", "64KiB", "--no-config")
HOSTILE = "<img src=x onerror=alert(1)>&amp;"


class Page(HTMLParser):
    """What a test needs of a page: the tags with their attributes, the classes of the
    table rows, and the text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def rows(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags
                if tag == "tr" and attrs.get("class") == "finding"]

    def count(self, name: str) -> int:
        return sum(1 for tag, _ in self.tags if tag == name)


def lint(run_cli, *arguments) -> tuple[str, dict]:
    code, page, err = run_cli(*arguments, "--format", "html")
    json_code, document, _ = run_cli(*arguments, "--format", "json")
    assert code == json_code and err == ""
    return page, json.loads(document)


def external_references(page: Page) -> list[tuple[str, dict]]:
    found = []
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href", "action", "data", "poster"):
            value = (attrs.get(name) or "").strip().lower()
            if value.startswith(("http:", "https:", "//", "ftp:")):
                found.append((tag, attrs))
        if tag in ("script", "link", "iframe", "object", "embed", "img"):
            found.append((tag, attrs))
    return found


def test_a_row_per_finding_the_svg_per_model_and_nothing_external(run_cli):
    page_text, document = lint(run_cli, MODELS, *OPTIONS)
    page = Page(page_text)
    findings = [(f["rule"], f["severity"]) for model in document["models"]
                for f in model["findings"]]
    assert len(findings) > 10
    assert sorted((row["data-rule"], row["data-severity"]) for row in page.rows()) == \
        sorted(findings)
    readable = [model for model in document["models"] if model["error"] is None]
    assert page.count("svg") == len(readable) == len(SAMPLE_MODELS)
    assert page.count("polyline") == len(readable)  # the timeline itself
    assert external_references(page) == []
    assert "@import" not in page_text and "url(" not in page_text
    text = "".join(page.text)
    for model in document["models"]:
        assert model["path"] in text
        for name, target in model["targets"].items():
            assert sum(1 for tag, attrs in page.tags if tag == "span" and
                       (attrs.get("class") or "").startswith("op v-")) >= len(target["ops"])


def test_an_unreadable_model_and_no_findings(run_cli, tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model")
    page_text, document = lint(run_cli, broken, MODELS / "two_inputs.tflite", "--no-config",
                               "--select", "TFL0")
    page = Page(page_text)
    text = "".join(page.text)
    assert "could not be read" in text and "No findings." in text
    assert page.rows() == [] and page.count("svg") == 1


def test_everything_from_the_model_is_escaped(run_cli, tmp_path):
    model = ModelBuilder()
    main = model.subgraph("main")
    x, y = main.tensor(HOSTILE, [1, 4]), main.tensor("y", [1, 4])
    main.op("CUSTOM", [x], [y], custom_code=HOSTILE)
    main.inputs, main.outputs = [x], [y]
    path = tmp_path / f"{HOSTILE.replace('/', '')}.tflite"
    path.write_bytes(model.build())
    page_text, document = lint(run_cli, path, "--target", "gpu", "--no-config")
    page = Page(page_text)
    assert [tag for tag, _ in page.tags if tag == "img"] == []
    assert external_references(page) == []
    text = "".join(page.text)
    assert HOSTILE in text  # shown as itself, in the path, the findings and the ops
    assert len(page.rows()) == len(document["models"][0]["findings"]) > 0
    assert any(HOSTILE in f["message"] for f in document["models"][0]["findings"])


# -- in a real browser ---------------------------------------------------------------------

def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of pixel bytes) of an 8-bit RGB or RGBA PNG, non-interlaced."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, bytearray(), None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    step = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(bytes(idat)), width * step
    rows, previous = [], bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(step, stride):
                line[i] = (line[i] + line[i - step]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - step] if i >= step else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - step] if i >= step else 0
                b, c = previous[i], previous[i - step] if i >= step else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) \
                    & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def chromium(*arguments: str, profile) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", f"--user-data-dir={profile}",
                           "--enable-logging=stderr", "--v=0", *arguments],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get "
                    "install chromium), so the page is not opened in a browser")
def test_the_page_in_headless_chromium(run_cli, tmp_path):
    page_text, document = lint(run_cli, MODELS / "cnn_float16.tflite", *OPTIONS)
    findings = len(document["models"][0]["findings"])
    page = tmp_path / "report.html"
    page.write_text(page_text, encoding="utf-8")
    url = page.as_uri()

    dumped = chromium("--dump-dom", url, profile=tmp_path / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = Page(dumped.stdout)
    assert len(dom.rows()) == findings > 0
    assert dom.count("svg") == 1 and dom.count("polyline") == 1

    shot = tmp_path / "report.png"
    taken = chromium("--window-size=1000,2400", "--hide-scrollbars", f"--screenshot={shot}",
                     url, profile=tmp_path / "profile-shot")
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    for log in (dumped.stderr, taken.stderr):
        assert "Uncaught" not in log and "ERROR:CONSOLE" not in log, log[-2000:]
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 2400)
    pixels = numpy.frombuffer(b"".join(rows), numpy.uint8).reshape(
        height, width, -1)[..., :3].astype(int)
    colours = numpy.unique(pixels.reshape(-1, 3) @ [65536, 256, 1])
    assert len(colours) > 50  # text, severity badges, the plot: not a blank page
    # the plot is drawn: its line's blue (#1f6fb4) and the budget's red (#c62828)
    for colour in ("1f6fb4", "c62828"):
        near = (abs(pixels - list(bytes.fromhex(colour))).sum(axis=-1) <= 24).sum()
        assert near > 100, f"too few pixels of #{colour}: {near}"
