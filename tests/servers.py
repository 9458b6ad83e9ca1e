"""Real servers for the tests, each in its own temporary folder on 127.0.0.1 and a free port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None,
             log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.05)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not start within {timeout}s\n{tail}")


def _need(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if not path:
        raise RuntimeError(f"{binary} not found: install the Debian package {package} (.ci/run does)")
    return path


@dataclass
class Server:
    proc: subprocess.Popen
    tmp: Path
    port: int
    url: str
    stop_signal: int = signal.SIGTERM
    extra: dict = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_redis() -> Server:
    binary = _need("redis-server", "redis-server")
    tmp = Path(tempfile.mkdtemp(prefix="of-redis-"))
    port = free_port()
    log = tmp / "redis.log"
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp), "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    import redis

    wait_for(lambda: redis.Redis(port=port).ping(), 10, "redis-server", proc, log)
    return Server(proc=proc, tmp=tmp, port=port, url=f"redis://127.0.0.1:{port}/0")


def _pg_bin(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return _need(name, "postgresql")


def start_postgres() -> Server:
    """initdb refuses root, so the cluster belongs to the postgres user when we are root."""
    tmp = Path(tempfile.mkdtemp(prefix="of-pg-"))
    tmp.chmod(0o755)
    data = tmp / "data"
    port = free_port()
    as_root = os.geteuid() == 0
    user = {"user": "postgres"} if as_root else {}
    if as_root:
        shutil.chown(tmp, "postgres")
    log = tmp / "pg.log"
    subprocess.run([_pg_bin("initdb"), "-U", "postgres", "-A", "trust", "--no-sync", "-D", str(data)],
                   check=True, capture_output=True, **user)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [_pg_bin("postgres"), "-D", str(data), "-k", str(tmp), "-c", "listen_addresses=127.0.0.1",
             "-p", str(port), "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=out, stderr=subprocess.STDOUT, **user,
        )
    import psycopg

    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    wait_for(lambda: psycopg.connect(url, connect_timeout=1).close() is None, 30, "postgres", proc, log)
    return Server(proc=proc, tmp=tmp, port=port, url=url, stop_signal=signal.SIGINT)


def create_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def start_radicale(users: dict[str, str]) -> Server:
    """A real CalDAV server (Radicale, in its own process) with these users' plain passwords."""
    import sys

    tmp = Path(tempfile.mkdtemp(prefix="of-radicale-"))
    port = free_port()
    (tmp / "users").write_text("".join(f"{name}:{password}\n" for name, password in users.items()))
    (tmp / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {tmp / 'users'}\nhtpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {tmp / 'collections'}\n"
        "[rights]\ntype = owner_only\n[logging]\nlevel = warning\n")
    log = tmp / "radicale.log"
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(tmp / "config")],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def up() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    wait_for(up, 20, "radicale", proc, log)
    return Server(proc=proc, tmp=tmp, port=port, url=f"http://127.0.0.1:{port}/")
