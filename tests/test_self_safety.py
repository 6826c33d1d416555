"""tfllint itself stays safe on a hostile model (issue 13, point 5): nothing in a model
makes tfllint run code, allocate beyond a bound, or write outside the files the user names.

- Code: a scan of tfllint/ and rules/ for every call that runs or loads code (eval, exec,
  compile, imports by name, pickle, marshal, subprocesses, ctypes), each site listed here
  with why no model content reaches it; and a run on models whose every string is a module
  name, a `module:function` and Python source, with that module on the path, which must
  not import it. The one documented way to make tfllint import code is a user target
  profile's `module:function` check (README, "Untrusted models"); a module that does not
  import is one clear configuration error, exit 2.
- Memory: semantically valid hostile models (shapes of 2^31-1 in every dimension, a
  constant claiming such a shape over a 4-byte buffer, a chain of subgraph calls 400 deep,
  a call cycle) and the reader's hostile vector lengths, linted in a child process under
  RLIMIT_AS of 512 MiB with every check on (--untrusted, --target tflm, --show all): exit
  0, 1 or 2 with one message, never a traceback or MemoryError.
- Writes: a child process with HOME, TFLLINT_CACHE_DIR, XDG_CACHE_HOME and TMPDIR in a
  temporary directory, audited by a Python audit hook: every file it opens for writing,
  creates, renames or removes lies in the TOML cache (TFLLINT_CACHE_DIR, by default
  ~/.cache/tfllint: a documented write) or is the --output-file, --plot or --graph the
  user named; it starts no process.
"""
from __future__ import annotations

import ast
import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from builder import ModelBuilder, relu_model
from corrupt import Layout, put_u32

# -- code: every site that runs or loads code, and why no model content reaches it ------

# (file relative to the repository, the call as written) -> why it is safe
ALLOWED_CODE_SITES = {
    ("tfllint/records.py", "exec"):
        "compiles __init__ of tfllint's own record classes from their field names",
    ("tfllint/reader/flatbuffer.py", "exec"):
        "compiles table readers from the bundled schema (field names and numbers), "
        "never from a model's bytes",
    ("tfllint/toml_files.py", "marshal.loads"):
        "reads the TOML cache tfllint wrote itself in TFLLINT_CACHE_DIR (data, not code)",
    ("tfllint/toml_files.py", "marshal.dumps"): "writes that cache",
    ("tfllint/reporters/sarif.py", "subprocess.run"):
        "`git rev-parse --show-toplevel` with a fixed argument list, for SARIF's uri base",
    ("tfllint/engine/registry.py", "importlib.import_module"):
        "the built-in rule modules and installed entry points",
    ("tfllint/engine/registry.py", "importlib.util.spec_from_file_location"):
        "rule modules in a --rules-path directory the user names",
    ("tfllint/engine/registry.py", "importlib.util.module_from_spec"): "the same modules",
    ("tfllint/parallel.py", "import multiprocessing"):
        "--jobs: worker processes of tfllint itself (fork), which pickle tfllint's own "
        "settings and finding records between them",
    ("tfllint/parallel.py", "concurrent.futures.ProcessPoolExecutor"): "the same workers",
    ("tfllint/entry_points.py", "importlib.import_module"):
        "entry points of installed packages (tfllint plugins)",
    ("tfllint/targets/checks/__init__.py", "importlib.import_module"):
        "the built-in check modules, and a user target profile's `module:function` check: "
        "the documented exception (README, Untrusted models)",
}
CODE_CALLS = {"eval", "exec", "compile", "__import__", "importlib.import_module",
              "importlib.util.spec_from_file_location", "importlib.util.module_from_spec",
              "pickle.load", "pickle.loads", "marshal.load", "marshal.loads",
              "marshal.dumps", "subprocess.run", "subprocess.Popen", "subprocess.call",
              "subprocess.check_output", "os.system", "os.popen", "os.execv", "os.execvp",
              "ctypes.CDLL", "ctypes.cdll.LoadLibrary", "runpy.run_path",
              "runpy.run_module", "yaml.load", "shelve.open", "ProcessPoolExecutor"}
