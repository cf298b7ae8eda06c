"""A mailbox on an SFTP server: the same behaviour as ``LocalMailbox``, over paramiko, with retries.

Every operation is idempotent or made so (see ``move``), so a dropped session is retried on a new
connection without the caller noticing; when the retries run out it raises ``RetriableError``.
"""

from __future__ import annotations

import io
import logging
import posixpath
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import paramiko
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from connectors.mailbox.base import PART_SUFFIX, RemoteFile, safe_folder, safe_name
from connectors.sftp.hostkeys import expected_host_keys
from connectors.sftp.settings import SftpSettings
from hub.errors import ConfigError, FatalError, HubError, RetriableError
from hub.faultpoints import reached

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoginRejected(FatalError):
    """The server refused our user name with the configured key and/or password."""


class SftpMailbox:
    """``Mailbox`` over SFTP. Connects on first use; ``close()`` or ``with`` ends the session.

    Safe to share between threads (one request at a time per mailbox).
    """

    def __init__(self, settings: SftpSettings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._key: paramiko.PKey | None = None
        self._known_dirs: set[str] = set()
        self._posix_rename = True
        self.connects = 0  # sessions opened so far: tests and run metadata show reconnects

    # -- the Mailbox port ------------------------------------------------------------------------------

    def list(self, folder: str) -> list[RemoteFile]:
        rel = safe_folder(folder)
        path = self._path(rel)

        def op(sftp: paramiko.SFTPClient) -> list[RemoteFile]:
            try:
                entries = sftp.listdir_attr(path)
            except FileNotFoundError:  # missing folder, or not a folder
                return []
            found = [
                RemoteFile(rel, entry.filename, int(entry.st_size or 0), float(entry.st_mtime or 0))
                for entry in entries
                if stat.S_ISREG(entry.st_mode or 0)
                and not entry.filename.endswith(PART_SUFFIX)
                and not entry.filename.startswith(".")
            ]
            return sorted(found, key=lambda f: (f.mtime, f.name))

        return self._run(f"list {path}", op)

    def read(self, folder: str, name: str) -> bytes:
        path = self._path(safe_folder(folder), safe_name(name))

        def op(sftp: paramiko.SFTPClient) -> bytes:
            return _download(sftp, path)

        return self._run(f"read {path}", op)

    def write(self, folder: str, name: str, data: bytes) -> None:
        directory = self._path(safe_folder(folder))
        final = posixpath.join(directory, safe_name(name))
        part = final + PART_SUFFIX

        def op(sftp: paramiko.SFTPClient) -> None:
            self._ensure_dir(sftp, directory)
            # opened 'wb': a .part left by a cut upload is truncated, never appended to
            sftp.putfo(io.BytesIO(data), part, file_size=len(data), callback=_transferring, confirm=True)
            reached("sftp.write.uploaded")
            self._replace(sftp, part, final)

        self._run(f"write {final}", op)

    def move(self, folder: str, name: str, to_folder: str, new_name: str | None = None) -> str:
        source = self._path(safe_folder(folder), safe_name(name))
        target_dir = self._path(safe_folder(to_folder))
        wanted = safe_name(new_name or name)
        tried: list[str] = []

        def op(sftp: paramiko.SFTPClient) -> str:
            self._ensure_dir(sftp, target_dir)
            if tried and not _exists(sftp, source) and _exists(sftp, posixpath.join(target_dir, tried[-1])):
                return tried[-1]  # the last attempt's rename happened; only its answer was lost
            taken = set(sftp.listdir(target_dir))
            for candidate in name_candidates(wanted):
                if candidate in taken:
                    continue
                tried.append(candidate)
                target = posixpath.join(target_dir, candidate)
                try:
                    sftp.rename(source, target)  # SFTP v3 rename never replaces an existing file
                    return candidate
                except OSError:
                    if not self._alive() or not _exists(sftp, target):
                        raise
                    taken.add(candidate)  # taken meanwhile by someone else: next free name
            raise AssertionError("unreachable: name_candidates is endless")

        return self._run(f"move {source} -> {target_dir}", op)

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    # -- session -----------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the session now (verifies host key and login) instead of on first use."""
        self._run("connect", lambda sftp: None)

    @property
    def connected(self) -> bool:
        return self._alive()

    def __enter__(self) -> SftpMailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SftpMailbox({self.settings})"

    def _run(self, what: str, op: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run ``op`` on a live session; transient faults reconnect and retry, then become RetriableError."""
        settings = self.settings
        attempts = settings.retries + 1
        with self._lock:
            retrying = Retrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential(multiplier=settings.retry_wait, max=10),
                retry=retry_if_exception(self._transient),
                before_sleep=self._before_retry,
                reraise=True,
            )
            try:
                for attempt in retrying:
                    with attempt:
                        return op(self._client())
            except Exception as exc:
                if not self._transient(exc):
                    raise
                self._disconnect()
                raise RetriableError(
                    f"SFTP {what} on {settings} failed after {attempts} attempt(s): {type(exc).__name__}: {exc}"
                ) from exc
            raise AssertionError("unreachable: tenacity either returns or raises")

    def _before_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "SFTP %s: %s: %s; reconnecting (attempt %d of %d)",
            self.settings,
            type(error).__name__,
            error,
            state.attempt_number + 1,
            self.settings.retries + 1,
        )
        self._disconnect()

    def _transient(self, exc: BaseException) -> bool:
        """Network trouble is transient; refusals (host key, login, unsafe name, no such file) are not."""
        if isinstance(exc, (HubError, paramiko.AuthenticationException, paramiko.BadHostKeyException)):
            return False
        if isinstance(exc, (EOFError, paramiko.SSHException, socket.timeout, ConnectionError)):
            return True
        if isinstance(exc, (OSError, paramiko.SFTPError)):
            return not self._alive()  # an SFTP status error on a live session is the server's answer
        return False

    def _alive(self) -> bool:
        return self._transport is not None and self._transport.is_active() and self._sftp is not None

    def _client(self) -> paramiko.SFTPClient:
        if not self._alive():
            self._disconnect()
            self._connect()
        assert self._sftp is not None
        return self._sftp

    def _connect(self) -> None:
        settings = self.settings
        expected = expected_host_keys(settings)  # configuration errors before any network traffic
        sock = socket.create_connection((settings.host, settings.port), timeout=settings.connect_timeout)
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = transport.handshake_timeout = settings.connect_timeout
            transport.auth_timeout = settings.connect_timeout
            options = transport.get_security_options()
            options.key_types = expected.key_types(list(options.key_types))
            transport.start_client(timeout=settings.connect_timeout)
            expected.check(settings.host, settings.port, transport.get_remote_server_key())
            self._login(transport)
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise paramiko.SSHException("the server did not open the sftp subsystem")
            sftp.get_channel().settimeout(settings.op_timeout)
        except BaseException:
            transport.close()
            raise
        self._transport, self._sftp = transport, sftp
        self._known_dirs = set()
        self.connects += 1
        log.info("SFTP connected to %s (session %d)", settings, self.connects)

    def _login(self, transport: paramiko.Transport) -> None:
        settings, refusals = self.settings, []
        if settings.key_path is not None:
            try:
                transport.auth_publickey(settings.user, self._private_key())
            except paramiko.AuthenticationException as exc:
                refusals.append(f"key {settings.key_path}: {exc}")
        if not transport.is_authenticated() and settings.password is not None:
            try:
                transport.auth_password(settings.user, settings.password.get_secret_value(), fallback=False)
            except paramiko.AuthenticationException as exc:
                refusals.append(f"password: {exc}")
        if not transport.is_authenticated():
            raise LoginRejected(
                f"SFTP login as {settings.user!r} refused by {settings}: {'; '.join(refusals)}"
            )

    def _private_key(self) -> paramiko.PKey:
        if self._key is None:
            path = self.settings.key_path
            passphrase = self.settings.key_passphrase
            try:
                self._key = paramiko.PKey.from_path(
                    path, password=passphrase.get_secret_value() if passphrase else None
                )
            except (OSError, ValueError, TypeError, paramiko.SSHException) as exc:
                raise ConfigError(f"cannot load SFTP private key {path}: {exc}", key="key_path") from exc
        return self._key

    def _disconnect(self) -> None:
        sftp, transport = self._sftp, self._transport
        self._sftp = self._transport = None
        for closable in (sftp, transport):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # closing a dead session may fail again; it is gone either way
                    log.debug("SFTP close failed", exc_info=True)

    # -- paths -------------------------------------------------------------------------------------------

    def _path(self, *parts: str) -> str:
        root = self.settings.root
        return posixpath.join(*parts) if root == "." else posixpath.join(root, *parts)

    def _ensure_dir(self, sftp: paramiko.SFTPClient, directory: str) -> None:
        """``mkdir -p`` below the root, remembered per session."""
        if directory in self._known_dirs:
            return
        if not _is_dir(sftp, directory):
            prefix = "/" if directory.startswith("/") else ""
            for part in [p for p in directory.split("/") if p]:
                prefix = posixpath.join(prefix, part) if prefix else part
                if _is_dir(sftp, prefix):
                    continue
                try:
                    sftp.mkdir(prefix)
                except OSError:
                    if not self._alive() or not _is_dir(sftp, prefix):  # lost a race: fine if it exists now
                        raise
        self._known_dirs.add(directory)

    def _replace(self, sftp: paramiko.SFTPClient, part: str, final: str) -> None:
        """Atomic rename over an older ``final`` (posix-rename), or rename after removing it (plain v3)."""
        if self._posix_rename:
            try:
                sftp.posix_rename(part, final)
                return
            except OSError:
                if not self._alive():
                    raise
                if not _exists(sftp, part):
                    raise
                self._posix_rename = False
                log.info("SFTP %s: no posix-rename extension, using rename", self.settings)
        try:
            sftp.rename(part, final)
        except OSError:
            if not self._alive() or not _exists(sftp, final):
                raise
            sftp.remove(final)
            sftp.rename(part, final)


def _transferring(done: int, total: int) -> None:
    reached("sftp.write.transferring")  # paramiko calls back per chunk, the .part file still open


def name_candidates(name: str) -> Iterator[str]:
    """``name``, then ``stem.1.ext``, ``stem.2.ext``...: the same free names ``LocalMailbox.move`` picks."""
    yield name
    stem, dot, ext = name.partition(".")
    n = 0
    while True:
        n += 1
        yield f"{stem}.{n}{dot}{ext}" if dot else f"{name}.{n}"


def _download(sftp: paramiko.SFTPClient, path: str) -> bytes:
    """The whole file, with paramiko's pipelined prefetch (one round trip, not one per 32 KiB)."""
    with sftp.open(path, "rb") as handle:
        size = handle.stat().st_size or 0
        _quiet_prefetch_thread(handle)
        handle.prefetch(size)
        chunks = []
        while chunk := handle.read(1024 * 1024):
            chunks.append(chunk)
    return b"".join(chunks)


def _quiet_prefetch_thread(handle: paramiko.SFTPFile) -> None:
    """paramiko's prefetch thread dies with a traceback when the session drops; the reading thread gets the
    same fault and retries, so the thread only needs to stop quietly."""
    send_requests = getattr(handle, "_prefetch_thread", None)
    if send_requests is None:
        return

    def quietly(*args: object) -> None:
        try:
            send_requests(*args)
        except (EOFError, OSError, paramiko.SSHException) as exc:
            log.debug("SFTP prefetch stopped: %s", exc)

    handle._prefetch_thread = quietly  # type: ignore[method-assign]


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.lstat(path)
        return True
    except FileNotFoundError:
        return False


def _is_dir(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        return stat.S_ISDIR(sftp.stat(path).st_mode or 0)
    except FileNotFoundError:
        return False
