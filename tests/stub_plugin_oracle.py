"""LiteRT's MediaTek and Google Tensor compiler plugins, partition step only, as oracles of
their public rule.

Both plugins ship in the ai-edge-litert wheel, but load a closed vendor library before they
partition: MediaTek's NeuronAdapter (libneuron_adapter.so), Google's Tensor compiler
(liblitert_plugin_compiler.so). Neither is on PyPI. What each plugin needs of it to
partition is tiny, so a stub of our own stands in, built with the C compiler at test time:
- MediaTek: Neuron_getVersion, answering 8.0.0, below 8.2.24, the first NeuronAdapter with
  NEURON_FEATURE_UNKNOWN_OP (litert/vendors/mediatek/neuron_adapter_api.h): the plugin then
  decides by its own op table and VerifyCommonOp, and never asks the NeuronAdapter ("get
  supported operations"), whose answer on a newer SDK is the last word. For --cmd=apply,
  the model-building calls all succeed and the "compiled network" is 64 filler bytes: the
  plugin's own legalizations run, and LiteRT writes its compiled file around the filler.
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
        "#include <stddef.h>\n#include <string.h>\n"
        "typedef struct { unsigned char major, minor, patch; } NeuronRuntimeVersion;\n"
        "static int handle;\n"
        "int Neuron_getVersion(NeuronRuntimeVersion* v)\n"
        "{ v->major = 8; v->minor = 0; v->patch = 0; return 0; }\n"
        # the compile: every model call succeeds, and the "compiled network" is 64 bytes of
        # 0x5a, so that --cmd=apply runs the plugin's legalizations and writes LiteRT's file
        "int Neuron_getL1MemorySizeKb(unsigned* s) { *s = 0; return 1; }\n"
        "int NeuronModel_create(void** m) { *m = &handle; return 0; }\n"
        "void NeuronModel_free(void* m) {}\n"
        "int NeuronModel_setName(void* m, const char* n) { return 0; }\n"
        "int NeuronModel_addOperand(void* m, const void* t) { return 0; }\n"
        "int NeuronModel_setOperandValue(void* m, int i, const void* b, size_t n) { return 0; }\n"
        "int NeuronModel_setOperandSymmPerChannelQuantParams(void* m, int i, const void* p)"
        " { return 0; }\n"
        "int NeuronModel_setOperandPerChannelQuantParams(void* m, int i, const void* p)"
        " { return 0; }\n"
        "int NeuronModel_addOperation(void* m, int t, unsigned a, const unsigned* i,"
        " unsigned b, const unsigned* o) { return 0; }\n"
        "int NeuronModel_getExtensionOperandType(void* m, const char* e, unsigned short t,"
        " int* type) { *type = 0x10000; return 0; }\n"
        "int NeuronModel_getExtensionOperationType(void* m, const char* e, unsigned short t,"
        " int* type) { *type = 0x10000; return 0; }\n"
        "int NeuronModel_identifyInputsAndOutputs(void* m, unsigned a, const unsigned* i,"
        " unsigned b, const unsigned* o) { return 0; }\n"
        "int NeuronModel_finish(void* m) { return 0; }\n"
        "int NeuronModel_relaxComputationFloat32toFloat16(void* m, int a) { return 0; }\n"
        "int NeuronCompilation_create(void* m, void** c) { *c = &handle; return 0; }\n"
        "int NeuronCompilation_createWithOptions(void* m, void** c, const char* o)"
        " { *c = &handle; return 0; }\n"
        "int NeuronCompilation_setPriority(void* c, int p) { return 0; }\n"
        "int NeuronCompilation_setPreference(void* c, int p) { return 0; }\n"
        "int NeuronCompilation_setOptimizationHint(void* c, unsigned h) { return 0; }\n"
        "int NeuronCompilation_setOptimizationString(void* c, const char* s) { return 0; }\n"
        "int NeuronCompilation_setL1MemorySizeKb(void* c, unsigned s) { return 0; }\n"
        "int NeuronCompilation_finish(void* c) { return 0; }\n"
        "void NeuronCompilation_free(void* c) {}\n"
        "int NeuronCompilation_getCompiledNetworkSize(void* c, size_t* n)"
        " { *n = 64; return 0; }\n"
        "int NeuronCompilation_storeCompiledNetwork(void* c, void* b, size_t n)"
        " { memset(b, 0x5a, n); return 0; }\n"),
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

    def _run(self, command: str, model: Path, out: Path) -> subprocess.CompletedProcess:
        site = _site()
        out.unlink(missing_ok=True)
        return subprocess.run(
            [str(site / "tools" / "apply_plugin_main"), f"--cmd={command}", f"--model={model}",
             f"--o={out}", f"--soc_manufacturer={self.vendor.manufacturer}",
             f"--soc_model={self.vendor.soc_model}",
             f"--libs={site / 'vendors' / self.vendor.plugin / 'compiler'}", "--err=-"],
            capture_output=True, text=True, errors="replace", timeout=TIMEOUT,
            preexec_fn=_cap_memory, env={**os.environ, "LD_LIBRARY_PATH": str(self.work)})

    def apply(self, model: Path) -> tuple[bytes | None, str]:
        """LiteRT's AOT compile of `model` (--cmd=apply), the stub as the compiler: the file
        it writes (None when it fails) and its log. MediaTek only."""
        out = self.work / "compiled.tflite"
        done = self._run("apply", model, out)
        ok = done.returncode == 0 and out.is_file()
        return (out.read_bytes() if ok else None), done.stdout + done.stderr

    def partition(self, model: Path) -> Partitioned:
        """The plugin's partition step on `model`, every op mapped back to the input model."""
        out = self.work / "partitioned.tflite"
        done = self._run("partition", model, out)
        log = done.stdout + done.stderr
        result = Partitioned(done.returncode, log,
                             stats={int(s): (int(n), int(t), int(p))
                                    for s, n, t, p in STATS.findall(log)})
        if done.returncode == 0 and out.is_file():
            result.selected = _map_back(model.read_bytes(), out.read_bytes(), result.stats)
        return result
