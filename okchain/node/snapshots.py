"""The node's snapshot store: state snapshots taken while the node commits, kept on disk and served.

Each snapshot is a directory ``<home>/data/snapshots/<height>`` as ``okchaind snapshot export`` writes it
(a manifest and its chunks). It is written under ``.tmp-<height>`` and renamed when complete, so a node
killed mid-export leaves nothing that looks like a snapshot (the next start removes the leftover). Export
reads one consistent LevelDB snapshot on a worker thread, so commits go on meanwhile; the newest
``keep`` snapshots are kept.
"""

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import trio

from okchain.state.snapshot import CHUNK_KEYS, MANIFEST, Manifest, SnapshotError, export_snapshot
from okchain.state.store import KVReader
from okchain.types.block import Block

log = logging.getLogger("okchain.snapshots")

_TMP = ".tmp-"


class SnapshotStore:
    """Complete snapshots under ``root``, newest ``keep`` kept; safe to read from several threads while one
    thread takes a new one (a snapshot is visible only once renamed into place)."""

    def __init__(self, root: Path, keep: int, chunk_keys: int = CHUNK_KEYS) -> None:
        self.root = root
        self.keep = keep
        self.chunk_keys = chunk_keys
        root.mkdir(parents=True, exist_ok=True)
        self._manifests: dict[int, Manifest] = {}

    def remove_leftovers(self) -> None:
        """Remove what an export killed midway left (only the node that takes snapshots may: for a reader
        such as ``okchaind snapshot list``, the leftover may be an export in progress)."""
        for leftover in self.root.glob(_TMP + "*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def heights(self) -> list[int]:
        """Heights of the complete snapshots, oldest first."""
        return sorted(
            int(p.name) for p in self.root.iterdir() if p.name.isdigit() and (p / MANIFEST).exists()
        )

    def manifest(self, height: int) -> Manifest | None:
        """The manifest of the snapshot at ``height``, None if there is none (or it was just removed)."""
        cached = self._manifests.get(height)
        if cached is not None:
            return cached
        try:
            manifest = Manifest.read(self.root / str(height))
        except SnapshotError:
            return None
        self._manifests[height] = manifest
        return manifest

    def manifests(self) -> list[Manifest]:
        """Every complete snapshot's manifest, newest first."""
        found = (self.manifest(h) for h in reversed(self.heights()))
        return [m for m in found if m is not None]

    def manifest_bytes(self, height: int, chunks_hash: bytes) -> bytes | None:
        """The manifest file of the snapshot named by (height, chunks hash), as written."""
        manifest = self.manifest(height)
        if manifest is None or manifest.chunks_hash != chunks_hash:
            return None
        try:
            return (self.root / str(height) / MANIFEST).read_bytes()
        except OSError:
            return None

    def chunk(self, height: int, chunks_hash: bytes, index: int) -> bytes | None:
        """Chunk ``index`` of the snapshot named by (height, chunks hash); None if not held."""
        manifest = self.manifest(height)
        if manifest is None or manifest.chunks_hash != chunks_hash or not 0 <= index < len(manifest.chunks):
            return None
        try:
            return (self.root / str(height) / manifest.chunks[index].file).read_bytes()
        except OSError:
            return None

    def take(
        self, reader: KVReader, height: int, progress: Callable[[str, int, int], None] | None = None
    ) -> Manifest:
        """Export the state after ``height`` from ``reader`` (a consistent snapshot) and keep it; then drop
        the snapshots beyond the newest ``keep``."""
        final = self.root / str(height)
        if final.exists():
            manifest = self.manifest(height)
            if manifest is not None:
                return manifest
            shutil.rmtree(final)
        tmp = self.root / f"{_TMP}{height}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            manifest = export_snapshot(reader, height, tmp, chunk_keys=self.chunk_keys, progress=progress)
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._manifests[height] = manifest
        for old in self.heights()[: -self.keep]:
            self._manifests.pop(old, None)
            shutil.rmtree(self.root / str(old), ignore_errors=True)
        return manifest


class SnapshotTaker:
    """Takes a snapshot of every ``interval``-th height once the block after it commits (its header carries
    the app hash): the commit hook grabs a consistent LevelDB snapshot on the trio thread, ``run`` exports
    it on a worker thread. One at a time; a height falling due while one is being taken is skipped."""

    def __init__(
        self,
        store: SnapshotStore,
        snapshot: Callable[[], KVReader],
        interval: int,
        catching_up: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        store.remove_leftovers()
        self._snapshot = snapshot
        self.interval = interval
        self._catching_up = catching_up  # no snapshots of old heights while block sync replays them
        self._due: tuple[int, KVReader] | None = None
        self._wake = trio.Event()
        self.taken = 0

    def observe(self, block: Block, _elapsed_s: float) -> None:
        """A commit observer: once block H commits, the state after H - 1 can be exported."""
        target = block.header.height - 1
        if target > 0 and target % self.interval == 0 and self._due is None and not self._catching_up():
            self._due = target, self._snapshot()
            self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            if self._due is None:
                continue
            height, reader = self._due
            started = time.perf_counter()
            try:
                manifest = await trio.to_thread.run_sync(self.store.take, reader, height)
            except (SnapshotError, OSError) as exc:
                log.error("snapshot of height %d failed: %s", height, exc)
            else:
                self.taken += 1
                log.info(
                    "snapshot taken",
                    extra={
                        "height": height,
                        "keys": manifest.keys,
                        "chunks": len(manifest.chunks),
                        "s": round(time.perf_counter() - started, 2),
                    },
                )
            finally:
                self._due = None
