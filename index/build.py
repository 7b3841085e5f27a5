"""Incremental, atomic, streaming index builds: embed only new text, swap the live generation in one rename.

Counts are of RECORDS, keyed by (post_id, comment_id):
  added      the key is new;          removed    the key is gone;
  updated    same key, anything of the record differs (text, author, date, title...);
  unchanged  the record is identical.
A comment's id is a hash of its text, so an edited comment counts as one removal plus one addition; a post keeps
its id, so an edited post is "updated". `embedded` counts chunk texts actually sent to the model (texts already
in the embedding cache or in the collection are not).

A build streams (see index/store/ for the layout): lock -> page by page: read, chunk (unchanged records reuse the
live generation's chunks), write records and chunks to the new generation's store, feed the lexical index; every
batch of chunks: commit, then add the vectors the collection lacks (cache first, then the model) -> finish the
store and the lexical index -> topics -> manifest -> swap LIVE -> prune what neither the live nor the previous
generation uses (including what killed builds left). Memory holds one batch, the lexical vocabulary and the
topics' record vectors, never the corpus.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.chunking import chunk_record, content_hash
from index.errors import StoreUnavailable, UserError
from index.models import ParsedPage, Record
from index.sentences import ROWS as SENTENCE_ROWS
from index.sentences import SPANS as SENTENCE_SPANS
from index.sentences import VECTORS as SENTENCE_VECTORS
from index.sentences import SentenceVectors
from index.settings import ChromaSettings, ChunkSettings, EmbedSettings
from index.store import (
    CACHE_DB,
    FORMAT,
    GENERATIONS,
    LEXICAL_DIR,
    LIVE,
    MANIFEST,
    STORE_FILE,
    EmbeddingCache,
    GenerationStore,
    LexicalBuilder,
    LexicalIndex,
    StoreWriter,
    all_ids,
    batched,
    bm25_tokenize,
    build_lock,
    chroma_client,
    collection_name,
    disk_error,
    embedded_build,
    embedded_write_begun,
    existing_ids,
    fsync_dir,
    generation_dirs,
    instance_id,
    mark_embedded_write,
    next_generation_name,
    open_collection,
    read_live_name,
    read_manifest,
    remove_tree,
    reset_embedded_clients,
    store_error,
    sync_embedded_clients,
    trim_heap,
    write_atomic,
    write_batch_size,
)
from index.store.failures import sqlite_write_error
from index.store.layout import check_sizes, file_sizes, scratch_sqlite, sqlite_uri
from index.store.lexical import FILES as LEXICAL_FILES
from index.store.records import legacy_records
from index.store.vector_writer import InlineWriter, ProcessWriter, VectorWriter
from index.terms import FILE as TERMS_FILE
from index.terms import TermStats

SENTENCE_FILES = (SENTENCE_VECTORS, SENTENCE_SPANS, SENTENCE_ROWS)

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
CHUNKING_VERSION = 2  # bump when the chunking algorithm changes: a new collection, never mixed chunkings
BUILDING = "building.json"  # in a generation being built: which collection it writes to (for pruning after a kill)
TOPICS_FILE = "topics.json"
TOPICS_SAMPLE = 50_000  # records topics are derived from, at most (k-means itself fits on 20,000)


@dataclass
class BuildReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    chunks: int = 0
    files: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    per_file: dict[str, dict] = field(default_factory=dict)
    generation: str = ""
    swapped: bool = False  # False when the corpus was unchanged and the live generation stayed as it was
    model: str = ""
    stages: dict[str, float] = field(default_factory=dict)  # seconds per step of the build (they interleave)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        d["stages"] = {k: round(v, 2) for k, v in self.stages.items()}
        return d


class _Clock:
    """Seconds per stage of a streaming build, where stages interleave batch by batch."""

    def __init__(self, report: BuildReport) -> None:
        self.report = report

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.report.stages[stage] = self.report.stages.get(stage, 0.0) + time.perf_counter() - t


def corpus_mb(corpus_dir: Path) -> float:
    """The pages' size on disk: whether a build is large enough to pay for a second, writing process."""
    from index.corpus import list_pages

    total = 0
    for p in list_pages(corpus_dir):
        try:
            total += p.stat().st_size
        except OSError:  # reading it will say what is wrong
            pass
    return total / 2**20


def read_pages(corpus_dir: Path) -> tuple[int, Iterator[ParsedPage]]:
    """How many pages the corpus has, and the pages parsed one at a time (a build never holds them all)."""
    from index.corpus import list_pages, parse_file

    paths = list_pages(corpus_dir)
    return len(paths), (parse_file(p) for p in paths)


def record_fingerprint(r: Record) -> str:
    return hashlib.sha1(json.dumps(r.to_json(), sort_keys=True).encode("utf-8")).hexdigest()


def _noop(stage: str, done: int, total: int) -> None:
    return None


class _LazyEmbedder:
    """Loads the model only when some text really needs embedding: a no-op rebuild never pays the load."""

    def __init__(self, embedder: Any, settings: EmbedSettings) -> None:
        self._embedder = embedder
        self._settings = settings

    def get(self) -> Any:
        if self._embedder is None:
            from index.embedding import get_embedder

            self._embedder = get_embedder(self._settings)
        return self._embedder


