"""Bundles: the TFLite members of a MediaPipe .task (zip) and a LiteRT-LM .litertlm file are
linted one by one as `bundle!member`; a hostile bundle is one message, never a traceback or
an allocation sized by what it claims. Bundles are built here, per their formats."""
from __future__ import annotations

import io
import struct
import sys
import zipfile
from pathlib import Path

import flatbuffers
import pytest
from builder import _offsets as table_vector, relu_model

import tfllint
from tfllint import bundles
from tfllint.pipeline import expand_paths, read_view

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
from _generative import llm  # noqa: E402

PREVIEW = dict(use_config=False, preview=True, runtime_version="2.21",
               ignore=["TFL501", "TFL503"])
TOKENIZER = b"\x0a\x05hello" * 10  # not a model: skipped


def task_file(path: Path, members: dict[str, tuple[bytes, int]]) -> Path:
    """A .task zip of {name: (data, zipfile.ZIP_STORED or ZIP_DEFLATED)}."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, (data, method) in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


# LiteRT-LM file (google-ai-edge/LiteRT-LM@767d74f9 schema/core/litertlm_export.cc): magic,
# version 1.1.0, padding, header end offset at byte 24, header flatbuffer from byte 32,
# sections on 16 KiB boundaries.
BLOCK = 16 * 1024
TFLITE_MODEL, SP_TOKENIZER = 3, 4  # AnySectionDataType
STRING_VALUE = 9  # VData


def litertlm_header(sections: list[tuple[int, int, int, str | None]]) -> bytes:
    """The LiteRTLMMetaData flatbuffer of (begin, end, data type, model_type) sections."""
    b = flatbuffers.Builder(1024)
    objects = []
    for begin, end, data_type, model_type in sections:
        items = []
        if model_type is not None:
            key, text = b.CreateString("model_type"), b.CreateString(model_type)
            b.StartObject(1)
            b.PrependUOffsetTRelativeSlot(0, text, 0)
            value = b.EndObject()
            b.StartObject(3)
            b.PrependUOffsetTRelativeSlot(0, key, 0)
            b.PrependUint8Slot(1, STRING_VALUE, 0)
            b.PrependUOffsetTRelativeSlot(2, value, 0)
            items.append(b.EndObject())
        item_vector = table_vector(b, items)
        b.StartObject(4)
        b.PrependUOffsetTRelativeSlot(0, item_vector, 0)
        b.PrependUint64Slot(1, begin, 0)
        b.PrependUint64Slot(2, end, 0)
        b.PrependUint8Slot(3, data_type, 0)
        objects.append(b.EndObject())
    object_vector = table_vector(b, objects)
    b.StartObject(1)
    b.PrependUOffsetTRelativeSlot(0, object_vector, 0)
    section_metadata = b.EndObject()
    b.StartObject(2)
    b.PrependUOffsetTRelativeSlot(1, section_metadata, 0)
    b.Finish(b.EndObject())
    return bytes(b.Output())


def litertlm_file(path: Path, sections: list[tuple[int, bytes, str | None]], *,
                  major: int = 1, header_end: int | None = None,
                  spoil: dict[int, tuple[int, int]] | None = None) -> Path:
    """A .litertlm of (data type, data, model_type) sections; `spoil` replaces the (begin,
    end) of some sections in the header."""
    body, placed, position = bytearray(), [], BLOCK
    for data_type, data, model_type in sections:
        begin = position
        body += data + bytes(-len(data) % BLOCK)
        placed.append((begin, begin + len(data), data_type, model_type))
        position = BLOCK + len(body)
    for index, (begin, end) in (spoil or {}).items():
        placed[index] = (begin, end, *placed[index][2:])
    header = litertlm_header(placed)
    end = header_end if header_end is not None else 32 + len(header)
    head = b"LITERTLM" + struct.pack("<III", major, 1, 0) + bytes(4) + struct.pack("<Q", end)
    head += header
    path.write_bytes(head + bytes(BLOCK - len(head)) + bytes(body))
    return path


def paths_and_errors(report) -> list[tuple[str, str | None]]:
    return [(Path(m["path"]).name, m["error"]) for m in report.models]


def rules_fired(report) -> dict[str, set[str]]:
    return {Path(m["path"]).name: {f["rule"] for f in m["findings"]} for m in report.models}


# -- MediaPipe .task ----------------------------------------------------------------------

def test_a_task_bundle_is_linted_member_by_member(tmp_path):
    bundle = task_file(tmp_path / "gemma.task", {
        "TF_LITE_PREFILL_DECODE": (llm(names={"logits": "output"}), zipfile.ZIP_STORED),
        "TOKENIZER_MODEL": (TOKENIZER, zipfile.ZIP_DEFLATED),
        "TF_LITE_EMBEDDER": (llm(names={"logits": "output"}), zipfile.ZIP_DEFLATED),
    })
    report = tfllint.lint(bundle, **PREVIEW)
    assert paths_and_errors(report) == [("gemma.task!TF_LITE_PREFILL_DECODE", None),
                                        ("gemma.task!TF_LITE_EMBEDDER", None)]
    # only the prefill-decode member is held to LiteRT-LM's contract
    assert rules_fired(report) == {"gemma.task!TF_LITE_PREFILL_DECODE": {"TFL701"},
                                   "gemma.task!TF_LITE_EMBEDDER": set()}


def test_a_stored_member_is_read_in_place_from_the_map(tmp_path):
    bundle = task_file(tmp_path / "m.task", {"a/model.tflite": (llm(), zipfile.ZIP_STORED)})
    view = read_view(f"{bundle}!a/model.tflite")
    assert isinstance(view.file.data, memoryview) and view.file.data.obj.__class__.__name__ \
        == "mmap"
    assert bytes(view.file.data[4:8]) == b"TFL3"
    assert [s.key for s in view.model.signatures] == ["prefill", "decode"]


def test_directories_and_globs_expand_bundles(tmp_path):
    task_file(tmp_path / "one.task", {"x.tflite": (relu_model().build(), zipfile.ZIP_STORED)})
    (tmp_path / "plain.tflite").write_bytes(relu_model().build())
    expected = [(str(tmp_path / "one.task") + "!x.tflite", None),
                (str(tmp_path / "plain.tflite"), None)]
    assert expand_paths([str(tmp_path)]) == expected
    assert expand_paths([str(tmp_path / "*.task")]) == expected[:1]
    assert expand_paths([expected[0][0]]) == expected[:1]  # a member named on its own


def test_a_member_that_is_not_there_is_one_error(tmp_path):
    bundle = task_file(tmp_path / "m.task", {"x.tflite": (llm(), zipfile.ZIP_STORED)})
    report = tfllint.lint(f"{bundle}!y.tflite", use_config=False)
    assert paths_and_errors(report) == [("m.task!y.tflite",
                                         f"{bundle} holds no TFLite model named 'y.tflite'")]
    assert report.exit_code == 2


# -- LiteRT-LM .litertlm ------------------------------------------------------------------

def test_a_litertlm_file_is_linted_section_by_section(tmp_path):
    bundle = litertlm_file(tmp_path / "gemma.litertlm", [
        (SP_TOKENIZER, TOKENIZER, None),
        (TFLITE_MODEL, llm(logits_rank=2), "TF_LITE_PREFILL_DECODE"),
        (TFLITE_MODEL, relu_model().build(), "TF_LITE_EMBEDDER"),
        (TFLITE_MODEL, llm(), None),  # no model_type: the loader takes it as prefill-decode
    ])
    report = tfllint.lint(bundle, **PREVIEW)
    assert paths_and_errors(report) == [("gemma.litertlm!TF_LITE_PREFILL_DECODE", None),
                                        ("gemma.litertlm!TF_LITE_EMBEDDER", None),
                                        ("gemma.litertlm!section_3", None)]
    assert rules_fired(report)["gemma.litertlm!TF_LITE_PREFILL_DECODE"] == {"TFL701"}
    view = read_view(f"{bundle}!section_3")
    assert view.file.data.obj.__class__.__name__ == "mmap" and len(view.file.data) == len(llm())


# -- hostile bundles: one message each ------------------------------------------------------

def zip_with(data: bytes, **changes) -> bytes:
    """A one-member zip whose central directory entry gets `changes` (file_size, ...)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("model.tflite"), data,
                         compress_type=changes.pop("method", zipfile.ZIP_STORED))
    raw = bytearray(buffer.getvalue())
    central = raw.rfind(b"PK\x01\x02")
    for field, (offset, fmt) in {"compress_size": (20, "<I"), "file_size": (24, "<I"),
                                 "header_offset": (42, "<I")}.items():
        if field in changes:
            struct.pack_into(fmt, raw, central + offset, changes[field])
    return bytes(raw)


