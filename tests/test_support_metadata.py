"""TFLite Support metadata: the TFLITE_METADATA flatbuffer and the appended zip of files.

The metadata buffers are written here field by field with the flatbuffers Builder, slot
numbers taken from metadata_schema.fbs, so the tests do not depend on tflite-support.
"""
from __future__ import annotations

import io
import zipfile

import flatbuffers
import pytest

from tfllint.reader import read_model
from tfllint.reader.flatbuffer import FlatbufferError
from tfllint.reader.support_metadata import (
    AssociatedFile, AssociatedFileLines, Content, Normalization, ProcessUnit, Stats,
    SubgraphMetadata, SupportMetadata, TensorMetadata, packed_file_names,
    parse_support_metadata, read_associated_file_lines, read_support_metadata)

# Union member values and enum values from metadata_schema.fbs.
FEATURE, IMAGE, BOUNDING_BOX, AUDIO = 1, 2, 3, 4
NORMALIZATION, SCORE_CALIBRATION, BERT_TOKENIZER = 1, 2, 4
RGB, TENSOR_AXIS_LABELS, VOCABULARY, BOUNDARIES, PIXEL = 1, 2, 5, 1, 1


class FlatbufferWriter:
    """Thin helpers over flatbuffers.Builder: tables are lists of (slot, kind, value)."""

    def __init__(self) -> None:
        self.builder = flatbuffers.Builder(1024)
        self.builder.ForceDefaults(True)  # write every field given, even zeros

    def string(self, text: str) -> int:
        return self.builder.CreateString(text)

    def vector(self, kind: str, values: list) -> int:
        size = {"offset": 4, "float": 4, "uint": 4, "ubyte": 1}[kind]
        self.builder.StartVector(size, len(values), size)
        prepend = {"offset": self.builder.PrependUOffsetTRelative,
                   "float": self.builder.PrependFloat32, "uint": self.builder.PrependUint32,
                   "ubyte": self.builder.PrependUint8}[kind]
        for value in reversed(values):
            prepend(value)
        return self.builder.EndVector()

    def strings(self, texts: list[str]) -> int:
        return self.vector("offset", [self.string(text) for text in texts])

    def table(self, *fields: tuple[int, str, object]) -> int:
        builder = self.builder
        builder.StartObject(max((slot for slot, _, _ in fields), default=-1) + 1)
        for slot, kind, value in fields:
            {"offset": builder.PrependUOffsetTRelativeSlot, "byte": builder.PrependInt8Slot,
             "ubyte": builder.PrependUint8Slot, "uint": builder.PrependUint32Slot,
             "int": builder.PrependInt32Slot}[kind](slot, value, 0)
        return builder.EndObject()

    def finish(self, root: int, identifier: bytes) -> bytes:
        self.builder.Finish(root, file_identifier=identifier)
        return bytes(self.builder.Output())


def associated_file(w: FlatbufferWriter, name: str, file_type: int, description: str = "",
                    locale: str = "") -> int:
    fields = [(0, "offset", w.string(name)), (2, "byte", file_type)]
    if description:
        fields.append((1, "offset", w.string(description)))
    if locale:
        fields.append((3, "offset", w.string(locale)))
    return w.table(*fields)


def content(w: FlatbufferWriter, member: int, properties: int,
            dimension_range: tuple[int, int] | None = None) -> int:
    fields = [(0, "ubyte", member), (1, "offset", properties)]
    if dimension_range:
        value_range = w.table((0, "int", dimension_range[0]), (1, "int", dimension_range[1]))
        fields.append((2, "offset", value_range))
    return w.table(*fields)


def stats(w: FlatbufferWriter, minimum: list[float], maximum: list[float]) -> int:
    return w.table((0, "offset", w.vector("float", maximum)),
                   (1, "offset", w.vector("float", minimum)))


def process_unit(w: FlatbufferWriter, member: int, options: int) -> int:
    return w.table((0, "ubyte", member), (1, "offset", options))


