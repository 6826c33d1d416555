from rule_examples.tfl102 import custom_model
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True, "select": ["TFL111"]}


def bad() -> bytes:
    return custom_model("MyCompanyResize")  # no known provider (TFL102 too)


BAD = {("TFL111", Location(subgraph=0, op_index=0, op="MyCompanyResize"))}


def good() -> bytes:
    # MediaPipe's kernels are linked into the app: TFL102 says what to register, not this
    return custom_model("MaxUnpooling2D")
