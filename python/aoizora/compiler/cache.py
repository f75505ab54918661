"""On-disk cache of compile results, keyed by what determines the compiled module.

The key is a sha256 over: the lowered (pre-compile) HLO text, the jax/jaxlib/libtpu versions,
the compiler, the XLA options, the slice and the device order (libtpu's collective algorithm
choice depends on the device assignment, see docs/compilers.md). Entries are single JSON files
written to a temporary file in the same directory and moved into place with ``os.replace``, so a
reader never sees a partial entry and concurrent writers of the same key are harmless.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from aoizora.compiler.job import CompileJob, CompileResult

# Bump when the stored result format or the meaning of a key changes.
_SCHEMA = 2


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


def lowered_text_digest(text: str) -> str:
    """sha256 of a lowered module's text without Pallas kernel bodies (see above)."""
    return sha256_text(_KERNEL_BODY.sub(r"\1<kernel>\2", text))


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


class CompileCache:
    """A directory of ``<key>.json`` compile results."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / "compile" / f"{key}.json"

    def get(self, key: str) -> CompileResult | None:
        path = self._path(key)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        try:
            result = CompileResult.from_dict(json.loads(text))
        except (ValueError, TypeError, KeyError):
            return None  # an entry from another schema: treat as a miss, it will be replaced
        result.cached = True
        return result

    def put(self, result: CompileResult) -> None:
        path = self._path(result.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(result.to_dict(), f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