def tensor(w: FlatbufferWriter, name: str, description: str, *, content_offset: int,
           units: list[int] = (), stats_offset: int | None = None, files: list[int] = (),
           dimension_names: list[str] = ()) -> int:
    fields = [(0, "offset", w.string(name)), (1, "offset", w.string(description)),
              (3, "offset", content_offset)]
    if dimension_names:
        fields.append((2, "offset", w.strings(list(dimension_names))))
    if units:
        fields.append((4, "offset", w.vector("offset", list(units))))
    if stats_offset is not None:
        fields.append((5, "offset", stats_offset))
    if files:
        fields.append((6, "offset", w.vector("offset", list(files))))
    return w.table(*fields)


def image_classifier_metadata() -> bytes:
    """Metadata shaped like the metadata writer's image classifier, plus audio and boxes."""
    w = FlatbufferWriter()
    image_size = w.table((0, "uint", 224), (1, "uint", 192))
    image = tensor(
        w, "image", "Input image to be classified.",
        content_offset=content(w, IMAGE, w.table((0, "byte", RGB), (1, "offset", image_size))),
        units=[process_unit(w, NORMALIZATION, w.table(
            (0, "offset", w.vector("float", [127.5, 127.0, 126.5])),
            (1, "offset", w.vector("float", [127.5]))))],
        stats_offset=stats(w, [0.0], [255.0]))
    audio = tensor(w, "audio_clip", "16 kHz mono samples.",
                   content_offset=content(w, AUDIO, w.table((0, "uint", 16000), (1, "uint", 1))))
    probability = tensor(
        w, "probability", "Probabilities of the 3 labels respectively.",
        content_offset=content(w, FEATURE, w.table(), dimension_range=(1, 1)),
        units=[process_unit(w, SCORE_CALIBRATION, w.table())],
        stats_offset=stats(w, [0.0], [1.0]),
        files=[associated_file(w, "labels.txt", TENSOR_AXIS_LABELS,
                               "Labels for objects that the model can recognize.", "en")],
        dimension_names=["batch", "class"])
    boxes = tensor(w, "location", "Detected boxes.", content_offset=content(
        w, BOUNDING_BOX, w.table((0, "offset", w.vector("uint", [1, 0, 3, 2])),
                                 (1, "byte", BOUNDARIES), (2, "byte", PIXEL)),
        dimension_range=(2, 2)))
    tokenizer = process_unit(w, BERT_TOKENIZER, w.table(
        (0, "offset", w.vector("offset", [associated_file(w, "vocab.txt", VOCABULARY)]))))
    subgraph = w.table(
        (0, "offset", w.string("image_classifier")),
        (2, "offset", w.vector("offset", [image, audio])),
        (3, "offset", w.vector("offset", [probability, boxes])),
        (5, "offset", w.vector("offset", [tokenizer])),
        (9, "offset", w.vector("offset", [w.table((0, "offset", w.string("extra")))])))
    root = w.table(
        (0, "offset", w.string("MobileNetV1 image classifier")),
        (1, "offset", w.string("Identify the most prominent object in the image.")),
        (2, "offset", w.string("v1")),
        (3, "offset", w.vector("offset", [subgraph])),
        (4, "offset", w.string("tfllint tests")),
        (5, "offset", w.string("Apache License. Version 2.0")),
        (6, "offset", w.vector("offset", [associated_file(w, "README.txt", 1)])),
        (7, "offset", w.string("1.0.0")))
    return w.finish(root, b"M001")


LABELS_FILE = AssociatedFile(name="labels.txt", type="TENSOR_AXIS_LABELS",
                             description="Labels for objects that the model can recognize.",
                             locale="en")
VOCABULARY_FILE = AssociatedFile(name="vocab.txt", type="VOCABULARY")
README_FILE = AssociatedFile(name="README.txt", type="DESCRIPTIONS")

