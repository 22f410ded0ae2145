"""State sync, the node side: join a chain from a snapshot its peers serve instead of replaying its blocks.

Run by ``okchaind start`` before the node itself, when ``statesync = true`` and the database is empty. It
runs a switch of its own with only the SNAPSHOT channel (peers send it nothing else, see ``Peer``):

1. ask every peer for its offers for ``discovery`` seconds; rank them (``rank_snapshots``: offered by
   several peers, newest first);
2. for the best snapshot at height H: get its manifest from one of the peers offering it, verify the header
   of H + 1 with the light client (light blocks from any peer) from the trust root, a header the operator
   trusts (``statesync_trust_height`` and ``_hash``) or else the genesis set, following every change of the
   validator set, and check the manifest against that header (``check_manifest``);
3. fetch the chunks from every peer offering the snapshot in parallel (``ChunkFetcher``), check each
   against the manifest as it arrives, write them in order (``SnapshotImporter``), then rebuild the Merkle
   root and compare it with the verified app hash.

Whoever is caught lying is banned (the ban outlives the node, in ``bans.json``): a peer whose chunk is not
the one the manifest names, whose light block does not verify, or whose manifest does not hold up; a
snapshot that fails is wiped and the next one tried. A peer that is slow or stops answering costs a retry
elsewhere. Then the node starts as usual and block-syncs from H + 1.
"""

import logging
from dataclasses import dataclass, field
from typing import Protocol

import trio
from google.protobuf.message import DecodeError

from okchain._pb.snapshot.v1 import snapshot_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.app import genesis_marker
from okchain.errors import OKChainError
from okchain.genesis.document import GenesisHeader, load_genesis
from okchain.node.blocksync_reactor import decode_commit
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.snapshot_reactor import MAX_OFFERS, SnapshotReactor, encode
from okchain.p2p.channels import ChannelId, PeerSender
from okchain.p2p.keys import NodeKey
from okchain.p2p.statesync import ChunkFetcher, FetchConfig, SnapshotName, rank_snapshots
from okchain.p2p.switch import Switch
from okchain.state.blockstore import LastCommitted
from okchain.state.leveldb import IMPORT_CACHE_MIB, LevelDB
from okchain.state.snapshot import Manifest, Progress, SnapshotError
from okchain.state.snapshot_import import (
    ChunkError,
    ProvenManifest,
    SnapshotImporter,
    check_manifest,
    decode_set,
    wipe_interrupted,
)
from okchain.state.store import KVStore
from okchain.types.block import BlockDecodeError, Header
from okchain.types.light import LightBlock, LightError, Trusted, check_light_block, genesis_root, verification

log = logging.getLogger("okchain.statesync")

WAITING_LOG_S = 10.0  # how often a sync still waiting for offers says so


class StateSyncError(OKChainError):
    """State sync cannot go on (no trusted header to be had, say); the message says why."""


class _Rejected(Exception):
    """This snapshot cannot be had; try the next."""


@dataclass(frozen=True, slots=True)
class StateSyncConfig:
    discovery_s: float = 10.0  # how long offers are gathered before a snapshot is chosen
    min_peers: int = 2  # snapshots offered by this many peers are preferred
    request_timeout_s: float = 10.0  # a manifest or light block not served in this time is asked elsewhere
    poll_s: float = 0.25  # the fetch loop re-checks time-outs and peers this often
    trust_height: int = 0  # with trust_hash: a header the operator trusts (0: trust the genesis set)
    trust_hash: bytes = b""
    fetch: FetchConfig = field(default_factory=FetchConfig)


class SyncSwitch(PeerSender, Protocol):
    """What state sync needs of the ``Switch``: a reactor's sending, and who is connected."""

    def peers(self) -> list[str]: ...


def light_block(answer: snapshot_pb2.LightBlockResponse) -> LightBlock:
    """Decode a served light block; ``LightError`` if it does not decode."""
    try:
        header = Header.from_proto(types_pb2.Header.FromString(answer.header))
        commit = decode_commit(answer.commit)
        validators = decode_set(answer.validators, answer.height)[1]
        next_validators = decode_set(answer.next_validators, answer.height + 1)[1]
    except (DecodeError, BlockDecodeError, SnapshotError, ValueError) as exc:
        raise LightError(f"light block {answer.height} does not decode: {exc}") from exc
    return LightBlock(header, commit, validators, next_validators)


