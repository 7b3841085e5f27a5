"""Incremental, atomic index builds: embed only new text, swap the live generation in one rename.

Counts are of RECORDS, keyed by (post_id, comment_id):
  added      the key is new;          removed    the key is gone;
  updated    same key, anything of the record differs (text, author, date, title...);
  unchanged  the record is identical.
A comment's id is a hash of its text, so an edited comment counts as one removal plus one addition; a post keeps
its id, so an edited post is "updated". `embedded` counts chunk texts actually sent to the model (texts already
in the embedding cache or in the collection are not).

Order of a build (see index/store.py for the layout): lock -> read corpus -> chunk -> add missing vectors to the
collection (invisible to readers) -> write generation <n> -> topics hook -> swap LIVE -> prune what neither the
live nor the previous generation uses (including leftovers of killed builds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.chunking import chunk_record
from index.errors import StoreUnavailable, UserError
from index.models import Chunk, Record
from index.settings import ChromaSettings, ChunkSettings, EmbedSettings
from index.store import (
    BM25_DIR,
    CACHE_DB,
    GENERATIONS,
    LIVE,
    EmbeddingCache,
    all_ids,
    batched,
    build_bm25,
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
    store_error,
    sync_embedded_clients,
    trim_heap,
    write_atomic,
)
from index.terms import TermStats

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
CHUNKING_VERSION = 2  # bump when the chunking algorithm changes: a new collection, never mixed chunkings


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

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d


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
    progress = progress or _noop
    es = embed_settings or (embedder.settings if isinstance(getattr(embedder, "settings", None), EmbedSettings)
                            else EmbedSettings())
    cs = chunk_settings or ChunkSettings()
    if db_dir.exists() and not db_dir.is_dir():
        raise UserError(f"the data folder {db_dir} is a file, not a folder; pass --db DIR")
    try:
        db_dir.mkdir(parents=True, exist_ok=True)
        with build_lock(db_dir):
            try:
                with embedded_build():
                    return _build_locked(corpus_dir, db_dir, embedder, progress, full, es, cs, chroma_settings, t0)
            finally:
                _end_write(db_dir)  # only after this build's own "begin": embedded Chroma, and it got that far
                trim_heap()
    except OSError as e:
        raise disk_error(e, db_dir) from None


def _end_write(db_dir: Path) -> None:
    """After a build that wrote to embedded Chroma: readers in other processes reload what it wrote."""
    if not embedded_write_begun(db_dir):
        return
    try:
        mark_embedded_write(db_dir, "end")
    except OSError as e:  # the "begin" stamp already makes other processes reload; never mask the build's result
        log.warning("could not stamp the end of the write in %s: %s", db_dir, e)


def _build_locked(corpus_dir: Path, db_dir: Path, embedder: Any, progress: Progress, full: bool,
                  es: EmbedSettings, cs: ChunkSettings, chroma: ChromaSettings | None, t0: float) -> BuildReport:
    from index.corpus import read_corpus
    from index.corpus.reader import orphan_sidecars, page_types

    report = BuildReport()
    # 1. read ------------------------------------------------------------------------------------------------
    pages = read_corpus(corpus_dir)
    if not pages:
        raise UserError(f"the corpus folder {corpus_dir} has no pages ({page_types()}); nothing to index "
                        "(the live index is unchanged)")
    report.warnings.extend(str(w) for w in orphan_sidecars(corpus_dir))
    records: list[Record] = []
    seen: set[tuple[str, str | None]] = set()
    for page in pages:
        report.warnings.extend(str(w) for w in page.warnings)
        for r in page.records:
            key = (r.post_id, r.comment_id)
            if key in seen:
                report.warnings.append(f"{page.file}: duplicate record {r.post_id}/{r.comment_id} skipped")
                continue
            seen.add(key)
            records.append(r)
    report.files = len(pages)
    progress("read", len(pages), len(pages))

    # 2. chunk -----------------------------------------------------------------------------------------------
    lazy = _LazyEmbedder(embedder, es)
    if embedder is not None:
        model = embedder.name
    else:
        from index.embedding import model_identity

        model = model_identity(es)
    report.model = model
    counter, limit = _model_reach(embedder, es)
    chunking = {"max_tokens": cs.max_tokens, "encoding": cs.encoding, "model_limit": limit,
                "version": CHUNKING_VERSION}
    chunks: list[Chunk] = []
    chunks_of: dict[tuple[str, str | None], int] = {}
    for i, r in enumerate(records):
        cs_ = chunk_record(r, cs.max_tokens, encoding=cs.encoding, model_tokens=counter, model_limit=limit)
        chunks_of[(r.post_id, r.comment_id)] = len(cs_)
        chunks.extend(cs_)
        if i % 200 == 0:
            progress("chunk", i, len(records))
    progress("chunk", len(records), len(records))
    report.chunks = len(chunks)

    # 3. compare with the live generation ---------------------------------------------------------------------
    prev_name, prev_manifest, prev_fp = _previous(db_dir, report)
    fps = {(r.post_id, r.comment_id): record_fingerprint(r) for r in records}
    _count(records, fps, prev_fp, report, chunks_of, pages)

    # 4. vectors ---------------------------------------------------------------------------------------------
    try:
        if not (chroma or ChromaSettings()).host:
            sync_embedded_clients(db_dir)  # see vectors other processes (a killed build, the CLI) wrote since
            mark_embedded_write(db_dir, "begin")  # before the first write: a build killed midway is seen too
        client = chroma_client(db_dir, chroma)
        name = collection_name(instance_id(db_dir), model, chunking)
        coll = open_collection(client, name, model, chunking, create=True)
        ids = [c.chunk_id for c in chunks]
        have = set() if full else existing_ids(coll, ids)
    except UserError:
        raise
    except Exception as e:
        raise store_error(e, chroma) from None
    missing = [c for c in chunks if c.chunk_id not in have]
    vectors, dim = _vectors_for(missing, model, lazy, db_dir, full, progress, report, es)
    try:
        step = max(1, min(client.get_max_batch_size(), 1000))
        done = 0
        for part in batched(missing, step):
            coll.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=np.stack([vectors[c.content_hash] for c in part]),
                documents=[c.text for c in part],
                metadatas=[{"post_id": c.post_id, "comment_id": c.comment_id or "", "kind": c.kind,
                            "content_hash": c.content_hash} for c in part],
            )
            done += len(part)
            progress("store", done, len(missing))
    except Exception as e:
        raise store_error(e, chroma) from None
    if not dim:
        dim = int(prev_manifest.get("dim", 0)) if prev_manifest else 0
        if not dim and chunks:
            dim = len(coll.get(ids=[chunks[0].chunk_id], include=["embeddings"])["embeddings"][0])

    # 5. a new generation, unless nothing changed -------------------------------------------------------------
    digest = _digest(model, chunking, fps, chunks, name)
    if prev_manifest and prev_manifest.get("digest") == digest and not full and _live_is_intact(db_dir, report):
        report.generation = prev_name or ""
        _prune(db_dir, coll, client, prev_name, chroma)
        report.seconds = time.perf_counter() - t0
        progress("done", 1, 1)
        return report
    gen = next_generation_name(db_dir)
    gen_dir = db_dir / GENERATIONS / gen
    remove_tree(gen_dir)
    gen_dir.mkdir(parents=True)
    _sentences(gen_dir, records, model, lazy, db_dir, full, progress, report, es, dim)
    _write_generation(gen_dir, records, chunks, pages, corpus_dir, model, dim, chunking, name, digest, prev_name,
                      report)
    progress("write", 1, 1)
    _topics(records, chunks, coll, gen_dir, dim, db_dir / GENERATIONS / prev_name if prev_name else None, lazy)
    # 6. swap: from here on readers see the new generation ----------------------------------------------------
    write_atomic(db_dir / LIVE, gen + "\n")
    report.generation, report.swapped = gen, True
    log.info("generation %s is live (%d records, %d chunks)", gen, len(records), len(chunks))
    _prune(db_dir, coll, client, gen, chroma)
    report.seconds = time.perf_counter() - t0
    progress("done", 1, 1)
    return report


def _previous(db_dir: Path, report: BuildReport) -> tuple[str | None, dict | None, dict]:
    """The live generation's name, manifest and record fingerprints; a damaged one counts as absent."""
    name = read_live_name(db_dir)
    if name is None:
        return None, None, {}
    gen_dir = db_dir / GENERATIONS / name
    try:
        manifest = read_manifest(gen_dir)
        fps: dict[tuple[str, str | None], str] = {}
        with open(gen_dir / "records.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = Record.from_json(json.loads(line))
                    fps[(r.post_id, r.comment_id)] = record_fingerprint(r)
        return name, manifest, fps
    except (UserError, OSError, ValueError, TypeError) as e:
        report.warnings.append(f"the live generation {name} is damaged ({e}); building a fresh one")
        return None, None, {}


def _count(records: list[Record], fps: dict, prev_fp: dict, report: BuildReport, chunks_of: dict,
           pages: list) -> None:
    per_file: dict[str, dict] = {}
    for p in pages:
        per_file[p.file] = {"records": 0, "chunks": 0, "added": 0, "updated": 0, "unchanged": 0,
                            "warnings": len(p.warnings), "shape": p.shape}
    for r in records:
        key = (r.post_id, r.comment_id)
        pf = per_file.setdefault(r.source_file or "?", {"records": 0, "chunks": 0, "added": 0, "updated": 0,
                                                        "unchanged": 0, "warnings": 0})
        pf["records"] += 1
        pf["chunks"] += chunks_of[key]
        if key not in prev_fp:
            report.added += 1
            pf["added"] += 1
        elif prev_fp[key] != fps[key]:
            report.updated += 1
            pf["updated"] += 1
        else:
            report.unchanged += 1
            pf["unchanged"] += 1
    report.removed = sum(1 for k in prev_fp if k not in fps)
    report.per_file = per_file


def _vectors_for(missing: list[Chunk], model: str, lazy: _LazyEmbedder, db_dir: Path, full: bool,
                 progress: Progress, report: BuildReport, es: EmbedSettings) -> tuple[dict[str, np.ndarray], int]:
    """Vectors for the chunks the collection lacks: from the cache, else from the model (each text once)."""
    if not missing:
        return {}, 0
    vectors = _vectors_of({c.content_hash: c.text for c in missing}, model, lazy, db_dir, full, progress, report, es)
    return vectors, len(next(iter(vectors.values())))


def _vectors_of(text_of: dict[str, str], model: str, lazy: _LazyEmbedder, db_dir: Path, full: bool,
                progress: Progress, report: BuildReport, es: EmbedSettings,
                stage: str = "embed") -> dict[str, np.ndarray]:
    """content hash -> vector for these texts: from the cache, else from the model (then cached)."""
    cache = EmbeddingCache(db_dir / CACHE_DB)
    try:
        hashes = list(text_of)
        vectors = {} if full else cache.get_many(model, hashes)
        todo = [h for h in hashes if h not in vectors]
        if todo:
            emb = lazy.get()
            if emb.name != model:
                raise UserError(f"the embedder is {emb.name} but the build was planned for {model}")
            step = max(1, es.batch_size * 4)  # a few model batches per cache commit: progress and resumability
            done = 0
            for part in batched(todo, step):
                vecs = emb.embed([text_of[h] for h in part])
                fresh = {h: np.asarray(v, dtype=np.float32) for h, v in zip(part, vecs, strict=True)}
                cache.put_many(model, fresh)
                vectors.update(fresh)
                done += len(part)
                report.embedded += len(part)
                progress(stage, done, len(todo))
        return vectors
    finally:
        cache.close()


def _sentences(gen_dir: Path, records: list[Record], model: str, lazy: _LazyEmbedder, db_dir: Path, full: bool,
               progress: Progress, report: BuildReport, es: EmbedSettings, dim: int) -> None:
    """The generation's sentence vectors (index.sentences), embedded through the same cache as chunks."""
    from index import sentences

    def vectors_for(texts: list[str]) -> dict[str, np.ndarray]:
        return _vectors_of({sentences.sentence_hash(t): t for t in texts}, model, lazy, db_dir, full, progress,
                           report, es, stage="embed sentences")

    embedded = report.embedded
    n = sentences.write(gen_dir, records, vectors_for, dim)
    log.info("generation %s: %d sentence vectors (%d embedded)", gen_dir.name, n, report.embedded - embedded)
    report.embedded = embedded  # the report counts chunks; sentences are a by-product of the same model
    TermStats.from_records(records).save(gen_dir)


def _digest(model: str, chunking: dict, fps: dict, chunks: list[Chunk], collection: str) -> str:
    h = hashlib.sha1()
    h.update(json.dumps([model, chunking, collection], sort_keys=True).encode())
    for k in sorted(fps, key=lambda k: (k[0], k[1] or "")):
        h.update(f"{k[0]}|{k[1]}|{fps[k]}\n".encode())
    for c in chunks:
        h.update(c.chunk_id.encode())
    return h.hexdigest()


def _write_lines(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _write_generation(gen_dir: Path, records: list[Record], chunks: list[Chunk], pages: list, corpus_dir: Path,
                      model: str, dim: int, chunking: dict, collection: str, digest: str, prev: str | None,
                      report: BuildReport) -> None:
    _write_lines(gen_dir / "records.jsonl", [r.to_json() for r in records])
    _write_lines(gen_dir / "chunks.jsonl", [c.to_json() for c in chunks])
    build_bm25([c.text for c in chunks], [c.chunk_id for c in chunks], gen_dir / BM25_DIR)
    files = []
    for p in pages:
        path = corpus_dir / p.file
        try:
            st = path.stat()
            size, mtime = st.st_size, datetime.fromtimestamp(st.st_mtime, UTC).isoformat(timespec="seconds")
        except OSError:
            size, mtime = None, None
        files.append({"name": p.file, "size": size, "mtime": mtime, "records": len(p.records),
                      "shape": p.shape, "warnings": len(p.warnings),
                      "problem": p.warnings[0].message if not p.records and p.warnings else None})
    manifest = {
        "format": 1,
        "generation": gen_dir.name,
        "previous": prev,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "dim": dim,
        "chunking": chunking,
        "collection": collection,
        "digest": digest,
        "corpus_dir": str(corpus_dir.resolve()),
        "corpus_files": files,
        "counts": {
            "files": len(pages),
            "records": len(records),
            "posts": sum(1 for r in records if r.kind == "post"),
            "comments": sum(1 for r in records if r.kind == "comment"),
            "chunks": len(chunks),
        },
        "last_build": {k: getattr(report, k) for k in ("added", "updated", "removed", "unchanged", "embedded")},
    }
    # the manifest is written last: a generation without one is incomplete and is pruned by the next build
    write_atomic(gen_dir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    fsync_dir(gen_dir)


def _topics(records: list[Record], chunks: list[Chunk], coll: Any, gen_dir: Path, dim: int,
            prev_dir: Path | None = None, lazy: _LazyEmbedder | None = None) -> None:
    """The topics hook (index.topics, another module): runs inside the new generation before it goes live. The
    live generation's topics (`prev_dir`) let the new ones keep their keys; the model names them."""
    try:
        from index.topics import derive_topics, load_topics
    except ImportError:
        log.debug("index.topics not available yet; no topics.json for generation %s", gen_dir.name)
        return
    ids = [c.chunk_id for c in chunks]
    vecs: dict[str, np.ndarray] = {}
    for part in batched(ids, 2000):
        res = coll.get(ids=part, include=["embeddings"])
        vecs.update({i: np.asarray(v, dtype=np.float32) for i, v in zip(res["ids"], res["embeddings"], strict=True)})
    matrix = np.stack([vecs[i] for i in ids]) if ids else np.zeros((0, dim), dtype=np.float32)
    previous = None
    if prev_dir is not None:
        try:
            previous = load_topics(prev_dir)
        except UserError as e:
            log.warning("%s; the new topics get new keys", e)
    derive_topics(records, chunks, matrix, gen_dir, previous=previous,
                  embed=(lambda texts: lazy.get().embed(texts)) if lazy is not None else None)


def _prune(db_dir: Path, coll: Any, client: Any, live: str | None, chroma: ChromaSettings | None) -> None:
    """Delete what neither the live nor the previous generation uses: old generations, orphan vectors, and
    collections of other models. Failures here only leave garbage for the next build; never fatal."""
    keep_gens = {live} if live else set()
    keep_ids: set[str] = set()
    keep_colls: set[str] = set()
    for name in list(keep_gens):
        try:
            m = read_manifest(db_dir / GENERATIONS / name)
        except UserError:
            continue
        if m.get("previous") and (db_dir / GENERATIONS / m["previous"] / "manifest.json").exists():
            keep_gens.add(m["previous"])
    for name in keep_gens:
        gdir = db_dir / GENERATIONS / name
        try:
            m = read_manifest(gdir)
            keep_colls.add(m["collection"])
            if m["collection"] == coll.name:
                with open(gdir / "chunks.jsonl", encoding="utf-8") as f:
                    keep_ids.update(json.loads(line)["chunk_id"] for line in f if line.strip())
        except (UserError, OSError, ValueError, KeyError):
            log.warning("cannot read generation %s while pruning; keeping its vectors", name)
            return
    dropped_colls: set[str] = set()  # collections only removed generations used (e.g. after a lost instance_id)
    for d in generation_dirs(db_dir):
        if d.name not in keep_gens:
            try:
                dropped_colls.add(str(read_manifest(d)["collection"]))
            except (UserError, KeyError):
                pass
            remove_tree(d)
    try:
        stale = [i for i in all_ids(coll) if i not in keep_ids]
        for part in batched(stale, 1000):
            coll.delete(ids=part)
        if stale:
            log.info("pruned %d vectors no generation uses", len(stale))
        prefix = coll.name.rsplit("-", 1)[0] + "-"
        for c in client.list_collections():
            cname = c if isinstance(c, str) else c.name
            ours = cname.startswith(prefix) or (cname in dropped_colls and cname.startswith("adoptbot-"))
            if ours and cname not in keep_colls and cname != coll.name:
                client.delete_collection(cname)
                log.info("deleted collection %s (no generation uses it)", cname)
    except Exception as e:  # never fail a build that already went live over garbage collection
        log.warning("pruning the vector store failed (%s); the next build retries", e)
    for tmp in db_dir.glob(f".{LIVE}.*.tmp"):
        tmp.unlink(missing_ok=True)


# --- verify ---------------------------------------------------------------------------------------------------


def verify_index(db_dir: Path, corpus_dir: Path | None = None,
                 chroma: ChromaSettings | None = None) -> dict[str, Any]:
    """Check the live generation end to end; returns {"ok", "generation", "checks": [[name, ok, detail]]}."""
    from index.store import LiveIndex, load_bm25

    live = LiveIndex.open(Path(db_dir), chroma)
    checks: list[list[Any]] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append([name, bool(ok), detail])

    m = live.manifest
    chunks = live.chunks()
    records = live.records()
    counts = m.get("counts", {})
    check("counts", counts.get("chunks") == len(chunks) and counts.get("records") == len(records),
          f"{len(records)} records, {len(chunks)} chunks (manifest: {counts.get('records')}, {counts.get('chunks')})")
    bad_spans = []
    for c in chunks:
        r = live.record(c.post_id, c.comment_id)
        if r is None or r.text[c.start : c.end] != c.text or chunk_record_hash(c.text) != c.content_hash:
            bad_spans.append(c.chunk_id)
    check("spans", not bad_spans, "every chunk is cut verbatim from its record" if not bad_spans else
          f"{len(bad_spans)} chunks do not match their record text (first: {bad_spans[0]})")
    ids = [c.chunk_id for c in chunks]
    text_of = {c.chunk_id: c.text for c in chunks}
    try:
        got_vecs: dict[str, np.ndarray] = {}
        got_docs: dict[str, str] = {}
        for part in batched(ids, 2000):
            res = live.call(lambda coll, part=part: coll.get(ids=part, include=["embeddings", "documents"]))
            for i, v, d in zip(res["ids"], res["embeddings"], res["documents"], strict=True):
                got_vecs[i] = np.asarray(v, dtype=np.float32)
                got_docs[i] = d
        missing = [i for i in ids if i not in got_vecs]
        wrong_text = [i for i in ids if i in got_docs and got_docs[i] != text_of[i]]
        dim = int(m.get("dim") or 0)
        bad_vec = [i for i, v in got_vecs.items() if v.shape != (dim,) or abs(float(np.linalg.norm(v)) - 1) > 1e-3]
        check("vectors", not missing and not bad_vec,
              f"{len(got_vecs)} of {len(ids)} chunk vectors in {m.get('collection')}"
              + (f", {len(bad_vec)} malformed" if bad_vec else ""))
        check("texts", not wrong_text, "Chroma documents equal the chunk texts" if not wrong_text else
              f"{len(wrong_text)} Chroma documents differ from the chunk texts")
    except StoreUnavailable:
        raise  # a server that is down is not a damaged index: one line, exit 2
    except UserError as e:
        check("vectors", False, str(e))
    try:
        bm = load_bm25(live.generation_dir / BM25_DIR, with_ids=True)
        bm_ids = [d["text"] if isinstance(d, dict) else d for d in (bm.corpus or [])]
        check("bm25", bm_ids == ids, f"BM25 indexes {len(bm_ids)} chunks" + ("" if bm_ids == ids else
              f", but the generation has {len(ids)} (or a different order)"))
    except Exception as e:
        check("bm25", False, f"BM25 index unreadable: {e}")
    try:
        from index.sentences import SentenceVectors

        sv = SentenceVectors.open(live.generation_dir, len(records))
        check("sentences", True, f"{len(sv.vectors)} sentence vectors" if sv else "no sentence vectors (older build)")
    except UserError as e:
        check("sentences", False, str(e))
    try:
        from index.terms import TermStats

        stats = TermStats.load(live.generation_dir)
        ok = stats is None or stats.records == len(records)
        check("terms", ok, "no term statistics (older build)" if stats is None else
              f"term statistics of {stats.records} records" + ("" if ok else f", the generation has {len(records)}; "
                                                                 "run `adoptbot index build`"))
    except UserError as e:
        check("terms", False, str(e))
    try:
        from index.topics import load_subject, load_topics

        topics = load_topics(live.generation_dir)
        load_subject(live.generation_dir)
        check("topics", True, f"{len(topics)} topics" if topics is not None else "no topics file (older build)")
    except UserError as e:
        check("topics", False, str(e))
    if corpus_dir is not None:
        try:
            from index.corpus import read_corpus

            now = {(r.post_id, r.comment_id): record_fingerprint(r) for p in read_corpus(corpus_dir)
                   for r in p.records}
            then = {(r.post_id, r.comment_id): record_fingerprint(r) for r in records}
            added = sum(1 for k in now if k not in then)
            removed = sum(1 for k in then if k not in now)
            updated = sum(1 for k in now if k in then and now[k] != then[k])
            same = not (added or removed or updated)
            check("corpus", same, f"{len(now)} records in {corpus_dir} match the index" if same else
                  f"the corpus changed since the build: {added} added, {updated} updated, {removed} removed; "
                  "run `adoptbot index build`")
        except UserError as e:
            check("corpus", False, str(e))
    return {"ok": all(c[1] for c in checks), "generation": live.generation, "db": str(db_dir), "checks": checks}


def _live_is_intact(db_dir: Path, report: BuildReport) -> bool:
    """An unchanged corpus keeps the live generation only if its files still read: `index build` is the repair
    every damage message advises, so it must rewrite a damaged generation (vectors come from the cache)."""
    from index.store import LiveIndex, load_bm25
    from index.topics import load_subject, load_topics

    try:
        live = LiveIndex.open(db_dir)
        chunks, records = live.chunks(), live.records()
        try:
            bm = load_bm25(live.generation_dir / BM25_DIR, with_ids=True)
        except Exception as e:  # bm25s raises what its readers raise
            raise UserError(f"BM25 index unreadable: {e}") from None
        if [d["text"] if isinstance(d, dict) else d for d in (bm.corpus or [])] != [c.chunk_id for c in chunks]:
            raise UserError("the BM25 index does not cover the generation's chunks")
        load_topics(live.generation_dir)
        load_subject(live.generation_dir)
        from index.sentences import SentenceVectors
        from index.terms import TermStats

        SentenceVectors.open(live.generation_dir, len(records))
        stats = TermStats.load(live.generation_dir)
        if stats is not None and stats.records != len(records):
            raise UserError("the term statistics do not match the generation's records")
        counts = live.manifest.get("counts", {})
        if counts.get("chunks") != len(chunks) or counts.get("records") != len(records):
            raise UserError(f"generation {live.generation} holds {len(chunks)} chunks and {len(records)} records, "
                            f"its manifest says {counts.get('chunks')} and {counts.get('records')}")
    except UserError as e:
        log.warning("the live generation is damaged (%s): writing a new one", e)
        report.warnings.append(f"the live index was damaged ({e}); rebuilt it")
        return False
    return True


def chunk_record_hash(text: str) -> str:
    from index.chunking import content_hash

    return content_hash(text)
