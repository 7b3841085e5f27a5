import threading

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
def test_onnx_backend_matches_torch(real_embedder):
    """The optional ONNX backend (exported offline from the packaged weights) computes the same vectors."""
    from index.embedding import Embedder

    onnx = Embedder(EmbedSettings(backend="onnx"))
    texts = ["Social media helps B2B firms.", "Legal risk and compliance in banks that tweet. " * 30]
    assert onnx.name == real_embedder.name
    assert np.abs(onnx.embed(texts) - real_embedder.embed(texts)).max() < 1e-4
