"""Topics: the comments grouped by what they discuss, named as a person would, with keys that survive rebuilds.

Derived once per index build (index/build.py calls `derive_topics` before a generation goes live) so a topic
look-up at question time is a dictionary read; admins fix what reads badly in prompts/topics.toml (rename, merge,
add) without rebuilding. One module per job: `cluster` (vectors, k-means), `naming` (phrases, names), `keys`
(continuity with the previous generation), `overrides` (topics.toml), `model` (Topic, topics.json), `derive`.
"""

from index.topics.cluster import kmeans
from index.topics.derive import derive_topics
from index.topics.model import FORMAT, TOPICS_FILE, Topic, load_subject, load_topics, save_topics, slug
from index.topics.overrides import apply_overrides, load_overrides

__all__ = ["FORMAT", "TOPICS_FILE", "Topic", "apply_overrides", "derive_topics", "kmeans", "load_overrides",
           "load_subject", "load_topics", "save_topics", "slug"]
