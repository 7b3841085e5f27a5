import threading
import warnings

import numpy as np
import pytest

from index.embedding import get_embedder, model_identity, model_token_counter, resolve_model
from index.errors import UserError
from index.settings import EmbedSettings


def test_identity_separates_models_and_int8_without_loading_anything():
    torch_id = model_identity(EmbedSettings(backend="torch"))
    assert torch_id.startswith("all-MiniLM-L6-v2@")
    assert model_identity(EmbedSettings(backend="onnx")) == torch_id  # same function, same vectors
    assert model_identity(EmbedSettings(backend="onnx-int8")) != torch_id  # quantized vectors differ
    with pytest.raises(UserError, match="unknown embedding backend"):
        model_identity(EmbedSettings(backend="tensorflow"))


def test_model_setting_accepts_a_local_folder(tmp_path):
    path, label = resolve_model(str(tmp_path))
    assert path == str(tmp_path.resolve()) and label == tmp_path.name
    f = tmp_path / "weights.bin"
    f.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        resolve_model(str(f))


def test_token_counter_excludes_special_tokens():
    count, limit = model_token_counter()
    assert count("hello") == 1 and limit == 254


@pytest.mark.integration
def test_vectors_are_normalized_float32_and_deterministic(real_embedder):
    v = real_embedder.embed(["Social media works for B2B.", "ROI is hard to measure."])
    assert v.dtype == np.float32 and v.shape == (2, real_embedder.dim) and real_embedder.dim == 384
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(real_embedder.embed(["Social media works for B2B."])[0], v[0], atol=1e-6)
    q = real_embedder.embed_query("Is social media useful for business-to-business companies?")
    assert q.shape == (384,) and float(q @ v[0]) > float(q @ v[1])
    assert real_embedder.embed([]).shape == (0, 384)
    assert get_embedder(EmbedSettings(backend="torch")) is real_embedder  # loaded once per process


@pytest.mark.integration
def test_the_model_silently_drops_word_pieces_past_its_reach(real_embedder):
    """Why chunks are bounded: text past max_seq_length does not change the vector at all."""
    base = "Our bank was afraid of Twitter. " * 60  # far more than 254 word pieces
    assert real_embedder.count_tokens(base) > real_embedder.max_seq_length
    a, b = real_embedder.embed([base, base + " But then legal approved a policy and sales doubled."])
    assert np.allclose(a, b, atol=1e-6)


@pytest.mark.integration
def test_embedding_is_thread_safe(real_embedder):
    texts = [f"comment {i} about community managers" for i in range(16)]
    expected = real_embedder.embed(texts)
    out: list = [None] * 4

    def work(i):
        out[i] = real_embedder.embed(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.allclose(o, expected, atol=1e-5) for o in out)


def test_a_missing_model_is_a_clear_error(tmp_path):
    from index.embedding import Embedder

    with pytest.raises(UserError, match="cannot load embedding model"):
        Embedder(EmbedSettings(model=str(tmp_path)))


@pytest.mark.integration
def test_onnx_backend_matches_torch(real_embedder, tmp_path, monkeypatch):
    """The optional ONNX backend (exported offline from the packaged weights) computes the same vectors. The export
    goes to an empty cache folder: the test never leans on an export an earlier run left behind."""
    from index.embedding import Embedder, onnx_cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    onnx = Embedder(EmbedSettings(backend="onnx"))
    assert list(onnx_cache_dir().rglob("model.onnx")), "exported into the empty cache"
    texts = ["Social media helps B2B firms.", "Legal risk and compliance in banks that tweet. " * 30]
    assert onnx.name == real_embedder.name
    assert np.abs(onnx.embed(texts) - real_embedder.embed(texts)).max() < 1e-4