class StateSyncer:
    """One state sync into the empty ``db``; ``run`` returns the imported tip. Its ``answer`` method is the
    snapshot reactor's ``on_answer``."""

    def __init__(
        self,
        *,
        switch: SyncSwitch,
        db: KVStore,
        genesis: GenesisHeader,
        genesis_marker: bytes,
        config: StateSyncConfig = StateSyncConfig(),
        progress: Progress | None = None,
    ) -> None:
        self._switch = switch
        self._db = db
        self._genesis = genesis
        self._marker = genesis_marker
        self.config = config
        self._progress = progress
        self._chain_id = genesis.chain_id
        self.offers: dict[str, set[SnapshotName]] = {}
        self._replies: dict[tuple[str, str, object], snapshot_pb2.Message] = {}  # (peer, kind, key) -> answer
        self._asked: set[tuple[str, str, object]] = set()
        self._changed = trio.Event()
        self._fetch: tuple[SnapshotName, ChunkFetcher, SnapshotImporter] | None = None
        self._root: Trusted | None = None
        self._trusted_block: LightBlock | None = None
        self.banned: set[str] = set()

    # --- answers (trio thread, from the reactor) ---
    def answer(self, peer: str, msg: snapshot_pb2.Message) -> None:
        kind = msg.WhichOneof("sum")
        if kind == "offers_response":
            offers = msg.offers_response.offers[:MAX_OFFERS]  # what a serving node sends at most
            self.offers[peer] = {SnapshotName(o.height, bytes(o.chunks_hash)) for o in offers}
            if self._fetch is not None and self._fetch[0] in self.offers[peer]:
                self._fetch[1].add_peer(peer)
        elif kind == "chunk_response":
            self._chunk(peer, msg.chunk_response)
        elif kind == "manifest_response":
            r = msg.manifest_response
            self._reply(peer, kind, SnapshotName(r.height, bytes(r.chunks_hash)), msg)
        elif kind == "light_block_response":
            self._reply(peer, kind, msg.light_block_response.height, msg)
        self._wake()

    def _reply(self, peer: str, kind: str, key: object, msg: snapshot_pb2.Message) -> None:
        if (peer, kind, key) in self._asked:  # unasked answers are dropped: nobody can fill our memory
            self._asked.discard((peer, kind, key))
            self._replies[(peer, kind, key)] = msg

    def _chunk(self, peer: str, r: snapshot_pb2.ChunkResponse) -> None:
        if self._fetch is None:
            return
        name, fetcher, importer = self._fetch
        if SnapshotName(r.height, bytes(r.chunks_hash)) != name or not fetcher.asked(peer, r.index):
            return
        if r.missing:
            fetcher.refused(peer, r.index, lied=False)
            return
        try:
            importer.check_hash(r.index, r.data)
        except ChunkError as exc:
            fetcher.refused(peer, r.index, lied=True)
            self._ban(peer, f"served a bad snapshot chunk: {exc}")
            return
        fetcher.received(peer, r.index, r.data)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    def _ban(self, peer: str, reason: str) -> None:
        log.warning("state sync: banning peer %s: %s", peer, reason)
        self.banned.add(peer)
        self.offers.pop(peer, None)
        self._switch.stop_peer(peer, reason, ban=True)

    # --- the sync ---
    async def run(self) -> LastCommitted:
        """Discover, then try the ranked snapshots until one imports; discover again if none does."""
        while True:
            for name in await self._discover():
                try:
                    return await self._sync(name)
                except _Rejected as exc:
                    log.warning("state sync: snapshot at height %d rejected: %s", name.height, exc)
            self.offers.clear()

    async def _discover(self) -> list[SnapshotName]:
        """Ranked snapshots, after ``discovery_s`` of asking (and as long as nothing is offered)."""
        deadline = trio.current_time() + self.config.discovery_s
        told = deadline
        request = encode(offers_request=snapshot_pb2.OffersRequest())
        while True:  # asked again each second: peers connect meanwhile, and answers are small
            self._switch.broadcast(ChannelId.SNAPSHOT, request)
            await trio.sleep(min(1.0, self.config.discovery_s))
            ranked = rank_snapshots(self.offers, self.config.min_peers)
            now = trio.current_time()
            if ranked and now >= deadline:
                log.info("state sync: %d snapshots offered by %d peers", len(ranked), len(self.offers))
                return ranked
            if now >= told:  # an operator waiting sees why: no peers yet, or none takes snapshots
                told = now + WAITING_LOG_S
                log.warning(
                    "state sync: no snapshot offered yet by %d connected peers; waiting (a peer offers "
                    "snapshots when its snapshot_interval is set)",
                    len(self._switch.peers()),
                )

    def _offering(self, name: SnapshotName) -> list[str]:
        return sorted(p for p, names in self.offers.items() if name in names and p in self._switch.peers())

    async def _ask(
        self, peers: list[str], kind: str, key: object, request: bytes
    ) -> tuple[str, snapshot_pb2.Message]:
        """Ask ``peers`` one after another until one answers (missing or not); _Rejected if none does."""
        for peer in peers:
            if not self._switch.try_send(peer, ChannelId.SNAPSHOT, request):
                continue
            self._asked.add((peer, kind, key))
            with trio.move_on_after(self.config.request_timeout_s):
                while (peer, kind, key) not in self._replies:
                    await self._changed.wait()
            self._asked.discard((peer, kind, key))
            reply = self._replies.pop((peer, kind, key), None)
            if reply is not None:
                return peer, reply
        raise _Rejected(f"no peer answered the {kind.replace('_', ' ')} for {key}")

    async def _light(self, height: int) -> tuple[str, LightBlock]:
        """A light block of ``height`` from some peer that holds it (a peer whose answer does not decode is
        banned)."""
        peers = [p for p in self._switch.peers() if p not in self.banned]
        request = encode(light_block_request=snapshot_pb2.LightBlockRequest(height=height))
        while peers:
            peer, reply = await self._ask(peers, "light_block_response", height, request)
            peers.remove(peer)
            if reply.light_block_response.missing:
                continue
            try:
                return peer, light_block(reply.light_block_response)
            except LightError as exc:
                self._ban(peer, str(exc))
        raise _Rejected(f"no peer serves the light block of height {height}")

    async def _trust_root(self) -> Trusted:
        """The operator's trusted header, fetched and checked by its hash, or the genesis set."""
        if self._root is not None:
            return self._root
        c, g = self.config, self._genesis
        if not c.trust_height:
            self._root = genesis_root(g.initial_height, [(v.pub_key, v.power) for v in g.validators])
            return self._root
        peer, block = await self._light(c.trust_height)
        try:
            check_light_block(self._chain_id, c.trust_height, block)
        except LightError as exc:
            self._ban(peer, str(exc))
            raise _Rejected(str(exc)) from None
        if block.header.hash != c.trust_hash:
            raise StateSyncError(
                f"peer {peer} serves block {c.trust_height} with hash {block.header.hash.hex()}, "
                f"not the trusted {c.trust_hash.hex()}: check statesync_trust_hash, or that the peers "
                "are of this chain"
            )
        self._root, self._trusted_block = Trusted(c.trust_height, tuple(block.next_validators)), block
        return self._root

    async def _verified_header(self, height: int) -> Header:
        """The header of ``height``, verified from the trust root by the light client."""
        root = await self._trust_root()
        if height == root.height and self._trusted_block is not None:
            return self._trusted_block.header
        if height < root.height:
            raise _Rejected(f"it is older than the trusted height {root.height}")
        for _ in range(3):  # a peer serving a bad light block is banned and the walk restarted
            steps = verification(self._chain_id, root, height)
            try:
                wanted = next(steps)
                while True:
                    peer, block = await self._light(wanted)
                    try:
                        wanted = steps.send(block)
                    except LightError as exc:
                        self._ban(peer, f"light block {wanted}: {exc}")
                        break
            except StopIteration as done:
                verified: LightBlock = done.value
                return verified.header
        raise _Rejected(f"the header of {height} could not be verified")

    async def _manifest(self, name: SnapshotName, trusted: Header) -> tuple[str, ProvenManifest]:
        """The snapshot's manifest from a peer offering it, checked against the trusted header of H + 1."""
        asked = snapshot_pb2.ManifestRequest(height=name.height, chunks_hash=name.chunks_hash)
        request = encode(manifest_request=asked)
        peers = self._offering(name)
        while peers:
            peer, reply = await self._ask(peers, "manifest_response", name, request)
            peers.remove(peer)
            if reply.manifest_response.missing:
                continue
            try:
                manifest = Manifest.decode(reply.manifest_response.manifest, f"manifest from {peer}")
                if manifest.height != name.height or manifest.chunks_hash != name.chunks_hash:
                    raise SnapshotError("its height or chunk list is not the one asked for")
                proven = check_manifest(
                    manifest,
                    chain_id=self._chain_id,
                    validators=self._genesis.validators,
                    trusted_hash=trusted.hash,
                )
            except SnapshotError as exc:
                self._ban(peer, f"served a bad snapshot manifest: {exc}")
                continue
            return peer, proven
        raise _Rejected("no peer offering it served a manifest that holds up")

    async def _sync(self, name: SnapshotName) -> LastCommitted:
        header = await self._verified_header(name.height + 1)
        source, proven = await self._manifest(name, header)
        log.info(
            "state sync: snapshot at height %d verified (%d keys, %d chunks); fetching",
            name.height,
            proven.manifest.keys,
            len(proven.manifest.chunks),
        )
        importer = SnapshotImporter(self._db, proven, self._marker)
        try:
            await self._fetch_chunks(name, importer)
            return await trio.to_thread.run_sync(importer.finish, self._progress)
        except SnapshotError as exc:  # a chunk matching its hash that does not decode, or a wrong root
            for peer in [source, *self._offering(name)]:
                if peer not in self.banned:
                    self._ban(peer, f"offered a snapshot that does not rebuild the trusted state: {exc}")
            raise _Rejected(str(exc)) from exc
        finally:
            self._fetch = None
            if importer.unfinished():
                importer.abort()  # synchronous: it must happen even while the sync is being cancelled

    async def _fetch_chunks(self, name: SnapshotName, importer: SnapshotImporter) -> None:
        chunks = len(importer.manifest.chunks)
        fetcher = ChunkFetcher(chunks, self._offering(name), self.config.fetch)
        self._fetch = name, fetcher, importer
        while not fetcher.done:
            connected = set(self._switch.peers())
            for peer in [p for p in fetcher.peers if p not in connected]:
                fetcher.remove_peer(peer)
            if fetcher.stalled:
                raise _Rejected(f"no peer left serving it ({fetcher.next} of {chunks} chunks written)")
            for peer, index in fetcher.requests(trio.current_time()):
                asked = snapshot_pb2.ChunkRequest(
                    height=name.height, chunks_hash=name.chunks_hash, index=index
                )
                self._switch.try_send(peer, ChannelId.SNAPSHOT, encode(chunk_request=asked))
            ready = fetcher.pop_ready()
            if ready is None:
                with trio.move_on_after(self.config.poll_s):
                    await self._changed.wait()
                continue
            await trio.to_thread.run_sync(importer.add, *ready)
            if self._progress is not None:
                self._progress("chunks", fetcher.next, chunks)