EXPECTED = SupportMetadata(
    name="MobileNetV1 image classifier",
    description="Identify the most prominent object in the image.",
    version="v1", author="tfllint tests", license="Apache License. Version 2.0",
    min_parser_version="1.0.0",
    associated_files=(README_FILE,),
    subgraphs=(SubgraphMetadata(
        name="image_classifier", description="",
        inputs=(
            TensorMetadata(
                name="image", description="Input image to be classified.", dimension_names=(),
                content=Content(kind="image", color_space="RGB", default_size=(224, 192)),
                process_units=(ProcessUnit(kind="NormalizationOptions"),),
                normalization=Normalization(mean=(127.5, 127.0, 126.5), std=(127.5,)),
                stats=Stats(min=(0.0,), max=(255.0,)), associated_files=()),
            TensorMetadata(
                name="audio_clip", description="16 kHz mono samples.", dimension_names=(),
                content=Content(kind="audio", sample_rate=16000, channels=1),
                process_units=(), normalization=None, stats=None, associated_files=()),
        ),
        outputs=(
            TensorMetadata(
                name="probability", description="Probabilities of the 3 labels respectively.",
                dimension_names=("batch", "class"),
                content=Content(kind="feature", dimension_range=(1, 1)),
                process_units=(ProcessUnit(kind="ScoreCalibrationOptions"),),
                normalization=None, stats=Stats(min=(0.0,), max=(1.0,)),
                associated_files=(LABELS_FILE,)),
            TensorMetadata(
                name="location", description="Detected boxes.", dimension_names=(),
                content=Content(kind="bounding_box", box_index=(1, 0, 3, 2),
                                box_type="BOUNDARIES", coordinate_type="PIXEL",
                                dimension_range=(2, 2)),
                process_units=(), normalization=None, stats=None, associated_files=()),
        ),
        associated_files=(),
        input_process_units=(ProcessUnit(kind="BertTokenizerOptions",
                                         associated_files=(VOCABULARY_FILE,)),),
        output_process_units=(),
        custom_metadata=("extra",)),),
)


def test_metadata_decodes_to_exact_values():
    assert parse_support_metadata(image_classifier_metadata()) == EXPECTED


def test_metadata_is_read_from_a_memoryview():
    data = image_classifier_metadata()
    assert parse_support_metadata(memoryview(b"\0" * 3 + data)[3:]) == EXPECTED


def test_all_associated_files_lists_every_level():
    assert EXPECTED.all_associated_files() == (README_FILE, VOCABULARY_FILE, LABELS_FILE)


def test_empty_metadata_gives_empty_values():
    w = FlatbufferWriter()
    parsed = parse_support_metadata(w.finish(w.table(), b"M001"))
    assert parsed == SupportMetadata(name="", description="", version="", author="",
                                     license="", min_parser_version="", subgraphs=(),
                                     associated_files=())


def test_unknown_enum_and_union_values_are_named_not_fatal():
    w = FlatbufferWriter()
    unknown_content = tensor(w, "t", "", content_offset=content(w, 9, w.table()),
                             units=[process_unit(w, 42, w.table())],
                             files=[associated_file(w, "x.bin", 77)])
    subgraph = w.table((2, "offset", w.vector("offset", [unknown_content])))
    parsed = parse_support_metadata(w.finish(
        w.table((3, "offset", w.vector("offset", [subgraph]))), b"M001"))
    tensor_metadata = parsed.subgraphs[0].inputs[0]
    assert tensor_metadata.content == Content(kind="UNKNOWN(9)")
    assert tensor_metadata.process_units == (ProcessUnit(kind="UNKNOWN(42)"),)
    assert tensor_metadata.associated_files == (AssociatedFile(name="x.bin", type="UNKNOWN(77)"),)


def test_empty_stats_table_means_no_value_range():
    w = FlatbufferWriter()
    plain = tensor(w, "t", "", content_offset=content(w, FEATURE, w.table()),
                   stats_offset=w.table())
    subgraph = w.table((2, "offset", w.vector("offset", [plain])))
    parsed = parse_support_metadata(w.finish(
        w.table((3, "offset", w.vector("offset", [subgraph]))), b"M001"))
    assert parsed.subgraphs[0].inputs[0].stats is None


@pytest.mark.parametrize("data, problem", [
    (b"", "too short"),
    (b"\x08\0\0\0M00", "too short"),
    (image_classifier_metadata().replace(b"M001", b"TFL3", 1), "file identifier"),
])
def test_buffers_that_are_not_metadata_raise_flatbuffer_error(data, problem):
    with pytest.raises(FlatbufferError, match=problem):
        parse_support_metadata(data)