# --- a model folder saved by a current sentence-transformers (no max_seq_length in sentence_bert_config.json) ------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A one-layer BERT with random weights that reads 64 word pieces, saved the current sentence-transformers way.

    Built here, offline, with the packaged model's tokenizer: no download, and small enough to load in a second.
    """
    import json

    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tiny-model")
    path, _ = resolve_model("packaged:all-MiniLM-L6-v2")
    tok = AutoTokenizer.from_pretrained(path)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(root / "hf")
    tok.save_pretrained(root / "hf")
    word = models.Transformer(str(root / "hf"))
    dim = (getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension)()
    SentenceTransformer(modules=[word, models.Pooling(dim, "mean")]).save(str(root / "st"))
    saved = json.loads((root / "st" / "sentence_bert_config.json").read_text())
    assert "max_seq_length" not in saved, "sentence-transformers wrote max_seq_length again: adapt this fixture"
    return root / "st"


def test_the_limit_of_a_model_saved_without_max_seq_length_is_the_models_own(tiny_model):
    from sentence_transformers import SentenceTransformer

    from index.embedding import Embedder

    settings = EmbedSettings(model=str(tiny_model))
    count, limit = model_token_counter(settings)  # planned from the files, before any model loads
    loaded = SentenceTransformer(str(tiny_model), device="cpu")
    assert loaded.max_seq_length == 64
    assert limit == 62  # not the 254 the old default of 256 gave
    emb = Embedder(settings)
    assert emb.max_seq_length == 64 and emb.dim == 32
    assert count("hello world") == emb.count_tokens("hello world") == 2


def test_a_declared_max_seq_length_still_wins(tiny_model, tmp_path):
    import json
    import shutil

    from index.embedding import Embedder

    folder = tmp_path / "declared"
    shutil.copytree(tiny_model, folder)
    cfg = folder / "sentence_bert_config.json"
    cfg.write_text(json.dumps({**json.loads(cfg.read_text()), "max_seq_length": 32}))
    settings = EmbedSettings(model=str(folder))
    assert model_token_counter(settings)[1] == 30
    assert Embedder(settings).max_seq_length == 32


def test_chunks_of_a_short_reach_model_fit_what_it_reads(tiny_model, tmp_path):
    """The build plans chunks for the model's own limit (62 word pieces), not for 254: nothing is cut silently."""
    from index.build import build_index
    from index.store import LiveIndex
    from tests.conftest import write_page

    sentence = "Our compliance team reviewed every tweet before it went out, which slowed us down a lot. "
    corpus = tmp_path / "corpus"
    write_page(corpus, "long.txt", "A post about banks on Twitter.\n\nComments\n\nAnna Lee says:\n"
               + sentence * 12 + "\n")
    settings = EmbedSettings(model=str(tiny_model))
    build_index(corpus, tmp_path / "db", embed_settings=settings)
    live = LiveIndex.open(tmp_path / "db")
    count, limit = model_token_counter(settings)
    assert live.manifest["chunking"]["model_limit"] == limit == 62
    chunks = live.chunks()
    assert len(chunks) > 2 and max(count(c.text) for c in chunks) <= 62


def test_onnx_backend_reads_the_same_limit_as_torch(tiny_model, tmp_path, monkeypatch):
    """The ONNX export of the tiny model truncates where torch does (64 pieces) and gives the same vectors."""
    from index.embedding import Embedder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    torch_e = Embedder(EmbedSettings(model=str(tiny_model)))
    onnx_e = Embedder(EmbedSettings(model=str(tiny_model), backend="onnx"))
    assert onnx_e.max_seq_length == torch_e.max_seq_length == 64
    texts = ["short one", "Our bank was afraid of Twitter. " * 30]  # the second is cut at 64 pieces by both
    assert np.abs(onnx_e.embed(texts) - torch_e.embed(texts)).max() < 1e-4