CODE_MODULES = {"pickle", "marshal", "subprocess", "ctypes", "runpy", "shelve", "dill",
                "cloudpickle", "yaml", "code", "codeop", "multiprocessing"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def code_sites() -> set[tuple[str, str]]:
    """(file, call) of every call that runs or loads code, and every import of a module
    that does, in tfllint/ and rules/."""
    sites = set()
    for path in sorted([*(REPO / "tfllint").rglob("*.py"), *(REPO / "rules").rglob("*.py")]):
        relative = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if isinstance(node, ast.Call) and _dotted(node.func) in CODE_CALLS:
                name = _dotted(node.func)
                sites.add((relative, PROCESS_POOL if name == "ProcessPoolExecutor" else name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                for name in names:
                    if name.split(".")[0] in CODE_MODULES and \
                            (relative, f"{name.split('.')[0]}.") not in MODULE_IMPORTS:
                        sites.add((relative, f"import {name}"))
    return sites


PROCESS_POOL = "concurrent.futures.ProcessPoolExecutor"
# modules imported for the calls listed above
MODULE_IMPORTS = {("tfllint/toml_files.py", "marshal."), ("tfllint/reporters/sarif.py",
                                                          "subprocess.")}


def test_every_call_that_runs_or_loads_code_is_a_listed_site():
    """A new eval, exec, import by name, pickle or subprocess in tfllint/ or rules/ fails
    here until it is listed with why no model content reaches it."""
    assert code_sites() == set(ALLOWED_CODE_SITES)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The scan itself: each kind of call in a file is found (a scan that found nothing
    would pass the test above with an empty list)."""
    source = textwrap.dedent("""
        import pickle, importlib
        eval(x); exec(y); pickle.loads(z); importlib.import_module(name); __import__(n)
    """)
    found = {_dotted(node.func) for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and _dotted(node.func) in CODE_CALLS}
    assert found == {"eval", "exec", "pickle.loads", "importlib.import_module", "__import__"}
    assert len(code_sites()) == len(ALLOWED_CODE_SITES) >= 8


PAYLOAD_MODULE = "tfllint_payload_probe"
PAYLOAD = (f"{PAYLOAD_MODULE}:run", PAYLOAD_MODULE, f"__import__('{PAYLOAD_MODULE}')",
           f"import {PAYLOAD_MODULE}", "Flex" + PAYLOAD_MODULE)


def payload_model() -> bytes:
    """A model whose tensor names, custom codes, signature keys and metadata names are
    module names, `module:function` strings and Python source."""
    model = ModelBuilder()
    main = model.subgraph(PAYLOAD[2])
    x = main.tensor(PAYLOAD[0], [1, 4])
    tensors = [x]
    for number, text in enumerate(PAYLOAD):
        y = main.tensor(f"{text} {number}", [1, 4])
        main.op("CUSTOM", [tensors[-1]], [y], custom_code=text)
        tensors.append(y)
    main.inputs, main.outputs = [x], [tensors[-1]]
    model.signature(PAYLOAD[1], {PAYLOAD[3]: x}, {PAYLOAD[0]: tensors[-1]})
    model.add_metadata(PAYLOAD[0], PAYLOAD[2].encode())
    return model.build()


# -- the child process: audit what it opens, starts and imports -------------------------

AUDIT = textwrap.dedent("""
    import json, os, sys
    events = []
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \\
                (mode is None and isinstance(flags, int) and flags & WRITE)
            if writes and isinstance(path, (str, bytes)):
                events.append(["write", os.path.abspath(os.fsdecode(path)), event])
        elif event in ("os.rename", "os.replace"):
            events.append(["write", os.path.abspath(os.fsdecode(args[1])), event])
        elif event in ("os.remove", "os.unlink", "os.rmdir", "os.truncate", "shutil.rmtree",
                       "os.mkdir", "os.symlink", "os.link", "os.chmod"):
            if isinstance(args[0], (str, bytes)):
                events.append(["write", os.path.abspath(os.fsdecode(args[0])), event])
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
                       "os.spawn", "os.fork") or (event == "ctypes.dlopen" and args[0]):
            # (ctypes.dlopen(None) is the running program itself, which libraries ask for)
            events.append(["process", event, repr(args)[:200]])
        elif event == "import" and args[0].split(".")[0] == sys.argv[1]:
            events.append(["import", args[0]])

    sys.addaudithook(hook)
    from tfllint.cli import main
    try:
        code = main(sys.argv[2:])
    except SystemExit as stop:
        code = stop.code
    sys.stdout.flush()
    os.write(2, ("AUDIT " + json.dumps({"exit": code, "events": events}) + "\\n").encode())
""")


def run_audited(arguments: list[str], home: Path, cwd: Path, extra_path: Path | None = None,
                limit: int | None = None,
                cache: Path | None = None) -> tuple[int, list, str, str]:
    """tfllint's command line in a child process with HOME and TMPDIR under `home`, and
    TFLLINT_CACHE_DIR `cache` (by default unset: the cache goes under HOME): (exit, audit
    events, stdout, stderr)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("TFLLINT_CACHE_DIR", "XDG_CACHE_HOME")}
    if cache is not None:
        env["TFLLINT_CACHE_DIR"] = str(cache)
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"), PYTHONDONTWRITEBYTECODE="1",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(extra_path or ""),
                                                        env.get("PYTHONPATH", "")])))
    (home / "tmp").mkdir(exist_ok=True)

    def limited() -> None:
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run([sys.executable, "-c", AUDIT, PAYLOAD_MODULE, *arguments],
                            cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=120, preexec_fn=limited)
    audit = [line for line in result.stderr.splitlines() if line.startswith("AUDIT ")]
    assert audit, result.stderr[-2000:]
    report = json.loads(audit[-1][len("AUDIT "):])
    stderr = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("AUDIT "))
    return report["exit"], report["events"], result.stdout, stderr


