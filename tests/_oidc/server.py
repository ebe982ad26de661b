"""Start the real OpenID provider in ``provider.mjs`` (panva/oidc-provider under Node.js) on 127.0.0.1.

The npm packages are installed once with ``npm ci`` (exact versions and integrity hashes from
``package-lock.json``) into a cache directory keyed by the lock file's hash:
``$CSI_OIDC_CACHE`` or ``~/.cache/csi-oidc/<hash>``. Later runs reuse it (no network).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_MISSING = "Node.js and npm are not installed (./test installs nodejs and npm with apt-get as root)"


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def installed_provider() -> Path:
    """The cache directory holding provider.mjs and its node_modules; installs them on first use."""
    digest = hashlib.sha256((HERE / "package.json").read_bytes() + (HERE / "package-lock.json").read_bytes())
    base = Path(os.environ.get("CSI_OIDC_CACHE") or Path.home() / ".cache" / "csi-oidc")
    target = base / digest.hexdigest()[:16]
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time (parallel test runs)
        if not (target / "node_modules" / "oidc-provider" / "package.json").exists():
            for name in ("package.json", "package-lock.json"):
                shutil.copy2(HERE / name, target / name)
            result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--omit=dev"], cwd=target,
                                    capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"npm ci failed in {target}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        shutil.copy2(HERE / "provider.mjs", target / "provider.mjs")  # always the current script
    return target


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str


@contextlib.contextmanager
def running_provider(*, port: int, redirect_uri: str, client_id: str = "csi-test",
                     client_secret: str = "csi-test-client-secret-not-real") -> Iterator[Provider]:
    """Run the provider on ``port`` until the block ends; yields its issuer and client."""
    directory = installed_provider()
    process = subprocess.Popen(
        ["node", str(directory / "provider.mjs"), str(port), client_id, client_secret, redirect_uri],
        cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("READY ") or process.poll() is not None:
                break
        if not line.startswith("READY "):
            process.kill()
            raise RuntimeError(f"the OpenID provider did not start: {line!r} {process.stderr.read()[-2000:]}")
        yield Provider(line.split()[1], client_id, client_secret)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
