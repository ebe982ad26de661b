"""A throwaway PostgreSQL server for one test session: initdb + pg_ctl in a temporary directory.

As root, initdb and postgres refuse to run, so they run as the ``postgres`` system user (which the
Debian package creates) through ``runuser``, in a directory that user owns. The server listens on
127.0.0.1 on a free port with its socket in the same directory, trusts local connections and skips
fsync: the data is thrown away at the end.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

SKIP_REASON = "PostgreSQL server binaries not installed (./test installs them)"
DATABASE = "csi_test"
SUPERUSER = "postgres"
_DIR_PREFIX = "csi-test-pg-"
_OWNER_FILE = "owner.pid"
_SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
"""


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, else one on PATH."""
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    candidates.sort(key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)], reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    return next((p for p in candidates if (p / "pg_ctl").exists()), None)


@dataclass
class PostgresServer:
    """A running server; ``url()`` gives SQLAlchemy URLs for its databases."""

    bindir: Path
    root: Path
    port: int
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _run(self, "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server(database: str = DATABASE) -> PostgresServer:
    """Initialise and start a server in a new temporary directory, with ``database`` created."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(SKIP_REASON)
    reap_orphans()
    run_as = _service_user() if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix=_DIR_PREFIX, dir="/tmp" if os.path.isdir("/tmp") else None))
    (root / _OWNER_FILE).write_text(str(os.getpid()))
    server = PostgresServer(bindir=bindir, root=root, port=0, run_as=run_as)
    try:
        if run_as:
            user = pwd.getpwnam(run_as)
            os.chown(root, user.pw_uid, user.pw_gid)
        _run(server, "initdb", "-D", str(server.data_dir), "-U", SUPERUSER, "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync")
        with open(server.data_dir / "postgresql.conf", "a") as conf:
            conf.write(_SETTINGS.format(socket_dir=root))
        _start(server)
        with connect(server.url("postgres")) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
    except BaseException:
        server.stop()
        raise
    return server


def _start(server: PostgresServer, attempts: int = 3) -> None:
    """pg_ctl start on a free port, retrying when another process takes the port first."""
    log = server.root / "postgres.log"
    for attempt in range(attempts):
        server.port = _free_port()
        # pg_ctl's output goes to a file, not a pipe: the postmaster it leaves running could
        # otherwise hold the pipe open and hang us.
        with open(server.root / "pg_ctl.out", "w") as out:
            result = subprocess.run(
                _command(server, "pg_ctl", "-D", str(server.data_dir), "-l", str(log), "-w", "-t", "60",
                         "-o", f"-p {server.port}", "start"),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=server.root, check=False,
            )
        if result.returncode == 0:
            return
        text = log.read_text(errors="replace") if log.exists() else ""
        if "could not bind" not in text or attempt == attempts - 1:
            output = (server.root / "pg_ctl.out").read_text(errors="replace")
            raise RuntimeError(f"PostgreSQL did not start:\n{output}\n{text[-3000:]}")


def _service_user() -> str:
    for name in (SUPERUSER, "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root, but there is no 'postgres' user to run PostgreSQL as")


def _command(server: PostgresServer, program: str, *args: str) -> list[str]:
    command = [str(server.bindir / program), *args]
    if server.run_as is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", server.run_as, "--", *command]
    return ["su", "-s", "/bin/sh", server.run_as, "-c", " ".join(_quote(c) for c in command)]


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def _run(server: PostgresServer, program: str, *args: str) -> None:
    result = subprocess.run(_command(server, program, *args), capture_output=True, text=True,
                            cwd=server.root, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reap_orphans() -> None:
    """Stop servers left behind by test sessions that were killed before they could clean up."""
    bindir = find_bindir()
    for root in Path("/tmp").glob(f"{_DIR_PREFIX}*"):
        try:
            owner = int((root / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        if bindir is not None and (root / "data" / "postmaster.pid").exists():
            stat = root.stat()
            run_as = pwd.getpwuid(stat.st_uid).pw_name if os.geteuid() == 0 and stat.st_uid != 0 else None
            PostgresServer(bindir=bindir, root=root, port=0, run_as=run_as).stop()
        else:
            shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def connect(url: str) -> psycopg.Connection:
    """An autocommit psycopg connection to the database a SQLAlchemy URL names."""
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
        dbname=parsed.database, autocommit=True,
    )


def create_database(url: str, name: str) -> str:
    """Create the empty database ``name`` (dropping one of that name first) on the server ``url`` points
    at; returns its URL."""
    drop_database(url, name)
    with connect(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    """Drop the database ``name``, if there, on the server ``url`` points at (connections to it too)."""
    with connect(url) as conn:
        force = " WITH (FORCE)" if conn.info.server_version >= 130000 else ""
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"{force}')


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """Create an empty database ``t_<uuid>`` on the server ``url`` points at; drop it afterwards."""
    name = f"t_{uuid.uuid4().hex}"
    with connect(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(url, name)