@pytest.fixture
def sandbox(tmp_path):
    """home/ (HOME, TMPDIR), work/ (the current directory, with the models), probe/ (a
    module that leaves a mark if anything imports it)."""
    home, work, probe = tmp_path / "home", tmp_path / "work", tmp_path / "probe"
    for directory in (home, work, probe):
        directory.mkdir()
    (probe / f"{PAYLOAD_MODULE}.py").write_text(
        f"open({str(tmp_path / 'IMPORTED')!r}, 'w').close()\n"
        "def run(*args, **kwargs):\n    return []\n")
    return tmp_path, home, work, probe


def test_model_content_never_makes_tfllint_import_or_start_anything(sandbox):
    root, home, work, probe = sandbox
    (work / "payload.tflite").write_bytes(payload_model())
    code, events, out, err = run_audited(
        ["--no-config", "--untrusted", "--target", "tflm,cpu,gpu", "--show", "all",
         "--format", "text", "payload.tflite"], home, work, extra_path=probe)
    assert code == 1, err  # TFL102 / TFL111 / TFL101 on the payload ops: findings, no crash
    assert PAYLOAD_MODULE in out  # the strings were read and reported as text
    assert not (root / "IMPORTED").exists()
    assert [e for e in events if e[0] in ("import", "process")] == []