def _model_reach(embedder: Any, settings: EmbedSettings) -> tuple[Callable[[str], int] | None, int | None]:
    """The word-piece counter and limit that chunks are checked against (the model's own tokenizer)."""
    if embedder is not None and hasattr(embedder, "count_tokens"):
        return embedder.count_tokens, int(embedder.max_seq_length) - 2
    from index.embedding import model_token_counter

    return model_token_counter(settings)


def build_index(
    corpus_dir: Path,
    db_dir: Path,
    *,
    embedder: Any = None,
    progress: Progress | None = None,
    full: bool = False,
    embed_settings: EmbedSettings | None = None,
    chunk_settings: ChunkSettings | None = None,
    chroma_settings: ChromaSettings | None = None,
) -> BuildReport:
    """Bring the index in `db_dir` in line with the corpus; the old index stays live until the new one is whole.

    `full` ignores cached and stored vectors and embeds everything again. Raises `IndexBusy` when another build
    holds the lock, `UserError` for anything the user must fix (the live index is then untouched).
    """
    t0 = time.perf_counter()
    corpus_dir, db_dir = Path(corpus_dir), Path(db_dir)
    es = embed_settings or (embedder.settings if isinstance(getattr(embedder, "settings", None), EmbedSettings)
                            else EmbedSettings())
    if db_dir.exists() and not db_dir.is_dir():
        raise UserError(f"the data folder {db_dir} is a file, not a folder; pass --db DIR")
    try:
        db_dir.mkdir(parents=True, exist_ok=True)
        with build_lock(db_dir):
            try:
                with embedded_build():
                    b = _Build(corpus_dir, db_dir, embedder, progress or _noop, full, es,
                               chunk_settings or ChunkSettings(), chroma_settings, t0)
                    return b.run()
            finally:
                _end_write(db_dir)  # only after this build's own "begin": embedded Chroma, and it got that far
                trim_heap()
    except OSError as e:
        raise disk_error(e, db_dir) from None
    except sqlite3.OperationalError as e:  # the generation's store, the embedding cache
        raise sqlite_write_error(e, db_dir) from None


def _end_write(db_dir: Path) -> None:
    """After a build that wrote to embedded Chroma: readers in other processes reload what it wrote."""
    if not embedded_write_begun(db_dir):
        return
    try:
        mark_embedded_write(db_dir, "end")
    except OSError as e:  # the "begin" stamp already makes other processes reload; never mask the build's result
        log.warning("could not stamp the end of the write in %s: %s", db_dir, e)


class _Vectors:
    """Puts a batch of chunks' vectors into the collection: only those it lacks, from the cache, else the model
    (each text once, committed to the cache a few model batches at a time)."""

    def __init__(self, build: _Build, coll: Any, client: Any, name: str) -> None:
        self.b = build
        self.coll = coll
        self.batch = write_batch_size(client)
        self.cache = EmbeddingCache(build.db_dir / CACHE_DB)
        self.stored = 0
        self.dim = 0
        self.embedded = 0  # texts sent to the model (chunks and sentences)
        self.writer: VectorWriter = (ProcessWriter(build.db_dir, name, self.batch, build.full) if build.writer_process
                                     else InlineWriter(coll, self.batch, build.full))
        if build.writer_process:
            log.info("vectors are written from a second process (embedded Chroma)")

    def add(self, batch: list[tuple[str, str, str]]) -> None:
        """(chunk_id, content_hash, text) of the next chunks."""
        b = self.b
        try:
            with b.clock("vectors_check"):
                have = set() if b.full else existing_ids(self.coll, [c[0] for c in batch], batch=self.batch)
        except Exception as e:
            raise store_error(e, b.chroma) from None
        missing = [c for c in batch if c[0] not in have]
        if not missing:
            return
        embedded = self.embedded
        vectors = self.vectors_of({h: t for _, h, t in missing})
        b.report.embedded += self.embedded - embedded
        matrix = np.stack([vectors[h] for _, h, _ in missing])
        self.dim = matrix.shape[1]
        try:
            with b.clock("store"):
                self.writer.add([c[0] for c in missing], matrix)
        except Exception as e:
            raise store_error(e, b.chroma) from None
        self.stored += len(missing)
        b.progress("store", self.stored, self.stored)

    def vectors_of(self, text_of: dict[str, str], stage: str = "embed") -> dict[str, np.ndarray]:
        """content hash -> vector for these texts: from the cache, else from the model (each text once, committed
        to the cache a few model batches at a time). Chunks and sentences share it."""
        b = self.b
        with b.clock("cache"):
            vectors = {} if b.full else self.cache.get_many(b.model, list(text_of))
        todo = [h for h in text_of if h not in vectors]
        if todo:
            emb = b.lazy.get()
            if emb.name != b.model:
                raise UserError(f"the embedder is {emb.name} but the build was planned for {b.model}")
            step = max(1, b.es.batch_size * 4)  # a few model batches per cache commit: progress and resumability
            done = 0
            for part in batched(todo, step):
                with b.clock(stage):
                    vecs = emb.embed([text_of[h] for h in part])
                fresh = {h: np.asarray(v, dtype=np.float32) for h, v in zip(part, vecs, strict=True)}
                with b.clock("cache"):
                    self.cache.put_many(b.model, fresh)
                vectors.update(fresh)
                done += len(part)
                self.embedded += len(part)
                b.progress(stage, done, len(todo))
        return vectors

    def finish(self) -> None:
        """Every vector sent is in the collection (a writer process has written its last batch and stopped)."""
        try:
            with self.b.clock("store"):
                self.writer.close()
        except Exception as e:
            raise store_error(e, self.b.chroma) from None

    def close(self) -> None:
        self.writer.abort()
        self.cache.close()


