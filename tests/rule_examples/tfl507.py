from _contract_models import relu
from test_support_metadata import (IMAGE, NORMALIZATION, RGB, FlatbufferWriter, content,
                                   process_unit, tensor)
from tfllint.engine.rule import Location


def image_metadata() -> bytes:
    """TFLite Support metadata for one RGB image input normalized with mean 127.5, std 127.5."""
    w = FlatbufferWriter()
    image = tensor(w, "image", "RGB photo",
                   content_offset=content(w, IMAGE, w.table((0, "byte", RGB))),
                   units=[process_unit(w, NORMALIZATION, w.table(
                       (0, "offset", w.vector("float", [127.5])),
                       (1, "offset", w.vector("float", [127.5]))))])
    subgraph = w.table((2, "offset", w.vector("offset", [image])))
    return w.finish(w.table((3, "offset", w.vector("offset", [subgraph]))), b"M001")


def bad() -> bytes:
    return relu([1, 32, 32, 3])


BAD = {("TFL507", Location(subgraph=0, tensor="x", tensor_index=0))}


def good() -> bytes:
    return relu([1, 32, 32, 3], metadata=image_metadata())