def statesync_config(config: NodeConfig) -> StateSyncConfig:
    return StateSyncConfig(
        discovery_s=config.statesync_discovery_ms / 1000,
        trust_height=config.statesync_trust_height,
        trust_hash=bytes.fromhex(config.statesync_trust_hash.removeprefix("0x")),
    )


async def state_sync(
    home: Home, config: NodeConfig, progress: Progress | None = None
) -> LastCommitted | None:
    """State-sync the home's empty database from its peers (after wiping an import a crash interrupted);
    None, doing nothing, when the database already holds a chain."""
    document = load_genesis(home.genesis_file)
    genesis, marker = document.header, genesis_marker(document)
    del document  # its accounts (a million, say) are not needed while the import holds memory
    db = LevelDB(home.data_dir, cache_mib=IMPORT_CACHE_MIB)
    try:
        if wipe_interrupted(db):
            log.warning("state sync: wiped the unfinished import of an earlier run")
        for _ in db.iterate(b""):
            return None
        data = home.data_dir.parent
        switch = Switch(
            NodeKey.load_or_create(home.node_key_file),
            config.p2p_config(data / "addrbook.json", data / "bans.json"),
            network=genesis.chain_id,
            moniker=config.moniker,
        )
        reactor = SnapshotReactor(switch=switch, params=genesis.params)
        switch.add_reactor(reactor)
        syncer = StateSyncer(
            switch=switch,
            db=db,
            genesis=genesis,
            genesis_marker=marker,
            config=statesync_config(config),
            progress=progress,
        )
        reactor.on_answer = syncer.answer
        async with trio.open_nursery() as nursery:
            await nursery.start(switch.run)
            nursery.start_soon(reactor.run)
            last = await syncer.run()
            nursery.cancel_scope.cancel()
        log.info("state sync: imported height %d, app hash %s", last.height, last.app_hash.hex())
        return last
    finally:
        db.close()
