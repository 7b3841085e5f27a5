"""The index on disk: generations behind one atomic pointer, records and chunks in SQLite, BM25 memory-mapped,
vectors in Chroma. One module per job:

    layout.py           the data folder: LIVE pointer, generation folders, manifests, instance id, collection names
    lock.py             the one-writer build lock
    chroma.py           the Chroma client (embedded or a server) and the upkeep of embedded clients' caches
    vector_writer.py    where a build's vectors are written: in process, or from a second process
    failures.py         storage failures mapped to one actionable line
    embedding_cache.py  content hash -> vector, per model identity
    records.py          a generation's records and chunks (SQLite, read on demand)
    lexical.py          a generation's BM25 index (streamed build, memory-mapped reads)
    live.py             LiveIndex: what readers use

Why generations: a build adds its new vectors to the collection first (invisible: readers only accept the chunk
ids of their generation's store), writes a complete new generation, then swaps `LIVE`. A build killed at any
point leaves the old generation live; the next build deletes what the dead one left behind.

Other layers import from here; the names below are the storage API.
"""

from __future__ import annotations

from index.store.chroma import (
    add_vectors,
    all_ids,
    batched,
    chroma_client,
    embedded_build,
    embedded_write_begun,
    existing_ids,
    mark_embedded_write,
    open_collection,
    reset_embedded_clients,
    sync_embedded_clients,
    trim_heap,
    write_batch_size,
)
from index.store.embedding_cache import EmbeddingCache
from index.store.failures import disk_error, store_error
from index.store.layout import (
    CACHE_DB,
    CHROMA_DIR,
    FORMAT,
    GENERATIONS,
    LIVE,
    MANIFEST,
    collection_name,
    fsync_dir,
    generation_dirs,
    instance_id,
    next_generation_name,
    read_live_name,
    read_manifest,
    remove_tree,
    write_atomic,
)
from index.store.lexical import LexicalBuilder, LexicalIndex, bm25_tokenize
from index.store.live import LEXICAL_DIR, LiveIndex
from index.store.lock import build_lock
from index.store.records import STORE_FILE, GenerationStore, StoreWriter

__all__ = [
    "CACHE_DB", "CHROMA_DIR", "FORMAT", "GENERATIONS", "LEXICAL_DIR", "LIVE", "MANIFEST", "STORE_FILE",
    "EmbeddingCache", "GenerationStore", "LexicalBuilder", "LexicalIndex", "LiveIndex", "StoreWriter",
    "add_vectors", "all_ids", "batched", "bm25_tokenize", "build_lock", "chroma_client", "collection_name",
    "disk_error", "embedded_build", "embedded_write_begun", "existing_ids", "fsync_dir", "generation_dirs",
    "instance_id", "mark_embedded_write", "next_generation_name", "open_collection", "read_live_name",
    "read_manifest", "remove_tree", "reset_embedded_clients", "store_error", "sync_embedded_clients", "trim_heap",
    "write_atomic", "write_batch_size",
]