MODEL = relu_model().build()
BOMB = zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("content, problem", [
    (b"", "the file is empty"),
    (b"PK\x03\x04 truncated", "not a readable zip archive: File is not a zip file"),
    (zip_with(MODEL, compress_size=1 << 31, file_size=1 << 31),
     "member 'model.tflite' claims 2147483648 bytes at byte 42, past the end of the file"),
    (zip_with(MODEL, header_offset=1 << 20),
     "member 'model.tflite': no local file header at byte 1048576"),
    (zip_with(bytes(10 << 20), method=BOMB, file_size=1000),  # 10 MiB of zeros: a bomb
     "the member inflates to more than 1,000 bytes, not the 1,000 its zip header says"),
    (zip_with(MODEL[:8] + bytes(10 << 20), method=BOMB, file_size=len(MODEL)),
     "the member inflates to more than"),
    (zip_with(MODEL, method=BOMB, file_size=1 << 30),
     "the member is deflated and 1,073,741,824 bytes inflated; tfllint inflates at most"),
])
def test_a_hostile_task_file_is_one_message(tmp_path, content, problem):
    path = tmp_path / "bad.task"
    path.write_bytes(content)
    [model] = tfllint.lint(path, use_config=False).models
    assert problem in model["error"], model["error"]


def test_a_bundle_without_models_says_so(tmp_path):
    path = task_file(tmp_path / "t.task", {"TOKENIZER_MODEL": (TOKENIZER, zipfile.ZIP_STORED)})
    assert paths_and_errors(tfllint.lint(path, use_config=False)) == [
        ("t.task", "the bundle holds no TFLite model")]


