from index.topics.keys import assign_keys, match_previous
from index.topics.model import Topic


def topic(key, ids):
    return Topic(key, key.title(), len(ids), (), tuple(("p", i, 0.5) for i in ids))


def group(*ids):
    return {("p", i) for i in ids}


PRESENT = group(*"abcdefghijklmnopqrstuvwxyz")


def test_a_topic_that_gains_comments_continues():
    prev = [topic("roi", "abcd"), topic("legal", "efgh")]
    out = match_previous([group(*"efghxy"), group(*"abcdz")], prev, PRESENT)
    assert [t.key for t in out] == ["legal", "roi"]


def test_a_split_leaves_the_key_with_the_larger_half_and_a_merge_with_the_larger_part():
    prev = [topic("big", "abcdef"), topic("small", "xy"), topic("other", "mno")]
    out = match_previous([group(*"abcd"), group(*"ef"), group(*"mnoxy")], prev, PRESENT)
    assert out[0].key == "big" and out[1] is None and out[2].key == "other"


def test_little_overlap_is_no_continuation_and_vanished_comments_do_not_count():
    prev = [topic("a", "abcdefgh"), topic("gone", "1234")]
    out = match_previous([group(*"ahijklmn")], prev, PRESENT)  # 2 of 8 shared: a different topic
    assert out == [None]
    out = match_previous([group(*"abc")], [topic("a", "abc1234")], PRESENT)  # 1234 left the corpus
    assert out[0].key == "a"


def test_each_previous_topic_continues_once():
    prev = [topic("a", "abcd")]
    out = match_previous([group(*"ab"), group(*"cd")], prev, PRESENT)
    assert sorted(t.key if t else "-" for t in out) == ["-", "a"]


def test_new_keys_come_from_names_and_never_reuse_a_key_in_use_or_retired():
    prev = [topic("roi", "ab"), topic("legal-risk", "cd")]
    keys = assign_keys(["ROI", "Legal risk", "ROI", "B2B", ""], [None, prev[1], None, None, None], prev)
    assert keys[1] == "legal-risk"  # inherited
    assert keys[0] == "roi-2" and keys[2] == "roi-3"  # "roi" belonged to a retired topic
    assert keys[3] == "b2b" and keys[4] == "topic-5"
    assert len(set(keys)) == 5