def test_truncated_metadata_raises_flatbuffer_error():
    data = image_classifier_metadata()
    with pytest.raises(FlatbufferError):
        parse_support_metadata(data[:len(data) // 2])
    for cut in range(len(data)):
        try:
            parse_support_metadata(data[:cut])
        except FlatbufferError:
            pass


def test_corrupted_bytes_raise_only_flatbuffer_error():
    data = image_classifier_metadata()
    failures = 0
    for position in range(len(data)):
        for value in (0x00, 0x7F, 0xFF):
            corrupted = bytearray(data)
            corrupted[position] = value
            try:
                parse_support_metadata(bytes(corrupted))
            except FlatbufferError:
                failures += 1
    assert failures  # some corruptions must be detected, none may raise anything else


# -- the zip of associated files -------------------------------------------------------
LABELS = ["background", "cat", "dog"]


def with_zip(model_bytes: bytes, files: dict[str, str],
             compression: int = zipfile.ZIP_STORED) -> bytes:
    """Append files the way TFLite Support's MetadataPopulator does (zip mode "a")."""
    stream = io.BytesIO(model_bytes)
    with zipfile.ZipFile(stream, "a", compression=compression) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return stream.getvalue()


def minimal_model(metadata: bytes) -> bytes:
    """A TFL3 model with one empty subgraph and a TFLITE_METADATA buffer (schema.fbs slots)."""
    w = FlatbufferWriter()
    metadata_data = w.builder.CreateByteVector(metadata)
    buffers = w.vector("offset", [w.table(), w.table((0, "offset", metadata_data))])
    entry = w.table((0, "offset", w.string("TFLITE_METADATA")), (1, "uint", 1))
    subgraph = w.table((0, "offset", w.vector("offset", [])))
    root = w.table((0, "uint", 3), (2, "offset", w.vector("offset", [subgraph])),
                   (4, "offset", buffers), (6, "offset", w.vector("offset", [entry])))
    return w.finish(root, b"TFL3")


def test_model_file_metadata_and_labels(tmp_path):
    path = tmp_path / "classifier.tflite"
    path.write_bytes(with_zip(minimal_model(image_classifier_metadata()),
                              {"labels.txt": "\n".join(LABELS) + "\n", "vocab.txt": "a\nb"}))
    model_file = read_model(path)
    assert read_support_metadata(model_file) == EXPECTED
    expected_lines = AssociatedFileLines(lines=tuple(LABELS), line_count=3, truncated=False)
    assert read_associated_file_lines(model_file.data, "labels.txt") == expected_lines
    assert read_associated_file_lines(path, "labels.txt") == expected_lines
    assert packed_file_names(path) == ("labels.txt", "vocab.txt")
    model_file.data.close()  # no view into the memory map may outlive the zip reader


def test_model_without_metadata_entry_has_none(tmp_path):
    path = tmp_path / "plain.tflite"
    model = minimal_model(b"").replace(b"TFLITE_METADATA", b"OTHER_METADATA_")
    path.write_bytes(model)
    assert read_support_metadata(read_model(path)) is None


def test_deflated_labels_are_capped_in_bytes_and_lines():
    labels = [f"label_{i:04d}" for i in range(1000)]  # 11 bytes per line with newline
    model = with_zip(b"TFL3 model bytes", {"labels.txt": "\n".join(labels)},
                     compression=zipfile.ZIP_DEFLATED)
    assert read_associated_file_lines(model, "labels.txt") == AssociatedFileLines(
        lines=tuple(labels), line_count=1000, truncated=False)
    assert read_associated_file_lines(model, "labels.txt", max_bytes=115, max_lines=3) == \
        AssociatedFileLines(lines=tuple(labels[:3]), line_count=10, truncated=True)
    assert read_associated_file_lines(model, "labels.txt", max_bytes=110) == \
        AssociatedFileLines(lines=tuple(labels[:10]), line_count=10, truncated=True)


def test_byte_order_mark_and_crlf_are_not_part_of_labels():
    model = with_zip(b"model", {"labels.txt": "\ufeffcat\r\ndog\r\n"})
    assert read_associated_file_lines(model, "labels.txt").lines == ("cat", "dog")


def test_zip_made_separately_and_appended_is_found():
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("labels.txt", "cat\ndog\n")
    model = b"\0" * 1000 + stream.getvalue()
    assert read_associated_file_lines(model, "labels.txt").lines == ("cat", "dog")


def deflated_zip_with_garbled_data() -> bytes:
    model = with_zip(b"model", {"labels.txt": "cat\n" * 100}, zipfile.ZIP_DEFLATED)
    data_start = len(b"model") + 30 + len("labels.txt")  # after the local file header
    return model[:data_start] + b"\xff" * 8 + model[data_start + 8:]


@pytest.mark.parametrize("model", [
    b"",
    b"TFL3 model without any zip" * 100,
    with_zip(b"model", {"labels.txt": "cat\n"})[:-10],  # end of central directory cut
    with_zip(b"model", {"labels.txt": "cat\n"}).replace(b"PK\x01\x02", b"PK\x09\x09"),
    deflated_zip_with_garbled_data(),
])
def test_absent_or_corrupt_zip_gives_none(model):
    assert read_associated_file_lines(model, "labels.txt") is None
    assert packed_file_names(model) in (None, ("labels.txt",))


def test_missing_member_or_file_gives_none(tmp_path):
    model = with_zip(b"model", {"labels.txt": "cat\n"})
    assert read_associated_file_lines(model, "vocab.txt") is None
    assert read_associated_file_lines(tmp_path / "absent.tflite", "labels.txt") is None
    assert packed_file_names(tmp_path / "absent.tflite") is None


# -- one parse, shared by TFL507, `tfllint inspect` and the snippet ---------------------------

def test_one_parse_serves_tfl507_inspect_and_the_snippet(tmp_path, monkeypatch):
    import tfllint.reader.support_metadata as module
    from tfllint.engine.runner import run_rules
    from tfllint.inspect_contract import contract_document
    from tfllint.pipeline import LintRun, open_model
    from tfllint.snippet import support_hints

    parses = []
    real_parse = module.parse_support_metadata
    monkeypatch.setattr(module, "parse_support_metadata",
                        lambda data: parses.append(len(data)) or real_parse(data))
    path = tmp_path / "classifier.tflite"
    path.write_bytes(with_zip(minimal_model(image_classifier_metadata()),
                              {"labels.txt": "\n".join(LABELS) + "\n"}))
    run = LintRun.load({"select": ["TFL507"]}, use_config=False)
    view, analyses = open_model(str(path), run.settings)
    run_rules(view, analyses, run.rules, run.settings)
    document = contract_document(view, analyses)
    support_hints(view, analyses)
    assert len(parses) == 1
    assert analyses.support_metadata.metadata == EXPECTED
    assert analyses.support_metadata.main == EXPECTED.subgraphs[0]
    assert analyses.support_metadata.error is None
    assert document["support_metadata"]["name"] == EXPECTED.name


def test_corrupt_metadata_is_one_error_for_every_reader(tmp_path):
    from tfllint.inspect_contract import contract_document
    from tfllint.pipeline import open_model
    from tfllint.snippet import support_hints

    path = tmp_path / "corrupt.tflite"
    path.write_bytes(minimal_model(b"\x08\x00\x00\x00XXXX" + bytes(8)))
    view, analyses = open_model(str(path))
    support = analyses.support_metadata
    assert support.metadata is None and support.main is None and support.error
    assert contract_document(view, analyses)["support_metadata"] == {
        "error": f"TFLite Support metadata is corrupt: {support.error}"}
    assert support_hints(view, analyses) == {}


def test_a_model_without_metadata_has_no_support_metadata(tmp_path):
    from tfllint.pipeline import open_model

    path = tmp_path / "plain.tflite"
    path.write_bytes(minimal_model(b"").replace(b"TFLITE_METADATA", b"OTHER_METADATA_"))
    _, analyses = open_model(str(path))
    assert (analyses.support_metadata.metadata, analyses.support_metadata.error) == (None, None)