@pytest.mark.parametrize("spoil, problem", [
    (dict(major=2), "LiteRT-LM file version 2; the runtime reads major version 1"),
    (dict(header_end=1 << 40), "the LiteRT-LM header ends at byte 1099511627776"),
    (dict(header_end=40), "corrupt LiteRT-LM header"),
    (dict(spoil={0: (BLOCK, 1 << 50)}), "section 0 (TF_LITE_PREFILL_DECODE) claims bytes "
                                        "16384 to 1125899906842624, outside the file"),
    (dict(spoil={0: (1 << 50, 1)}), "section 0 (TF_LITE_PREFILL_DECODE) claims bytes"),
])
def test_a_hostile_litertlm_file_is_one_message(tmp_path, spoil, problem):
    path = litertlm_file(tmp_path / "bad.litertlm",
                         [(TFLITE_MODEL, MODEL, "TF_LITE_PREFILL_DECODE")], **spoil)
    [model] = tfllint.lint(path, use_config=False).models
    assert problem in model["error"], model["error"]


def test_a_hostile_member_is_named_by_bundle_and_member(tmp_path):
    path = task_file(tmp_path / "m.task", {"x.tflite": (b"\x10\x00\x00\x00TFL3" + bytes(8),
                                                        zipfile.ZIP_STORED)})
    [model] = tfllint.lint(path, use_config=False).models
    assert model["path"].endswith("m.task!x.tflite") and "corrupt model" in model["error"]


def test_the_cli_names_members(tmp_path, run_cli):
    bundle = task_file(tmp_path / "gemma.task", {
        "TF_LITE_PREFILL_DECODE": (llm(signatures=("serving_default",)), zipfile.ZIP_STORED)})
    code, out, _ = run_cli(bundle, "--preview", "--no-config", "--select", "TFL7")
    assert code == 1 and "gemma.task!TF_LITE_PREFILL_DECODE" in out and "TFL701" in out


def test_member_paths_of_a_plain_model_are_itself(tmp_path):
    plain = str(tmp_path / "a.tflite")
    assert bundles.model_paths(plain) == [(plain, None)]
    assert bundles.split_member_path("x/gemma.TASK!A!B") == ("x/gemma.TASK", "A!B")
    assert bundles.split_member_path("plain.tflite") is None


def test_inspect_of_a_whole_bundle_names_its_members(tmp_path, run_cli):
    bundle = task_file(tmp_path / "g.task", {"A.tflite": (MODEL, zipfile.ZIP_STORED),
                                             "B.tflite": (MODEL, zipfile.ZIP_DEFLATED)})
    code, _, err = run_cli("inspect", bundle)
    assert code == 2 and f"a bundle of models: name one of its members, {bundle}!A.tflite, " \
        f"{bundle}!B.tflite" in err
    code, out, _ = run_cli("inspect", f"{bundle}!B.tflite")
    assert code == 0 and "B.tflite" in out