def test_tfllint_writes_only_its_cache_and_the_files_the_user_names(sandbox):
    root, home, work, probe = sandbox
    (work / "a.tflite").write_bytes(payload_model())
    (work / "b.tflite").write_bytes(relu_model().build())
    before = {path: path.stat().st_mtime_ns for path in work.rglob("*")}
    named = [work / "report.json", work / "plot-{model}.svg", work / "graph-{model}.dot"]
    code, events, _, err = run_audited(
        ["--no-config", "--untrusted", "--target", "tflm", "--format", "json",
         "--output-file", str(named[0]), "--plot", str(named[1]), "--graph", str(named[2]),
         "a.tflite", "b.tflite"], home, work)
    assert code == 1, err
    cache = home / ".cache" / "tfllint"  # the TOML cache, the one documented write
    outputs = {named[0], *(work / f"{kind}-{stem}.{ext}" for kind, ext in
                           (("plot", "svg"), ("graph", "dot")) for stem in ("a", "b"))}
    writes = [(Path(path), event) for kind, path, event in
              (e for e in events if e[0] == "write")]

    def allowed(path: Path, event: str) -> bool:
        return (cache in path.parents or path in (cache, cache.parent) or path in outputs
                # the output's directory, made if missing (it exists here)
                or (event == "os.mkdir" and path in {o.parent for o in outputs}))

    assert [(str(path), event) for path, event in writes if not allowed(path, event)] == []
    written = {path for path, _ in writes}
    assert written & outputs == outputs  # the named files were written, and seen
    assert any(cache in path.parents for path in written)  # the cache was (seen) written
    after = {path for path in root.rglob("*") if path.is_file()}
    assert {path for path in after if home not in path.parents} == \
        {*(p for p in before if p.is_file()), *outputs, root / "probe" / f"{PAYLOAD_MODULE}.py"}
    assert [e for e in events if e[0] == "process"] == []


def test_a_cache_directory_of_the_user_s_choice_holds_the_cache(sandbox):
    root, home, work, _ = sandbox
    (work / "a.tflite").write_bytes(relu_model().build())
    cache = root / "elsewhere"
    code, events, _, err = run_audited(["--no-config", "a.tflite"], home, work, cache=cache)
    assert code in (0, 1), err
    written = {Path(event[1]) for event in events if event[0] == "write"}
    assert written and all(path == cache or cache in path.parents for path in written), written
    assert not (home / ".cache").exists()


# -- memory: hostile but well-formed models under an address-space limit ---------------

ADDRESS_SPACE_LIMIT = 512 << 20
HUGE = 2**31 - 1


def huge_shapes() -> bytes:
    """Activations claiming [2^31-1] * 4 (about 2^124 elements), through ops every
    analysis sizes: the arena planners, TFL009's checks, the memory report."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [HUGE] * 4)
    y = main.tensor("y", [HUGE] * 4)
    z = main.tensor("z", [HUGE] * 4, "INT8", scale=[0.5], zero_point=[0])
    main.op("ADD", [x, x], [y], options=("AddOptions", {}))
    main.op("QUANTIZE", [y], [z])
    main.inputs, main.outputs = [x], [z]
    return model.build()


def huge_constant() -> bytes:
    """Constants claiming [2^31-1, 2^31-1] over 4 bytes, as an axis, a gather index, a
    block shape and convolution weights: every reader of constant data meets them."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8, 8, 4])
    small = np.zeros(1, np.int32).tobytes()
    axis = main.tensor("axis", [HUGE, HUGE], "INT32", data=small)
    weights = main.tensor("w", [HUGE, 3, 3, HUGE], data=small)
    block = main.tensor("block", [HUGE], "INT32", data=small)
    paddings = main.tensor("pad", [HUGE, 2], "INT32", data=small)
    y = main.tensor("y", [1, 8, 8, 4])
    z = main.tensor("z", [1, 8, 8, 4])
    w = main.tensor("w_out", [1, 8, 8, 4])
    v = main.tensor("v", [1, 8, 8, 4])
    main.op("MEAN", [x, axis], [y], options=("ReducerOptions", {}))
    main.op("GATHER", [y, axis], [z], options=("GatherOptions", {"axis": 0}))
    main.op("CONV_2D", [z, weights], [w], options=("Conv2DOptions", {
        "stride_w": 1, "stride_h": 1}))
    main.op("SPACE_TO_BATCH_ND", [w, block, paddings], [v])
    main.inputs, main.outputs = [x], [v]
    return model.build()


