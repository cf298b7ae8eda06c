"""The sandbox server's file system view: one local folder per account, and no way out of it.

Client paths are normalised against a virtual '/' (the account root), then resolved with ``realpath``: a
path (or a symlink inside the root) that lands outside is refused with "permission denied". Clients cannot
create symlinks. ``rename`` never replaces a file (SFTP v3); ``posix_rename`` does (OpenSSH extension).
"""

from __future__ import annotations

import errno
import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_OP_UNSUPPORTED

_convert = paramiko.SFTPServer.convert_errno


class ChrootedSftp(paramiko.SFTPServerInterface):
    """``SFTPServerInterface`` over ``server.account.root``; ``server`` is the session's ServerInterface."""

    def __init__(self, server: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.session = server
        self.root = os.path.realpath(server.account.root)

    def session_started(self) -> None:
        self.session.on_sftp_started()

    # -- paths ---------------------------------------------------------------------------------------------

    def _local(self, path: str, *, follow: bool = True) -> str:
        """Local path for a client path; ``follow=False`` leaves a final symlink itself (lstat, remove)."""
        virtual = posixpath.normpath("/" + path.replace("\\", "/"))  # '..' cannot climb above '/'
        local = os.path.join(self.root, virtual.lstrip("/"))
        if follow:
            resolved = os.path.realpath(local)
        else:
            parent, leaf = os.path.split(local)
            resolved = os.path.join(os.path.realpath(parent), leaf) if leaf else os.path.realpath(local)
        if resolved != self.root and not resolved.startswith(self.root + os.sep):
            raise PermissionError(errno.EACCES, "outside the mailbox", path)
        return resolved

    # -- requests --------------------------------------------------------------------------------------------

    def canonicalize(self, path: str) -> str:
        return posixpath.normpath("/" + path)

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        try:
            folder = self._local(path)
            found = []
            with os.scandir(folder) as entries:
                for entry in entries:
                    attr = paramiko.SFTPAttributes.from_stat(entry.stat(follow_symlinks=False), entry.name)
                    found.append(attr)
            return found
        except OSError as exc:
            return _convert(exc.errno)

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._local(path)))
        except OSError as exc:
            return _convert(exc.errno)

    def lstat(self, path: str) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.lstat(self._local(path, follow=False)))
        except OSError as exc:
            return _convert(exc.errno)

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        try:
            local = self._local(path)
            mode = attr.st_mode & 0o666 if attr is not None and attr.st_mode else 0o644
            fd = os.open(local, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        except OSError as exc:
            return _convert(exc.errno)
        if os.path.isdir(local):
            os.close(fd)
            return SFTP_FAILURE
        return CuttableHandle(fd, flags, cut_at=self.session.faults.plan_transfer(), cut=self.session.cut)

    def remove(self, path: str) -> int:
        return _do(lambda: os.remove(self._local(path, follow=False)))

    def rename(self, oldpath: str, newpath: str) -> int:
        def rename_without_replacing() -> None:
            old, new = self._local(oldpath, follow=False), self._local(newpath, follow=False)
            if os.path.lexists(new):
                raise FileExistsError(errno.EEXIST, "target exists", newpath)
            if os.path.isfile(old) and not os.path.islink(old):
                os.link(old, new)  # fails if the target appeared meanwhile: never replaces
                os.unlink(old)
            else:
                os.rename(old, new)

        return _do(rename_without_replacing)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        return _do(lambda: os.replace(self._local(oldpath, follow=False), self._local(newpath, follow=False)))

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return _do(lambda: os.mkdir(self._local(path), 0o755))

    def rmdir(self, path: str) -> int:
        return _do(lambda: os.rmdir(self._local(path, follow=False)))

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return _do(lambda: _set_attributes(self._local(path), attr))

    def readlink(self, path: str) -> int:
        return SFTP_OP_UNSUPPORTED

    def symlink(self, target_path: str, path: str) -> int:
        return SFTP_OP_UNSUPPORTED  # a client-made symlink could point anywhere


class CuttableHandle(paramiko.SFTPHandle):
    """An open file; when the fault plan says so, the session is cut once ``cut_at`` bytes are reached."""

    def __init__(self, fd: int, flags: int, *, cut_at: int | None, cut: Callable[[], None]) -> None:
        super().__init__(flags)
        self.fd, self.cut_at, self._cut = fd, cut_at, cut
        self.dead = False  # after a cut, requests the client had already sent are not carried out

    def _cut_now(self, end: int | None) -> bool:
        if self.dead:
            return True
        if self.cut_at is None or (end is not None and end < self.cut_at):
            return False
        self.dead, self.cut_at = True, None
        self._cut()
        return True

    def read(self, offset: int, length: int) -> bytes | int:
        if self._cut_now(offset + length):
            return SFTP_FAILURE
        try:
            return os.pread(self.fd, length, offset)
        except OSError as exc:
            return _convert(exc.errno)

    def write(self, offset: int, data: bytes) -> int:
        if self.dead:
            return SFTP_FAILURE
        try:
            os.pwrite(self.fd, data, offset)
        except OSError as exc:
            return _convert(exc.errno)
        return SFTP_FAILURE if self._cut_now(offset + len(data)) else SFTP_OK

    def stat(self) -> paramiko.SFTPAttributes | int:
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.fd))
        except OSError as exc:
            return _convert(exc.errno)

    def chattr(self, attr: paramiko.SFTPAttributes) -> int:
        return _do(lambda: _set_attributes(self.fd, attr))

    def close(self) -> None:
        if self.fd < 0:
            return
        self._cut_now(None)  # a file smaller than cut_at is cut before its close is answered
        os.close(self.fd)
        self.fd = -1


def _do(action: Callable[[], object]) -> int:
    try:
        action()
    except OSError as exc:
        return _convert(exc.errno) if exc.errno != errno.EEXIST else SFTP_FAILURE
    return SFTP_OK


def _set_attributes(target: str | int, attr: paramiko.SFTPAttributes) -> None:
    """Permissions and times only: owners stay as they are (the sandbox runs as one local user)."""
    if attr._flags & attr.FLAG_PERMISSIONS:
        os.chmod(target, attr.st_mode & 0o777)
    if attr._flags & attr.FLAG_AMTIME:
        os.utime(target, (attr.st_atime, attr.st_mtime))


def ensure_root(path: str | Path) -> Path:
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    return root