def test_onnx_backend_without_the_onnx_package_says_what_to_do(tiny_model, tmp_path, monkeypatch, capsys):
    """No traceback: one line naming the package and the way out, and exit 2 (a problem the user can fix)."""
    import sys

    from bot.cli import main

    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` fails, as in a broken install
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no export left by an earlier run
    monkeypatch.setenv("ADOPTBOT_EMBED_BACKEND", "onnx")
    monkeypatch.setenv("ADOPTBOT_EMBED_MODEL", str(tiny_model))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Social media helps small businesses find customers.")
    assert main(["index", "build", "--corpus", str(corpus), "--db", str(tmp_path / "db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "the ONNX backend needs onnx, which is not installed" in err and "pip install -e ." in err
    assert "ADOPTBOT_EMBED_BACKEND=torch" in err


def test_questions_run_on_onnx_over_a_torch_index_with_the_same_vectors(tiny_model, tmp_path, monkeypatch):
    """The default query embedder: the same model on onnxruntime (one thread), same identity and vectors."""
    from index.embedding import get_embedder, get_query_embedder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    torch_e = get_embedder(EmbedSettings(model=str(tiny_model)))
    with warnings.catch_warnings(record=True) as seen:  # the export's tracer warnings never reach a user's terminal
        warnings.simplefilter("always")
        q = get_query_embedder(EmbedSettings(model=str(tiny_model)))
    assert not [w for w in seen if "Tracer" in w.category.__name__ or "onnx" in str(w.filename)], seen
    assert q.backend == "onnx" and q is not torch_e and q.name == torch_e.name
    assert q._model.session.get_session_options().intra_op_num_threads == 1
    texts = ["is it worth it for B2B?", "how do I prove ROI?"]
    assert np.abs(q.embed(texts) - torch_e.embed(texts)).max() < 1e-4
    assert get_query_embedder(EmbedSettings(model=str(tiny_model), query_backend="same")) is torch_e


def test_questions_fall_back_to_torch_when_the_onnx_copy_cannot_be_made(tiny_model, tmp_path, monkeypatch, caplog):
    """'auto' still answers (with torch, said in the log); 'onnx' insists and fails; int8 keeps its own vectors."""
    import index.embedding as emb

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(emb, "_CACHE", {})  # nothing loaded by an earlier test answers for the export

    def broken(*_a, **_k):
        raise RuntimeError("export failed: no space left on device")

    monkeypatch.setattr(emb, "export_onnx", broken)
    with caplog.at_level("WARNING", logger="index.embedding"):
        q = emb.get_query_embedder(EmbedSettings(model=str(tiny_model)))
    assert q.backend == "torch"
    assert "questions are embedded with torch" in caplog.text and "no space left on device" in caplog.text
    with pytest.raises(RuntimeError, match="no space left"):
        emb.get_query_embedder(EmbedSettings(model=str(tiny_model), query_backend="onnx"))
    with pytest.raises(UserError, match="ADOPTBOT_EMBED_QUERY_BACKEND='fast'.*auto, same, onnx"):
        emb.get_query_embedder(EmbedSettings(model=str(tiny_model), query_backend="fast"))
    calls = []
    monkeypatch.setattr(emb, "get_embedder", lambda st, **kw: calls.append((st.backend, kw)) or "the index's own")
    assert emb.get_query_embedder(EmbedSettings(model=str(tiny_model), backend="onnx-int8")) == "the index's own"
    assert calls == [("onnx-int8", {})]  # int8 vectors differ from fp32: questions must use the index's own


def test_a_model_that_reads_less_than_its_files_say_stops_instead_of_cutting_chunks(tiny_model, monkeypatch):
    """Chunks are planned from the files (no model load on a no-op rebuild): if the loaded model disagreed, chunks
    would be cut silently, so loading stops with the fix."""
    from index.embedding import Embedder

    monkeypatch.setattr("index.embedding.model_max_seq_length", lambda path: 100)
    with pytest.raises(UserError, match="reads 64 word pieces, but its files say 100; set max_seq_length"):
        Embedder(EmbedSettings(model=str(tiny_model)))
