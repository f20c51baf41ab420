"""Local servers for the deployment tests: an S3 API (moto) and a PostgreSQL cluster.

Both bind 127.0.0.1 on a free port, are bounded in time and are stopped by their fixtures. Either
is skipped, with the reason, when its software is missing (`make test` installs both).
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str = "probation-test-key"
    secret_key: str = "probation-test-secret"

    def env(self) -> dict[str, str]:
        """The standard AWS variables that point botocore (and s3fs) at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
        }


@contextlib.contextmanager
def moto_s3() -> Iterator[S3Server]:
    """moto's S3 in server mode, in a thread of this process, on a free port."""
    pytest.importorskip("s3fs")
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(endpoint=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def make_bucket(server: S3Server, name: str) -> None:
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(
        key=server.access_key,
        secret=server.secret_key,
        endpoint_url=server.endpoint,
        skip_instance_cache=True,
    )
    fs.mkdir(name)


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    db: str

    def env(self) -> dict[str, str]:
        """The variables `deploy/dagster.yaml` reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db,
        }

    def connect(self):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=self.db
        )


def postgres_bindir() -> Path | None:
    """Debian's `/usr/lib/postgresql/<version>/bin` (newest), where initdb and pg_ctl are."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


PR_SET_PDEATHSIG = 1


def die_with_parent(uid: int | None = None, gid: int | None = None):
    """A `preexec_fn`: optionally drop to `uid`/`gid`, then ask the kernel to SIGTERM the child
    when this (test) process dies, so a killed test run leaves no server behind."""

    def prepare() -> None:
        if gid is not None:
            os.setgid(gid)
            os.setgroups([])
        if uid is not None:
            os.setuid(uid)
        # After setuid: a change of credentials clears the parent-death signal.
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return prepare


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresServer]:
    """A fresh cluster (initdb) in a temporary folder, its server a child process on a free port.

    As root, the cluster belongs to the `postgres` user (PostgreSQL refuses to run as root).
    Password authentication (scram) is required on 127.0.0.1, as in production. The server is a
    direct child (not daemonised by pg_ctl), stopped with a fast shutdown at the end, and killed
    by the kernel if the test process dies first.
    """
    pytest.importorskip("psycopg2")
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    uid = gid = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to own the cluster")
        uid, gid = owner.pw_uid, owner.pw_gid
    folder = Path(tempfile.mkdtemp(prefix="probation-pg-"))
    data = folder / "data"
    password = "probation-test-password"
    port = free_port()
    server_process = None
    try:
        pwfile = folder / "pwfile"
        pwfile.write_text(password + "\n")
        if uid is not None:
            os.chown(folder, uid, gid)
            os.chown(pwfile, uid, gid)
        subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "dagster",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_SECONDS,
            preexec_fn=die_with_parent(uid, gid),
            cwd=folder,
        )
        log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed in the finally below
        server_process = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={folder}",
                "-c",
                "fsync=off",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(uid, gid),
            cwd=folder,
        )
        server = PostgresServer("127.0.0.1", port, "dagster", password, "postgres")

        def accepts() -> bool:
            if server_process.poll() is not None:
                raise RuntimeError((folder / "server.log").read_text())
            try:
                server.connect().close()
                return True
            except Exception:
                return False

        if not wait_for(accepts, timeout=START_TIMEOUT_SECONDS, interval=0.2):
            raise RuntimeError(f"PostgreSQL did not start in {START_TIMEOUT_SECONDS} s")
        with contextlib.closing(server.connect()) as connection:
            connection.autocommit = True
            connection.cursor().execute("CREATE DATABASE dagster")
        yield PostgresServer("127.0.0.1", port, "dagster", password, "dagster")
    finally:
        if server_process is not None:
            server_process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                server_process.wait(timeout=START_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                server_process.kill()
                server_process.wait(timeout=10)
            log.close()
        shutil.rmtree(folder, ignore_errors=True)


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a process started with `start_new_session=True` and everything in its group (the
    daemon's code server): SIGTERM, then SIGKILL if it has not ended after 30 seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(predicate, timeout: float, interval: float = 1.0) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
