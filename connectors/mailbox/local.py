"""A mailbox on this machine's file system (the demo's default partners, and tests)."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.mailbox.base import PART_SUFFIX, RemoteFile, safe_folder, safe_name


class LocalMailbox:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _dir(self, folder: str) -> Path:
        return self.root / safe_folder(folder)

    def list(self, folder: str) -> list[RemoteFile]:
        path = self._dir(folder)
        if not path.is_dir():
            return []
        found = []
        for entry in os.scandir(path):
            if not entry.is_file(follow_symlinks=False) or entry.name.endswith(PART_SUFFIX):
                continue
            if entry.name.startswith("."):
                continue
            stat = entry.stat(follow_symlinks=False)
            found.append(RemoteFile(safe_folder(folder), entry.name, stat.st_size, stat.st_mtime))
        return sorted(found, key=lambda f: (f.mtime, f.name))

    def read(self, folder: str, name: str) -> bytes:
        return (self._dir(folder) / safe_name(name)).read_bytes()

    def write(self, folder: str, name: str, data: bytes) -> None:
        path = self._dir(folder)
        path.mkdir(parents=True, exist_ok=True)
        final = path / safe_name(name)
        part = path / (final.name + PART_SUFFIX)
        with open(part, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, final)

    def move(self, folder: str, name: str, to_folder: str, new_name: str | None = None) -> str:
        source = self._dir(folder) / safe_name(name)
        target_dir = self._dir(to_folder)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = free_name(target_dir, safe_name(new_name or name))
        os.rename(source, target)
        return target.name

    def close(self) -> None:
        return None


def free_name(folder: Path, name: str) -> Path:
    """``name``, or ``stem.1.ext``, ``stem.2.ext``... whichever is not taken yet."""
    candidate = folder / name
    stem, dot, ext = name.partition(".")
    n = 0
    while candidate.exists():
        n += 1
        candidate = folder / (f"{stem}.{n}{dot}{ext}" if dot else f"{name}.{n}")
    return candidate