class _Build:
    """One build's state: the settings, the new generation's writers, the report."""

    def __init__(self, corpus_dir: Path, db_dir: Path, embedder: Any, progress: Progress, full: bool,
                 es: EmbedSettings, cs: ChunkSettings, chroma: ChromaSettings | None, t0: float) -> None:
        self.corpus_dir, self.db_dir = corpus_dir, db_dir
        self.progress, self.full, self.es, self.cs, self.chroma, self.t0 = progress, full, es, cs, chroma, t0
        self.report = BuildReport()
        self.clock = _Clock(self.report)
        self.lazy = _LazyEmbedder(embedder, es)
        if embedder is not None:
            self.model = embedder.name
        else:
            from index.embedding import model_identity

            self.model = model_identity(es)
        self.report.model = self.model
        self.counter, self.limit = _model_reach(embedder, es)
        self.chunking = {"max_tokens": cs.max_tokens, "encoding": cs.encoding, "model_limit": self.limit,
                         "version": CHUNKING_VERSION}

    def run(self) -> BuildReport:
        report, db_dir = self.report, self.db_dir
        n_pages, pages_iter = read_pages(self.corpus_dir)
        chroma = self.chroma or ChromaSettings()
        threshold = chroma.writer_process_min_mb  # the pages are sized only when a writer process is possible
        self.writer_process = not chroma.host and threshold >= 0 and corpus_mb(self.corpus_dir) >= threshold
        if not n_pages:
            from index.corpus.reader import page_types

            raise UserError(f"the corpus folder {self.corpus_dir} has no pages ({page_types()}); nothing to index "
                            "(the live index is unchanged)")
        from index.corpus.reader import orphan_sidecars

        report.warnings.extend(str(w) for w in orphan_sidecars(self.corpus_dir))
        prev_name, prev_manifest = self._previous()
        # vectors: a collection per (folder, model, chunking) -------------------------------------------------
        try:
            if not (self.chroma or ChromaSettings()).host:
                sync_embedded_clients(db_dir)  # see vectors other processes (a killed build, the CLI) wrote since
                mark_embedded_write(db_dir, "begin")  # before the first write: a build killed midway is seen too
            client = chroma_client(db_dir, self.chroma)
            name = collection_name(instance_id(db_dir), self.model, self.chunking)
            coll = open_collection(client, name, self.model, self.chunking, create=True)
        except UserError:
            raise
        except Exception as e:
            raise store_error(e, self.chroma) from None
        # the new generation, written as the corpus streams through ----------------------------------------
        gen = next_generation_name(db_dir)
        gen_dir = db_dir / GENERATIONS / gen
        remove_tree(gen_dir)
        gen_dir.mkdir(parents=True)
        write_atomic(gen_dir / BUILDING, json.dumps({"collection": name}))
        previous = self._previous_store(prev_name, prev_manifest, gen_dir)
        # chunks are reused only if cut the same way (other settings: records are still compared, for the counts)
        reuse = previous is not None and (prev_manifest or {}).get("chunking") == self.chunking and not self.full
        writer = StoreWriter(gen_dir / STORE_FILE, previous, reuse_chunks=reuse)
        lexical = LexicalBuilder(gen_dir / LEXICAL_DIR, bm25_tokenize)
        vectors = _Vectors(self, coll, client, name)
        try:
            pages, chunk_digest = self._stream(n_pages, pages_iter, writer, lexical, vectors)
            vectors.finish()
            if self.writer_process:  # another process wrote: this one's embedded client must look again
                reset_embedded_clients()
                client = chroma_client(db_dir, self.chroma)
                coll = open_collection(client, name, self.model, self.chunking, create=False)
            with self.clock("compare"):
                per_file, removed = writer.changes()
                report.per_file = self._per_file(pages, per_file)
                report.removed = removed
                for k in ("added", "updated", "unchanged"):
                    setattr(report, k, sum(f.get(k, 0) for f in per_file.values()))
                report.chunks = writer.chunks
                digest = self._digest(writer, chunk_digest, name)
            if (prev_manifest and prev_manifest.get("digest") == digest and not self.full
                    and self._live_is_intact(prev_name)):
                writer.close()
                lexical.abort()
                remove_tree(gen_dir)
                report.generation = prev_name or ""
                with self.clock("prune"):
                    _prune(db_dir, coll, client, prev_name, self.chroma)
                return self._done()
            dim = vectors.dim or int((prev_manifest or {}).get("dim") or 0) or self._dim_of(coll, writer)
            with self.clock("finish_store"):
                counts = self._counts(writer)
                writer.finish()
            with self.clock("lexical"):
                lexical.finish()
            with self.clock("sentences"):
                self._sentences_and_terms(gen_dir, vectors, dim)
            self.progress("write", 1, 1)
            with self.clock("topics"):
                _topics(gen_dir, coll, vectors.cache, self.model, dim,
                        db_dir / GENERATIONS / prev_name if prev_name else None, self.lazy)
        except BaseException:
            writer.close()
            lexical.abort()
            raise
        finally:
            vectors.close()
            if previous is not None and previous.parent == gen_dir:
                previous.unlink(missing_ok=True)  # the format-1 records, imported for counting
        self._write_manifest(gen_dir, pages, dim, name, digest, prev_name, counts)
        # swap: from here on readers see the new generation --------------------------------------------------
        write_atomic(db_dir / LIVE, gen + "\n")
        report.generation, report.swapped = gen, True
        log.info("generation %s is live (%d records, %d chunks)", gen, counts["records"], counts["chunks"])
        with self.clock("prune"):
            _prune(db_dir, coll, client, gen, self.chroma)
        return self._done()

    def _done(self) -> BuildReport:
        self.report.seconds = time.perf_counter() - self.t0
        self.progress("done", 1, 1)
        return self.report

    # -- reading the corpus ----------------------------------------------------------------------------------

    def _stream(self, n_pages: int, pages_iter: Iterator[Any], writer: StoreWriter, lexical: LexicalBuilder,
                vectors: _Vectors) -> tuple[list[dict[str, Any]], Any]:
        """Every page, record and chunk once, in corpus order; returns what each page was and the chunk-id hash."""
        report, clock = self.report, self.clock
        pages: list[dict[str, Any]] = []
        chunk_digest = hashlib.sha1()
        batch: list[tuple[str, str, str]] = []
        texts: list[str] = []

        def flush() -> None:
            with clock("write_store"):
                writer.commit()  # the ids are listed before Chroma gets them (see StoreWriter)
            with clock("lexical"):
                lexical.add(texts)
            vectors.add(batch)
            batch.clear()
            texts.clear()

        for n in range(1, n_pages + 1):
            with clock("read"):
                page = next(pages_iter)
            report.warnings.extend(str(w) for w in page.warnings)
            pages.append({"file": page.file, "records": len(page.records), "warnings": len(page.warnings),
                          "shape": page.shape,
                          "problem": page.warnings[0].message if not page.records and page.warnings else None})
            for r in page.records:
                fp = record_fingerprint(r)
                with clock("chunk"):
                    spans = writer.previous_spans(r, fp)
                    if spans is None:
                        spans = [(c.chunk_id, c.start, c.end, c.content_hash) for c in
                                 chunk_record(r, self.cs.max_tokens, encoding=self.cs.encoding,
                                              model_tokens=self.counter, model_limit=self.limit)]
                with clock("write_store"):
                    added = writer.add(r, fp, spans)
                if not added:
                    report.warnings.append(f"{page.file}: duplicate record {r.post_id}/{r.comment_id} skipped")
                    continue
                for cid, s, e, h in spans:
                    chunk_digest.update(cid.encode())
                    batch.append((cid, h, r.text[s:e]))
                    texts.append(r.text[s:e])
                if len(batch) >= vectors.batch:
                    flush()
            self.progress("read", n, n_pages)
        flush()
        report.files = n_pages
        return pages, chunk_digest

    @staticmethod
    def _per_file(pages: list[dict[str, Any]], counted: dict[str, dict[str, int]]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for p in pages:
            out[p["file"]] = {"records": 0, "chunks": 0, "added": 0, "updated": 0, "unchanged": 0,
                              "warnings": p["warnings"], "shape": p["shape"]}
        for f, c in counted.items():
            out.setdefault(f or "?", {"records": 0, "chunks": 0, "added": 0, "updated": 0, "unchanged": 0,
                                      "warnings": 0}).update(c)
        return out

    # -- the live generation ---------------------------------------------------------------------------------

    def _previous(self) -> tuple[str | None, dict | None]:
        """The live generation's name and manifest; a damaged one counts as absent."""
        name = read_live_name(self.db_dir)
        if name is None:
            return None, None
        try:
            return name, read_manifest(self.db_dir / GENERATIONS / name, any_format=True)
        except UserError as e:
            self.report.warnings.append(f"the live generation {name} is damaged ({e}); building a fresh one")
            return None, None

    def _previous_store(self, name: str | None, manifest: dict | None, gen_dir: Path) -> Path | None:
        """A store of the live generation's records to compare with (and reuse chunks from, same chunking)."""
        if name is None or manifest is None:
            return None
        prev_dir = self.db_dir / GENERATIONS / name
        try:
            if manifest.get("format") == 1:
                self.report.warnings.append(f"the live generation {name} has an older format: writing it anew "
                                            "(vectors are kept, nothing is embedded again)")
                return legacy_records(prev_dir / "records.jsonl", gen_dir / ".previous.sqlite", record_fingerprint)
            check_sizes(prev_dir, manifest)
            GenerationStore(prev_dir / STORE_FILE).close()  # readable at all
        except (UserError, OSError, ValueError, TypeError, sqlite3.Error) as e:
            self.report.warnings.append(f"the live generation {name} is damaged ({e}); building a fresh one")
            return None
        return prev_dir / STORE_FILE

    def _live_is_intact(self, name: str | None) -> bool:
        """An unchanged corpus keeps the live generation only if its files still read: `index build` is the repair
        every damage message advises, so it must rewrite a damaged generation (vectors come from the cache)."""
        if name is None:
            return False
        failed = [c for c in check_generation(self.db_dir, name).checks if not c[1]]
        if failed:
            detail = "; ".join(f"{c[0]}: {c[2]}" for c in failed)
            log.warning("the live generation is damaged (%s): writing a new one", detail)
            self.report.warnings.append(f"the live index was damaged ({detail}); rebuilt it")
            return False
        return True

    # -- writing the generation ------------------------------------------------------------------------------

    def _digest(self, writer: StoreWriter, chunk_digest: Any, collection: str) -> str:
        h = hashlib.sha1()
        h.update(json.dumps([self.model, self.chunking, collection, FORMAT], sort_keys=True).encode())
        for post_id, comment_id, fp in writer.fingerprints():
            h.update(f"{post_id}|{comment_id}|{fp}\n".encode())
        h.update(chunk_digest.digest())
        return h.hexdigest()

    @staticmethod
    def _counts(writer: StoreWriter) -> dict[str, Any]:
        """Counts for the manifest, and the date range: what /about shows, without reading every record."""
        posts, comments, first, last = writer.db.execute(
            "SELECT TOTAL(kind = 'post'), TOTAL(kind = 'comment'), MIN(NULLIF(date, '')), MAX(NULLIF(date, '')) "
            "FROM records").fetchone()
        return {"records": writer.records, "posts": int(posts), "comments": int(comments), "chunks": writer.chunks,
                "dates": {"first": first, "last": last}}

    def _sentences_and_terms(self, gen_dir: Path, vectors: _Vectors, dim: int) -> None:
        """The generation's sentence vectors (index.sentences, embedded through the same cache as chunks, in
        bounded batches) and term statistics (index.terms): one streaming pass over the finished store's records."""
        from index.sentences import SentenceWriter, sentence_hash

        def vectors_for(texts: list[str]) -> dict[str, np.ndarray]:
            return vectors.vectors_of({sentence_hash(t): t for t in texts}, stage="embed sentences")

        sw = SentenceWriter(gen_dir, vectors_for, dim)
        store = GenerationStore(gen_dir / STORE_FILE)

        def fed() -> Iterator[Record]:
            for r in store.iter_records():
                sw.add(r)
                yield r

        try:
            stats = TermStats.from_records(fed())
            n = sw.finish()
        except BaseException:
            sw.abort()
            raise
        finally:
            store.close()
        stats.save(gen_dir)
        log.info("generation %s: %d sentence vectors", gen_dir.name, n)

    @staticmethod
    def _dim_of(coll: Any, writer: StoreWriter) -> int:
        """The vector size when this build stored nothing new (every vector was already in the collection)."""
        row = writer.db.execute("SELECT chunk_id FROM chunks LIMIT 1").fetchone()
        if row is None:
            return 0
        return len(coll.get(ids=[row[0]], include=["embeddings"])["embeddings"][0])

    def _write_manifest(self, gen_dir: Path, pages: list[dict[str, Any]], dim: int, collection: str, digest: str,
                        prev: str | None, counts: dict[str, Any]) -> None:
        files = []
        for p in pages:
            path = self.corpus_dir / p["file"]
            try:
                st = path.stat()
                size, mtime = st.st_size, datetime.fromtimestamp(st.st_mtime, UTC).isoformat(timespec="seconds")
            except OSError:
                size, mtime = None, None
            files.append({"name": p["file"], "size": size, "mtime": mtime, "records": p["records"],
                          "shape": p["shape"], "warnings": p["warnings"], "problem": p["problem"]})
        data_files = [STORE_FILE, *(f"{LEXICAL_DIR}/{f}" for f in LEXICAL_FILES), *SENTENCE_FILES, TERMS_FILE]
        if (gen_dir / TOPICS_FILE).exists():
            data_files.append(TOPICS_FILE)
        r = self.report
        manifest = {
            "format": FORMAT,
            "generation": gen_dir.name,
            "previous": prev,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": self.model,
            "dim": dim,
            "chunking": self.chunking,
            "collection": collection,
            "digest": digest,
            "corpus_dir": str(self.corpus_dir.resolve()),
            "corpus_files": files,
            "counts": {"files": len(pages), **{k: v for k, v in counts.items() if k != "dates"}},
            "dates": counts["dates"],
            "files": file_sizes(gen_dir, data_files),
            "last_build": {k: getattr(r, k) for k in ("added", "updated", "removed", "unchanged", "embedded")},
        }
        (gen_dir / BUILDING).unlink(missing_ok=True)
        # the manifest is written last: a generation without one is incomplete and is pruned by the next build
        write_atomic(gen_dir / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        fsync_dir(gen_dir)


def _topic_sample(store: GenerationStore, limit: int) -> list[int]:
    """Row ids of at most `limit` records to derive topics from: all of them up to `limit`, beyond that the records
    whose keys hash lowest. Deterministic, and stable as the corpus grows (a record leaves the sample only for
    one that hashes lower), so topics and their keys do not churn from one build to the next."""
    import heapq

    picked: list[tuple[int, int]] = []  # (-hash, rid): a max-heap of the `limit` lowest hashes
    for rid, post_id, comment_id in store.iter_keys():
        h = int.from_bytes(hashlib.blake2b(f"{post_id}\0{comment_id}".encode(), digest_size=8).digest(), "big")
        if len(picked) < limit:
            heapq.heappush(picked, (-h, rid))
        elif -picked[0][0] > h:
            heapq.heapreplace(picked, (-h, rid))
    return [rid for _, rid in picked]


def _topics(gen_dir: Path, coll: Any, cache: EmbeddingCache, model: str, dim: int, prev_dir: Path | None = None,
            lazy: _LazyEmbedder | None = None) -> None:
    """The topics hook (index.topics, another module): runs inside the new generation before it goes live.

    Topics come from at most TOPICS_SAMPLE records (every record of a smaller corpus), so this step's memory does
    not grow with the corpus: a topic's members and size are then those of the sample. Chunk vectors come from the
    embedding cache (local and fast), from the collection only what the cache lacks."""
    try:
        from index.topics import derive_topics, load_topics
    except ImportError:
        log.debug("index.topics not available yet; no topics.json for generation %s", gen_dir.name)
        return
    store = GenerationStore(gen_dir / STORE_FILE)
    try:
        records, chunks = store.records_and_chunks(_topic_sample(store, TOPICS_SAMPLE))
        matrix = np.zeros((len(chunks), dim), dtype=np.float32)
        for s in range(0, len(chunks), 5000):
            part = chunks[s : s + 5000]
            got = cache.get_many(model, [c.content_hash for c in part])
            stored: dict[str, Any] = {}
            for ids in batched([c.chunk_id for c in part if c.content_hash not in got], 2000):
                res = coll.get(ids=ids, include=["embeddings"])
                stored.update(zip(res["ids"], res["embeddings"], strict=True))
            for i, c in enumerate(part):
                matrix[s + i] = got[c.content_hash] if c.content_hash in got else stored[c.chunk_id]
        previous = None
        if prev_dir is not None:  # the live generation's topics let the new ones keep their keys
            try:
                previous = load_topics(prev_dir)
            except UserError as e:
                log.warning("%s; the new topics get new keys", e)
        derive_topics(records, chunks, matrix, gen_dir, previous=previous,
                      embed=(lambda texts: lazy.get().embed(texts)) if lazy is not None else None)
    finally:
        store.close()


# --- checks shared by build, prune and verify -----------------------------------------------------------------


@dataclass
class GenerationCheck:
    """What was checked of one generation: [name, ok, detail] per check."""

    name: str
    manifest: dict[str, Any] | None = None
    checks: list[list[Any]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append([name, bool(ok), detail])

    @property
    def ok(self) -> bool:
        return all(c[1] for c in self.checks)


def check_generation(db_dir: Path, name: str, *, deep: bool = False, live: Any = None) -> GenerationCheck:
    """Is this generation whole? Cheap checks (manifest, file sizes, store and lexical index readable and of the
    counts the manifest says, topics readable) for a build deciding whether to keep it, and for pruning; `deep`
    adds what `verify` reads end to end: every chunk's span and hash, sampled lexical postings, every vector."""
    gen_dir = Path(db_dir) / GENERATIONS / name
    res = GenerationCheck(name)
    try:
        res.manifest = m = read_manifest(gen_dir)
        check_sizes(gen_dir, m)
    except UserError as e:
        res.add("files", False, str(e))
        return res
    counts = m.get("counts") or {}
    try:
        store = GenerationStore(gen_dir / STORE_FILE)
    except Exception as e:  # sqlite3 errors
        res.add("store", False, f"records and chunks unreadable: {e}")
        return res
    try:
        n_rec, n_chunks = store.count_records(), store.count_chunks()
        res.add("counts", counts.get("chunks") == n_chunks and counts.get("records") == n_rec,
                f"{n_rec} records, {n_chunks} chunks (manifest: {counts.get('records')}, {counts.get('chunks')})")
        try:
            lex = LexicalIndex(gen_dir / LEXICAL_DIR)
        except Exception as e:  # numpy, json, sqlite3: whatever their readers raise
            res.add("lexical", False, f"lexical index unreadable: {e}")
            lex = None
        if lex is not None:
            try:
                res.add("lexical", lex.n_docs == n_chunks, f"the lexical index covers {lex.n_docs} chunks"
                        + ("" if lex.n_docs == n_chunks else f", but the generation has {n_chunks}"))
                if deep:
                    _check_deep(res, store, lex, live)
            finally:
                lex.close()
        _check_sentences_and_terms(res, gen_dir, n_rec)
    except sqlite3.Error as e:
        res.add("store", False, f"records and chunks unreadable: {e}")
    finally:
        store.close()
    try:
        from index.topics import load_subject, load_topics

        topics = load_topics(gen_dir)
        load_subject(gen_dir)
        res.add("topics", True, f"{len(topics)} topics" if topics is not None else "no topics file (older build)")
    except UserError as e:
        res.add("topics", False, str(e))
    return res


def _check_sentences_and_terms(res: GenerationCheck, gen_dir: Path, records: int) -> None:
    """Sentence vectors (one row range per record) and term statistics (of as many records) that fit the store."""
    try:
        sv = SentenceVectors.open(gen_dir, records)
        res.add("sentences", True, f"{len(sv.vectors)} sentence vectors" if sv else
                "no sentence vectors (older build)")
    except UserError as e:
        res.add("sentences", False, str(e))
    try:
        stats = TermStats.load(gen_dir)
        ok = stats is None or stats.records == records
        res.add("terms", ok, "no term statistics (older build)" if stats is None else
                f"term statistics of {stats.records} records" + ("" if ok else f", the generation has {records}; "
                                                                   "run `adoptbot index build`"))
    except UserError as e:
        res.add("terms", False, str(e))


def _check_deep(res: GenerationCheck, store: GenerationStore, lex: LexicalIndex, live: Any) -> None:
    """verify's end-to-end checks, streaming: spans and hashes of every chunk, lexical postings of a sample, and
    (with `live`) every vector: present, well-formed, equal to the cached vector of its text."""
    bad: list[str] = []
    sample: list[tuple[int, str]] = []
    for pos, c in enumerate(store.iter_chunks()):
        if content_hash(c.text) != c.content_hash or not c.text:
            bad.append(c.chunk_id)
        if pos % max(1, res.manifest["counts"]["chunks"] // 200) == 0:
            sample.append((pos, c.text))
    res.add("spans", not bad, "every chunk is cut verbatim from its record" if not bad else
            f"{len(bad)} chunks do not match their record text (first: {bad[0]})")
    wrong = 0
    for pos, text in sample:
        for t in set(bm25_tokenize([text])[0]):
            ids = lex.term_ids([t])
            docs = lex.postings_of(ids[0]) if ids else np.zeros(0, dtype=np.int32)
            at = int(np.searchsorted(docs, pos))
            if at >= len(docs) or docs[at] != pos:
                wrong += 1
    res.add("lexical postings", not wrong, f"{len(sample)} sampled chunks are found under each of their words"
            if not wrong else f"{wrong} words of {len(sample)} sampled chunks are missing from the lexical index")
    if live is None:
        return
    m = res.manifest
    dim = int(m.get("dim") or 0)
    seen = malformed = differ = 0
    total = int(m["counts"]["chunks"])
    cache = EmbeddingCache(live.db_dir / CACHE_DB)
    try:
        for ids in store.iter_chunk_ids(2000):
            got = live.call(lambda coll, ids=ids: coll.get(ids=ids, include=["embeddings"]))
            hashes = {c.chunk_id: c.content_hash for c in store.chunks_by_id(got["ids"]).values()}
            cached = cache.get_many(m["model"], hashes.values())
            for i, v in zip(got["ids"], got["embeddings"], strict=True):
                v = np.asarray(v, dtype=np.float32)
                seen += 1
                if v.shape != (dim,) or abs(float(np.linalg.norm(v)) - 1) > 1e-3:
                    malformed += 1
                elif hashes.get(i) in cached and not np.allclose(cached[hashes[i]], v, atol=1e-6):
                    differ += 1
    except StoreUnavailable:
        raise  # a server that is down is not a damaged index: one line, exit 2
    except UserError as e:
        res.add("vectors", False, str(e))
        return
    finally:
        cache.close()
    res.add("vectors", seen == total and not malformed, f"{seen} of {total} chunk vectors in {m.get('collection')}"
            + (f", {malformed} malformed" if malformed else ""))
    res.add("texts", not differ, "Chroma's vectors are the embeddings of the chunk texts" if not differ else
            f"{differ} vectors in Chroma differ from the embeddings of their chunk texts")


# --- prune ----------------------------------------------------------------------------------------------------


def _generation_ids(gen_dir: Path) -> Iterator[list[str]]:
    """The chunk ids a generation folder lists (a finished one, a half-written one, or a format-1 one)."""
    store = gen_dir / STORE_FILE
    if store.exists():
        db = sqlite3.connect(sqlite_uri(store, readonly=True), uri=True)
        try:
            cur = db.execute("SELECT chunk_id FROM chunks")
            while rows := cur.fetchmany(20000):
                yield [r[0] for r in rows]
        finally:
            db.close()
        return
    legacy = gen_dir / "chunks.jsonl"
    if legacy.exists():
        with open(legacy, encoding="utf-8") as f:
            for part in batched(f.readlines(), 20000):
                yield [json.loads(line)["chunk_id"] for line in part if line.strip()]
        return
    raise FileNotFoundError(f"{gen_dir} lists no chunks")


def _collection_of(gen_dir: Path) -> str | None:
    for name in (MANIFEST, BUILDING):
        try:
            return str(json.loads((gen_dir / name).read_text(encoding="utf-8"))["collection"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def _prune(db_dir: Path, coll: Any, client: Any, live: str | None, chroma: ChromaSettings | None) -> None:
    """Delete what neither the live nor the previous generation uses: old generations, the vectors only they (or
    a killed build) added, and collections of other models. Failures here only leave garbage for the next build;
    never fatal. Works in SQL over the generations' stores, so it holds no id sets in memory."""
    keep_gens = {live} if live else set()
    for name in list(keep_gens):
        try:
            m = read_manifest(db_dir / GENERATIONS / name, any_format=True)
        except UserError:
            continue
        if m.get("previous") and (db_dir / GENERATIONS / m["previous"] / MANIFEST).exists():
            keep_gens.add(m["previous"])
    keep_colls = {c for g in keep_gens if (c := _collection_of(db_dir / GENERATIONS / g))}
    dropped = [d for d in generation_dirs(db_dir) if d.name not in keep_gens]
    scratch = db_dir / ".prune.sqlite"
    db = scratch_sqlite(scratch)
    try:
        db.execute("CREATE TABLE keep (id TEXT PRIMARY KEY) WITHOUT ROWID")
        db.execute("CREATE TABLE gone (id TEXT PRIMARY KEY) WITHOUT ROWID")
        for g in keep_gens:
            if _collection_of(db_dir / GENERATIONS / g) != coll.name:
                continue
            try:
                for part in _generation_ids(db_dir / GENERATIONS / g):
                    db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((i,) for i in part))
            except (OSError, ValueError, KeyError, sqlite3.Error) as e:
                log.warning("cannot read generation %s while pruning (%s); keeping every vector", g, e)
                return
        dropped_colls: set[str] = set()  # collections only removed generations used (e.g. after a lost instance_id)
        scan_all = False
        for d in dropped:
            c = _collection_of(d)
            if c and c != coll.name:
                dropped_colls.add(c)
            elif c == coll.name or c is None:
                try:
                    for part in _generation_ids(d):
                        db.executemany("INSERT OR IGNORE INTO gone VALUES (?)", ((i,) for i in part))
                except (OSError, ValueError, KeyError, sqlite3.Error):
                    scan_all = True  # a killed build's list is unreadable: find its vectors the slow way
        try:
            if scan_all:
                log.info("listing every vector of %s to find what a killed build left", coll.name)
                db.executemany("INSERT OR IGNORE INTO gone VALUES (?)", ((i,) for i in all_ids(coll)))
            cur = db.execute("SELECT id FROM gone WHERE id NOT IN (SELECT id FROM keep)")
            n = 0
            while part := [r[0] for r in cur.fetchmany(write_batch_size(client))]:
                coll.delete(ids=part)
                n += len(part)
            if n:
                log.info("pruned %d vectors no generation uses", n)
            prefix = coll.name.rsplit("-", 1)[0] + "-"
            for c in client.list_collections():
                cname = c if isinstance(c, str) else c.name
                ours = cname.startswith(prefix) or (cname in dropped_colls and cname.startswith("adoptbot-"))
                if ours and cname not in keep_colls and cname != coll.name:
                    client.delete_collection(cname)
                    log.info("deleted collection %s (no generation uses it)", cname)
        except Exception as e:  # never fail a build that already went live over garbage collection
            log.warning("pruning the vector store failed (%s); the next build retries", e)
            return
        for d in dropped:
            remove_tree(d)
    finally:
        db.close()
        scratch.unlink(missing_ok=True)
    for tmp in db_dir.glob(f".{LIVE}.*.tmp"):
        tmp.unlink(missing_ok=True)


# --- verify ---------------------------------------------------------------------------------------------------


def verify_index(db_dir: Path, corpus_dir: Path | None = None,
                 chroma: ChromaSettings | None = None) -> dict[str, Any]:
    """Check the live generation end to end; returns {"ok", "generation", "checks": [[name, ok, detail]]}."""
    from index.store import LiveIndex

    live = LiveIndex.open(Path(db_dir), chroma)
    try:
        res = check_generation(Path(db_dir), live.generation, deep=True, live=live)
    except StoreUnavailable:
        raise  # a server that is down is not a damaged index: one line, exit 2
    checks = res.checks
    if corpus_dir is not None:
        checks.append(_check_corpus(live, Path(corpus_dir)))
    return {"ok": all(c[1] for c in checks), "generation": live.generation, "db": str(db_dir), "checks": checks}


def _check_corpus(live: Any, corpus_dir: Path) -> list[Any]:
    """Does the corpus still hold exactly the records of the live generation? Compared in SQL, page by page."""
    try:
        _, pages = read_pages(corpus_dir)
    except UserError as e:
        return ["corpus", False, str(e)]
    db = sqlite3.connect(":memory:", uri=True)
    try:
        db.execute("ATTACH ? AS gen", (sqlite_uri(live.generation_dir / STORE_FILE, readonly=True),))
        db.execute("CREATE TABLE now (post_id TEXT, ckey TEXT, fp TEXT, PRIMARY KEY (post_id, ckey))")
        for page in pages:
            db.executemany("INSERT OR IGNORE INTO now VALUES (?, ?, ?)",
                           [(r.post_id, r.comment_id or "", record_fingerprint(r)) for r in page.records])
        n_now = db.execute("SELECT COUNT(*) FROM now").fetchone()[0]
        added = db.execute("SELECT COUNT(*) FROM now n WHERE NOT EXISTS (SELECT 1 FROM gen.records r "
                           "WHERE r.post_id = n.post_id AND r.ckey = n.ckey)").fetchone()[0]
        removed = db.execute("SELECT COUNT(*) FROM gen.records r WHERE NOT EXISTS (SELECT 1 FROM now n "
                             "WHERE r.post_id = n.post_id AND r.ckey = n.ckey)").fetchone()[0]
        updated = db.execute("SELECT COUNT(*) FROM now n JOIN gen.records r ON r.post_id = n.post_id AND "
                             "r.ckey = n.ckey WHERE r.fingerprint != n.fp").fetchone()[0]
    except sqlite3.Error as e:
        return ["corpus", False, f"cannot compare the corpus with the index ({e}); run `adoptbot index build`"]
    finally:
        db.close()
    same = not (added or removed or updated)
    return ["corpus", same, f"{n_now} records in {corpus_dir} match the index" if same else
            f"the corpus changed since the build: {added} added, {updated} updated, {removed} removed; "
            "run `adoptbot index build`"]
