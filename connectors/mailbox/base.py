"""The mailbox port: list, read, write atomically, and move files between a mailbox's folders.

Folders are paths relative to the mailbox root (``inbox``, ``archive/2026-11-22``); file names come from
partners, so every name passes ``safe_name`` before it touches a path: nothing escapes the mailbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from hub.errors import FatalError

PART_SUFFIX = ".part"
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")


class UnsafeName(FatalError):
    """A file or folder name that would leave the mailbox or cannot be stored safely."""


@dataclass(frozen=True)
class RemoteFile:
    """A file waiting in a mailbox folder; name, size and mtime together identify one upload."""

    folder: str
    name: str
    size: int
    mtime: float

    @property
    def run_key(self) -> str:
        """Same file contents re-uploaded under the same name make a new key; a re-listing does not."""
        return f"{self.folder}/{self.name}:{self.size}:{int(self.mtime)}"


def safe_name(name: str) -> str:
    """A single path component: no separators, no ``..``, no control characters, not hidden."""
    if not name or name in (".", "..") or name.startswith(".") or _BAD_CHARS.search(name) or len(name) > 255:
        raise UnsafeName(
            f"unsafe file name {name!r}: names are single path components without control characters"
        )
    return name


def safe_folder(folder: str) -> str:
    """A relative folder inside the mailbox ('inbox', 'archive/2026-11-22'); absolute or '..' paths refused."""
    parts = [p for p in folder.strip().split("/") if p not in ("", ".")]
    if folder.startswith("/") or not parts:
        raise UnsafeName(f"unsafe folder {folder!r}: folders are relative to the mailbox root")
    return "/".join(safe_name(p) for p in parts)


class Mailbox(Protocol):
    """What the EDI and 3PL flows need from a mailbox; implementations retry transient faults themselves."""

    def list(self, folder: str) -> list[RemoteFile]:
        """Complete files in ``folder`` (no ``.part`` uploads, no sub-folders), oldest first; missing folder = []."""
        ...

    def read(self, folder: str, name: str) -> bytes: ...

    def write(self, folder: str, name: str, data: bytes) -> None:
        """Upload as ``name.part`` then rename, so the other side never sees half a file; creates ``folder``."""
        ...

    def move(self, folder: str, name: str, to_folder: str, new_name: str | None = None) -> str:
        """Move a file to another folder (created when missing); a taken name gets a numeric suffix.

        Returns the name the file has in ``to_folder``. Nothing is ever overwritten or deleted.
        """
        ...

    def close(self) -> None: ...
