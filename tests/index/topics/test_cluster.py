import numpy as np

from index.topics.cluster import centred, default_k, fold_small, kmeans


def blobs(seed=0, n=20, centres=((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0))):
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(c, 0.15, (n, len(c))) for c in centres]).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_warm_start_from_earlier_centres_keeps_the_clusters_where_they_were():
    x = blobs()
    labels, centres = kmeans(x, 3, seed=1)
    more = np.vstack([x, blobs(seed=5, n=3)])  # a few new points of the same groups
    warm, _ = kmeans(more, 3, seed=99, init=centres)  # another seed: the start, not luck, decides
    assert (warm[: len(x)] == labels).all()


def test_warm_start_adds_centres_when_k_grows():
    x = blobs(centres=((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)))
    _, centres = kmeans(x[:40], 2, seed=0)
    labels, c4 = kmeans(x, 4, init=centres)
    assert len(c4) == 4 and len(set(labels.tolist())) == 4


def test_centring_removes_the_shared_direction():
    rng = np.random.default_rng(0)
    shared = np.array([5.0, 0, 0, 0])
    x = (shared + rng.normal(0, 1, (50, 4))).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    z = centred(x)
    assert abs(float(z.mean(axis=0)[0])) < abs(float(x.mean(axis=0)[0])) / 5
    assert np.allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-5)


def test_fold_small_renumbers_and_recomputes_centres():
    x = blobs()
    labels = np.array([0] * 20 + [1] * 20 + [2] * 18 + [3] * 2)
    centres = np.stack([x[labels == j].mean(axis=0) for j in range(4)])
    new, c = fold_small(x, labels, centres, 3)
    assert sorted(set(new.tolist())) == [0, 1, 2] and np.bincount(new).min() >= 3
    assert np.allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-5)


def test_default_k_grows_slowly_and_stays_readable():
    assert default_k(2) == 2 and default_k(100) == 7 and default_k(100_000) == 24
