"""LiteRT's MediaTek and Google Tensor compiler plugins, partition step only, as oracles of
their public rule.

Both plugins ship in the ai-edge-litert wheel, but load a closed vendor library before they
partition: MediaTek's NeuronAdapter (libneuron_adapter.so), Google's Tensor compiler
(liblitert_plugin_compiler.so). Neither is on PyPI. What each plugin needs of it to
partition is tiny, so a stub of our own stands in, built with the C compiler at test time:
- MediaTek: Neuron_getVersion, answering 8.0.0, below 8.2.24, the first NeuronAdapter with
  NEURON_FEATURE_UNKNOWN_OP (litert/vendors/mediatek/neuron_adapter_api.h): the plugin then
  decides by its own op table and VerifyCommonOp, and never asks the NeuronAdapter ("get
  supported operations"), whose answer on a newer SDK is the last word.
- Google Tensor: the five symbols the adapter looks up (adapter_aot.cc), never called: in
  public builds the partition step reads only the plugin's deny list.
So `--cmd=partition` runs the real plugin code of the 2.3.0 wheel; what it measures is
agreement with the plugin's public rule, not with the vendors' compilers. The stubs are
names only: no vendor code, no vendor output.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from intel_oracle import STATS, Partitioned, _cap_memory, _map_back

TIMEOUT = 120


@dataclass(frozen=True)
class Vendor:
    manufacturer: str  # kPluginManufacturer
    soc_model: str
    plugin: str  # ai_edge_litert/vendors/<plugin>/compiler
    library: str  # the closed library the plugin loads, stood in for by `stub`
    stub: str  # C source of the stub


VENDORS = {
    "npu-mediatek": Vendor(
        "MediaTek", "mt6989", "mediatek", "libneuron_adapter.so",
        "typedef struct { unsigned char major, minor, patch; } NeuronRuntimeVersion;\n"
        "int Neuron_getVersion(NeuronRuntimeVersion* v)\n"
        "{ v->major = 8; v->minor = 0; v->patch = 0; return 0; }\n"),
    "npu-google-tensor": Vendor(
        "Google", "Tensor_G4", "google_tensor", "liblitert_plugin_compiler.so",
        "int GoogleTensorCompileFlatbuffer(void) { return 1; }\n"
        "void GoogleTensorCompilerFreeCompiledCode(void) {}\n"
        "void GoogleTensorCompilerFreeErrorMessage(void) {}\n"
        "int GoogleTensorGetUnsupportedOps(void) { return 1; }\n"
        "void GoogleTensorFreeUnsupportedOps(void) {}\n"),
}


def _site() -> Path | None:
    try:
        import ai_edge_litert
    except ImportError:
        return None
    return Path(ai_edge_litert.__file__).resolve().parent


def compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def missing(target: str) -> str | None:
    """Why the oracle of `target` cannot run here, or None."""
    site = _site()
    if site is None:
        return "ai-edge-litert is not installed (the oracle extra: ai-edge-litert==2.3.0)"
    if not (site / "tools" / "apply_plugin_main").is_file():
        return "this ai-edge-litert wheel has no tools/apply_plugin_main (x86-64 Linux only)"
    if not (site / "vendors" / VENDORS[target].plugin / "compiler").is_dir():
        return f"this ai-edge-litert wheel has no {VENDORS[target].manufacturer} plugin"
    if compiler() is None:
        return f"no C compiler (cc, gcc or clang) to build the stub {VENDORS[target].library}"
    return None


class StubOracle:
    """One vendor's plugin with its stub, built once in a scratch directory."""

    def __init__(self, target: str) -> None:
        self.vendor = VENDORS[target]
        self._scratch = tempfile.TemporaryDirectory(prefix=f"{target}-oracle-")
        self.work = Path(self._scratch.name)
        source = self.work / "stub.c"
        source.write_text("/* names only: stands in for a closed vendor library */\n"
                          + self.vendor.stub)
        subprocess.run([compiler(), "-shared", "-fPIC", f"-Wl,-soname,{self.vendor.library}",
                        "-o", str(self.work / self.vendor.library), str(source)],
                       check=True, capture_output=True, timeout=60)

    def close(self) -> None:
        self._scratch.cleanup()

    def partition(self, model: Path) -> Partitioned:
        """The plugin's partition step on `model`, every op mapped back to the input model."""
        site = _site()
        out = self.work / "partitioned.tflite"
        out.unlink(missing_ok=True)
        done = subprocess.run(
            [str(site / "tools" / "apply_plugin_main"), "--cmd=partition", f"--model={model}",
             f"--o={out}", f"--soc_manufacturer={self.vendor.manufacturer}",
             f"--soc_model={self.vendor.soc_model}",
             f"--libs={site / 'vendors' / self.vendor.plugin / 'compiler'}", "--err=-"],
            capture_output=True, text=True, errors="replace", timeout=TIMEOUT,
            preexec_fn=_cap_memory, env={**os.environ, "LD_LIBRARY_PATH": str(self.work)})
        log = done.stdout + done.stderr
        result = Partitioned(done.returncode, log,
                             stats={int(s): (int(n), int(t), int(p))
                                    for s, n, t, p in STATS.findall(log)})
        if done.returncode == 0 and out.is_file():
            result.selected = _map_back(model.read_bytes(), out.read_bytes(), result.stats)
        return result
