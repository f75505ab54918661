"""On-disk cache of compile results, keyed by what determines the compiled module.

The key is a sha256 over: the lowered (pre-compile) HLO text, the jax/jaxlib/libtpu versions,
the compiler, the XLA options, the slice and the device order (libtpu's collective algorithm
choice depends on the device assignment, see docs/compilers.md). Entries are single JSON files
written to a temporary file in the same directory and moved into place with ``os.replace``, so a
reader never sees a partial entry and concurrent writers of the same key are harmless.

An entry stores the key it was filed under, the candidate and a sha256 of the result, and is
verified on read: an entry that cannot be read or decoded, was copied under another key, belongs
to another candidate or does not match its checksum is a *cache fault*, reported as a warning
naming the file (logger ``aoizora.cache``) and treated as a miss (the fresh result replaces it).
A cache directory that cannot be used (a file in its place, no permission) is a fault too: the
compile runs uncached. Temporary files left by killed writers are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from aoizora.compiler.job import CompileJob, CompileResult

# Bump when the stored result format or the meaning of a key changes.
_SCHEMA = 3
# A writer holds its temporary file for well under a second; one older than this was left by a
# writer that was killed.
_STALE_TMP_SECONDS = 600.0

log = logging.getLogger("aoizora.cache")


def default_cache_dir() -> Path:
    """``$AOIZORA_CACHE_DIR`` if set, else ``~/.cache/aoizora``."""
    env = os.environ.get("AOIZORA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "aoizora"


def toolchain_versions() -> dict[str, str]:
    """Installed jax, jaxlib and libtpu versions (read from package metadata, no import)."""
    out = {}
    for pkg in ("jax", "jaxlib", "libtpu"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# A Pallas kernel's serialized Mosaic body ("body": "<base64>" in a tpu_custom_call's
# backend_config) differs between a lowering against an AbstractMesh (the planner's, no device
# kind known) and one against the slice's devices (the compile worker's). It is a function of the
# kernel's code (the jax version, in the key), its shapes and parameters (in the rest of the text)
# and the target (the slice, in the key), so the digest leaves it out.
_KERNEL_BODY = re.compile(r'("body"\s*:\s*")[A-Za-z0-9+/=]*(")')
# Where the source is never changes what is compiled: a second checkout of the same commit at
# another path must hit the same entries. Instruction metadata (op names, source files and
# lines: debugging aids the compiler does not use to decide the program) and MLIR locations
# (``loc(...)``, in kernel bodies' text forms) are left out of the digest; so are kernel bodies,
# which serialize their locations.
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_METADATA = re.compile(r",?\s*\bmetadata=\{(?:[^{}\"]|" + _QUOTED + r")*\}")
_LOCATION = re.compile(r"\bloc\((?:[^()\"]|" + _QUOTED + r"|\((?:[^()\"]|" + _QUOTED + r")*\))*\)")


def lowered_text_digest(text: str) -> str:
    """sha256 of a lowered module's text without what does not decide the compiled program:
    Pallas kernel bodies, instruction metadata and source locations (see above)."""
    text = _KERNEL_BODY.sub(r"\1<kernel>\2", text)
    text = _METADATA.sub("", text)
    return sha256_text(_LOCATION.sub("loc(?)", text))


def cache_key(job: CompileJob, lowered_sha256: str) -> str:
    versions = toolchain_versions()
    if job.compiler != "tpu":
        versions.pop("libtpu")  # the CPU fallback does not use libtpu
    payload: dict[str, Any] = {
        "schema": _SCHEMA,
        "lowered": lowered_sha256,
        "versions": versions,
        "compiler": job.compiler,
        "options": sorted(job.options),
        "topology": job.topology,
        "mesh_shape": list(job.mesh_shape),
        "axis_names": list(job.axis_names),
        "device_ids": None if job.device_ids is None else list(job.device_ids),
    }
    return sha256_text(json.dumps(payload, sort_keys=True))


def _checksum(result: dict[str, Any]) -> str:
    return sha256_text(json.dumps(result, sort_keys=True))


class CacheFault(Exception):
    """An entry that cannot be trusted; the message names the file and why."""


class CompileCache:
    """A directory of ``<key>.json`` compile results."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.faults: list[str] = []  # every warning given, in order
        self._swept = False
        self._unusable = False  # the directory itself failed: warned once, then uncached

    def _path(self, key: str) -> Path:
        return self.directory / "compile" / f"{key}.json"

    def _warn(self, message: str) -> None:
        self.faults.append(message)
        log.warning("aoizora: warning: compile cache: %s", message)

    def _directory_fault(self, error: OSError) -> None:
        if not self._unusable:
            self._unusable = True
            where = error.filename or self.directory
            self._warn(
                f"cannot use the cache directory {str(self.directory)!r} ({where}: "
                f"{error.strerror or error}); compiling without the cache"
            )

    def _sweep(self) -> None:
        """Remove temporary files that killed writers left behind (once per instance)."""
        if self._swept:
            return
        self._swept = True
        now = time.time()
        try:
            leftovers = list((self.directory / "compile").glob(".tmp-*"))
        except OSError:
            return
        for tmp in leftovers:
            with contextlib.suppress(OSError):  # gone already, or not ours to remove
                if now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                    tmp.unlink()

    def get(self, key: str, job: CompileJob | None = None) -> CompileResult | None:
        """The verified entry for ``key`` (and ``job``'s candidate, slice and mesh when given),
        or None: a miss, or a cache fault (warned about, naming the file)."""
        if self._unusable:
            return None
        self._sweep()
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except NotADirectoryError as e:  # a file where the cache directory should be
            self._directory_fault(e)
            return None
        except OSError as e:  # a directory in the entry's place, no permission, ...
            self._warn(f"cannot read entry {str(path)!r} ({e.strerror}); treated as a miss")
            return None
        try:
            result = self._decode(data, key, job, path)
        except CacheFault as e:
            self._warn(f"{e}; treated as a miss")
            return None
        result.cached = True
        return result

    @staticmethod
    def _decode(data: bytes, key: str, job: CompileJob | None, path: Path) -> CompileResult:
        name = repr(str(path))
        try:
            entry = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise CacheFault(f"entry {name} is not UTF-8 text (byte {e.start})") from None
        except (ValueError, RecursionError):
            raise CacheFault(f"entry {name} is not valid JSON") from None
        if not isinstance(entry, dict) or entry.get("schema") != _SCHEMA:
            raise CacheFault(f"entry {name} is not a schema-{_SCHEMA} compile cache entry")
        body = entry.get("result")
        if entry.get("key") != key or not isinstance(body, dict) or body.get("key") != key:
            raise CacheFault(f"entry {name} was written for another key (copied or renamed)")
        if entry.get("checksum") != _checksum(body):
            raise CacheFault(f"entry {name} does not match its checksum (modified or corrupt)")
        if body.get("candidate") != entry.get("candidate"):
            raise CacheFault(f"entry {name} names two different candidates")
        try:
            result = CompileResult.from_dict(body)
        except (ValueError, TypeError, KeyError) as e:
            raise CacheFault(f"entry {name} does not decode: {type(e).__name__}: {e}") from None
        if result.status == "ok" and not result.hlo_text.lstrip().startswith("HloModule"):
            raise CacheFault(f"entry {name} holds no compiled HLO module")
        if job is not None:
            want = (job.candidate, job.topology, tuple(job.mesh_shape), tuple(job.axis_names))
            got = (result.candidate, result.topology, result.mesh_shape, result.axis_names)
            if want != got:
                raise CacheFault(
                    f"entry {name} holds {got[0]!r} on {got[1]}, not {want[0]!r} on {want[1]}"
                )
        return result

    def discard(self, key: str, why: str) -> None:
        """Drop an entry found faulty after it was read (e.g. its HLO does not parse)."""
        path = self._path(key)
        self._warn(f"entry {str(path)!r} {why}; removed, compiling again")
        with contextlib.suppress(OSError):
            path.unlink()

    def put(self, result: CompileResult) -> None:
        """Store ``result`` under its key; a failure to write is a warning, not an error."""
        if self._unusable:
            return
        self._sweep()
        path = self._path(result.key)
        body = result.to_dict()
        body["cached"] = False
        entry = {
            "schema": _SCHEMA,
            "key": result.key,
            "candidate": result.candidate,
            "checksum": _checksum(body),
            "result": body,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        except OSError as e:  # a file in the directory's place, no permission, ...
            self._directory_fault(e)
            return
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(entry, f)
            os.replace(tmp, path)
        except OSError as e:  # disk full, a directory in the entry's place, ...
            Path(tmp).unlink(missing_ok=True)
            self._warn(f"cannot write entry {str(path)!r} ({e.strerror or e}); not cached")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