def deep_calls(depth: int = 400) -> bytes:
    """Subgraph 0 runs an IF whose branches are subgraph 1, whose IF runs 2, ... up to
    `depth`, whose IF runs subgraph 0 again: a call cycle as deep as the chain."""
    model = ModelBuilder()
    graphs = [model.subgraph(f"s{n}") for n in range(depth + 1)]
    for number, graph in enumerate(graphs):
        condition = graph.tensor("condition", [1], "BOOL")
        x = graph.tensor("x", [1])
        y = graph.tensor("y", [1])
        callee = (number + 1) % len(graphs)
        graph.op("IF", [condition, condition, x], [y], options=("IfOptions", {
            "then_subgraph_index": callee, "else_subgraph_index": callee}))
        graph.inputs, graph.outputs = [condition, x], [y]
    return model.build()


def huge_vector_lengths() -> list[bytes]:
    """The reader's worst lengths in a valid model's first vectors (as tests/corrupt.py)."""
    data = relu_model().build()
    positions = Layout.of(data).lengths[:6]
    return [put_u32(data, position, value) for position in positions
            for value in (0x7FFFFFFF, 0xFFFFFFFF)]


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS"), reason="needs RLIMIT_AS")
def test_hostile_models_lint_within_512_mib(sandbox):
    root, home, work, _ = sandbox
    models = {"huge_shapes": huge_shapes(), "huge_constant": huge_constant(),
              "deep_calls": deep_calls(),
              **{f"length_{n}": data for n, data in enumerate(huge_vector_lengths())}}
    for name, data in models.items():
        (work / f"{name}.tflite").write_bytes(data)
    sane_code, _, _, sane_err = run_audited(["--no-config", "--select", "TFL5",
                                             "huge_shapes.tflite"], home, work,
                                            limit=ADDRESS_SPACE_LIMIT)
    assert sane_code in (0, 1), sane_err  # the limit leaves room for a run
    for name in models:
        code, _, out, err = run_audited(
            ["--no-config", "--untrusted", "--target", "tflm,cpu", "--show", "all",
             "--memory-budget", "256KiB", f"{name}.tflite"], home, work,
            limit=ADDRESS_SPACE_LIMIT)
        assert code in (0, 1, 2), (name, code, err[-2000:])
        assert "Traceback" not in out + err and "MemoryError" not in out + err, (name, err)
        if name.startswith("length_"):
            assert code == 2 and out.count("error:") + err.count("error:") >= 1, (name, out)
    # the hostile models are reported, not only survived
    for name, rule in (("huge_shapes", "TFL010"), ("huge_constant", "TFL008"),
                       ("deep_calls", "TFL009")):
        code, _, out, _ = run_audited(["--no-config", "--untrusted", "--format", "json",
                                       f"{name}.tflite"], home, work,
                                      limit=ADDRESS_SPACE_LIMIT)
        rules = {f["rule"] for m in json.loads(out)["models"] for f in m["findings"]}
        assert code == 1 and rule in rules, (name, rules)


# -- the documented exception: a user profile's module:function check ------------------

@pytest.mark.parametrize("check, problem", [
    ("no_such_module_xyz.checks:relu_ok",
     "check 'no_such_module_xyz.checks:relu_ok' is a module:function check, which tfllint "
     "imports and runs: importing no_such_module_xyz.checks failed (ModuleNotFoundError: "
     "No module named 'no_such_module_xyz')"),
    ("json:no_such_function",
     "check 'json:no_such_function' is a module:function check, which tfllint imports and "
     "runs: module json has no function 'no_such_function'")])
def test_a_profile_check_that_does_not_load_is_one_clear_config_error(check, problem,
                                                                      tmp_path, run_cli):
    profile = tmp_path / "board.toml"
    profile.write_text(f'[target]\nname = "board"\n[ops.RELU]\nchecks = ["{check}"]\n')
    model = tmp_path / "m.tflite"
    model.write_bytes(relu_model().build())
    code, out, err = run_cli("--no-config", "--target", str(profile), model)
    assert (code, out) == (2, "")
    assert err == f"tfllint: error: {profile}: {problem}\n"
