import numpy as np
import pytest

from index.topics.naming import Phrase, compose_name, name_clusters, rank_phrases, score_phrase, word_roles

AUTHORS = [f"Person {i}" for i in range(40)]


def ranked(texts, labels, **kw):
    labels = np.asarray(labels)
    out, _ = rank_phrases(texts, labels, int(labels.max()) + 1, authors=AUTHORS[: len(texts)], **kw)
    return out


def test_inflections_are_one_phrase_shown_in_the_case_people_write():
    texts = ["We are measuring ROI with care.", "Start by measuring ROI early.", "Measuring ROI is hard.",
             "Our lawyers like tea.", "Lawyers drink tea daily.", "Tea keeps lawyers awake."]
    r = ranked(texts, [0, 0, 0, 1, 1, 1])
    assert r[0][0].text == "measuring ROI" and r[0][0].df == 3
    assert r[1][0].text in {"lawyers", "tea"}


def test_a_longer_phrase_stands_for_a_shorter_one_most_of_its_comments_use():
    texts = ["Legal risk scares banks.", "The legal risk is real.", "Legal risk again, in banks.", "Risk is fun.",
             "Cooking pasta at home.", "Pasta recipes at home.", "Home pasta is cheap."]
    r = ranked(texts, [0, 0, 0, 0, 1, 1, 1])
    assert r[0][0].text == "legal risk"
    assert "risk" not in [p.text for p in r[0]]


def test_one_person_or_one_comment_never_names_a_topic():
    texts = ["Blockchain blockchain blockchain.", "Blockchain again from me.", "Podcasts work.", "Podcasts help.",
             "Gardens grow.", "Gardens bloom.", "Gardens need water."]
    labels = np.array([0, 0, 0, 0, 1, 1, 1])
    out, _ = rank_phrases(texts, labels, 2, authors=["Al", "Al", "Bo", "Cy", "Di", "Ed", "Fe"])
    assert "blockchain" not in {p.text for p in out[0]}
    assert out[0][0].text == "podcasts"


def test_verbs_adverbs_and_filler_never_end_a_name():
    assert word_roles("hauled") == (False, True)  # a participle modifies ("hauled goods") but ends nothing
    assert word_roles("twice")[0] is False and word_roles("risk")[0] is True
    assert word_roles("legal") == (False, True) and word_roles("roi") == (True, True)  # unknown: a noun
    texts = ["They hauled it away twice.", "It was hauled twice.", "Hauled off twice again.",
             "Invoices pile up.", "Invoices matter.", "Invoices again."]
    r = ranked(texts, [0, 0, 0, 1, 1, 1])
    assert not {p.text for p in r[0]} & {"hauled", "twice", "again"}


def test_the_corpus_subject_and_the_people_name_nothing():
    # "social media" is in every comment: it is what the corpus is about, not what one topic is about
    texts = [f"{w} social media, {x} said." for w, x in
             [("Banks fear", "one"), ("Banks doubt", "another"), ("Banks adopt", "a third"),
              ("Bakeries love", "one"), ("Bakeries try", "another"), ("Bakeries like", "a third")] * 4]
    labels = [0, 0, 0, 1, 1, 1] * 4
    r = ranked(texts, labels)
    assert {r[0][0].text, r[1][0].text} == {"banks", "bakeries"}
    assert "social media" not in {p.text for ps in r for p in ps}
    r = ranked(["Zelda likes podcasts.", "Podcasts, says Zelda.", "Zelda on podcasts."] * 2, [0, 0, 0, 1, 1, 1],
               exclude=frozenset({"zelda"}))
    assert "Zelda" not in {p.text for ps in r for p in ps}


def test_score_prefers_shared_and_distinctive_phrases():
    assert score_phrase(6, 10, 6, 100) > score_phrase(2, 10, 2, 100)  # more of the cluster says it
    assert score_phrase(6, 10, 6, 100) > score_phrase(6, 10, 20, 100)  # fewer others say it
    assert score_phrase(6, 10, 60, 100) == 0.0  # said everywhere


def test_chatter_sentences_give_no_phrases():
    texts = ["Great post, thanks for sharing!", "Great post! Thanks for sharing.", "Great post, love it.",
             "Pricing pages convert.", "Pricing pages sell.", "Pricing pages work."]
    r = ranked(texts, [0, 0, 0, 1, 1, 1])
    assert r[0] == [] and r[1][0].text == "pricing pages"


def p(text, score, key=None):
    return Phrase(tuple(key or text.lower().split()), text, score, 3)


def test_a_name_is_one_phrase_or_two_joined_by_and_never_a_list():
    assert compose_name([p("legal risk", 1.0), p("employees", 0.8)])[0] == "Legal risk and employees"
    assert compose_name([p("legal risk", 1.0), p("employees", 0.3)])[0] == "Legal risk"
    # a second phrase repeating the first adds nothing
    assert compose_name([p("legal risk", 1.0), p("risk", 0.9), p("tea", 0.1)])[0] == "Legal risk"
    assert compose_name([p("ROI", 1.0)])[0] == "ROI"
    assert compose_name([]) == ("", [])


def test_names_are_distinct_and_an_earlier_name_is_kept_while_it_fits():
    texts = ["Pricing pages convert visitors.", "Pricing pages bring visitors.", "Visitors read pricing pages.",
             "Coupons need promo codes today.", "Promo codes beat coupons.", "Coupons with promo codes.",
             "Gardens need water.", "Gardens grow slowly.", "Water the gardens."]
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    named = [n for n, _ in name_clusters(texts, labels, 3, authors=AUTHORS[:9])]
    assert len(set(named)) == 3 and all(named) and named[1] != "Promo codes"
    kept = name_clusters(texts, labels, 3, authors=AUTHORS[:9], prefer=[None, "Promo codes", None])
    assert kept[1][0] == "Promo codes"  # still one of the cluster's phrases: a rebuild does not rename it
    gone = name_clusters(texts, labels, 3, authors=AUTHORS[:9], prefer=["Blockchain", None, None])
    assert gone[0][0] == named[0]


def test_the_embedding_reorders_and_a_failing_model_only_costs_the_reordering():
    texts = ["Alpha beta here.", "Alpha beta there.", "Alpha and beta.", "Gamma words.", "Gamma too.", "Gamma!"]
    labels = np.array([0, 0, 0, 1, 1, 1])
    centres = np.eye(2, 3, dtype=np.float32)

    def embed(ts):  # "beta" points at cluster 0's centre, everything else away from it
        return np.array([[1.0, 0, 0] if t == "beta" else [0, 0, 1.0] for t in ts], dtype=np.float32)

    out, _ = rank_phrases(texts, labels, 2, authors=AUTHORS[:6], centres=centres, embed=embed)
    assert out[0][0].text == "beta"

    def broken(ts):
        raise RuntimeError("model unavailable")

    out, _ = rank_phrases(texts, labels, 2, authors=AUTHORS[:6], centres=centres, embed=broken)
    assert out[0] and out[0][0].text in {"alpha", "alpha beta", "beta"}


@pytest.mark.parametrize("text", ["Thanks Amber!", "Hi all, great post."])
def test_only_chatter_gives_an_empty_list_not_a_crash(text):
    out, _ = rank_phrases([text, text], np.array([0, 0]), 1, authors=["A", "B"])
    assert out == [[]]


def test_the_subject_under_its_acronym_names_nothing_either():
    texts = ["Social media pays off for banks, SM really does.", "SM helps banks, and social media is cheap.",
             "Banks like social media, SM for them.", "Social media and SM reach gardeners.",
             "Gardeners use social media; SM is everywhere.", "SM for gardeners, social media too."] * 3
    r = ranked(texts, [0, 0, 0, 1, 1, 1] * 3)
    texts_found = {p.text for ps in r for p in ps}
    assert not any("SM" in t.split() for t in texts_found) and {"banks", "gardeners"} <= texts_found


def test_two_names_for_one_thing_are_not_joined():
    a = Phrase(("tweet",), "tweet", 1.0, 3, np.array([1.0, 0.0], dtype=np.float32))
    b = Phrase(("twitter",), "Twitter", 0.9, 3, np.array([0.9, 0.436], dtype=np.float32))
    c = Phrase(("lawyer",), "lawyers", 0.8, 3, np.array([0.0, 1.0], dtype=np.float32))
    assert compose_name([a, b])[0] == "Tweet"
    assert compose_name([a, c])[0] == "Tweet and lawyers"


def test_the_subject_may_qualify_a_name_but_not_end_it():
    texts = ["Utilizing social media, banks wrote a social media policy.", "Banks need a social media policy.",
             "A social media policy for banks, utilizing social media.", "Gardeners like social media.",
             "Gardeners post on social media.", "Social media suits gardeners."] * 3
    r = ranked(texts, [0, 0, 0, 1, 1, 1] * 3)
    found = {p.text for p in r[0]}
    assert "social media policy" in found and "utilizing social media" not in found


def test_large_clusters_are_read_through_a_sample_and_name_the_same():
    rng = np.random.default_rng(0)
    fillers = ["Ducks fly south.", "Rain came late.", "The shop opened.", "Trains were slow."]
    texts, labels = [], []
    for j, subject in enumerate(["Pricing pages convert visitors", "Compost heaps feed gardens",
                                 "Podcast listeners buy merchandise"]):
        for i in range(90):
            texts.append(f"{subject if i % 3 else 'Nothing here'}. {fillers[int(rng.integers(4))]}")
            labels.append(j)
    labels = np.array(labels)
    authors = [f"Person {i}" for i in range(len(texts))]
    full, _ = rank_phrases(texts, labels, 3, authors=authors)
    sampled, _ = rank_phrases(texts, labels, 3, authors=authors, max_docs=20)
    assert [ps[0].text for ps in sampled] == [ps[0].text for ps in full]
    subjects = ["pricing pages convert visitors", "compost heaps feed gardens", "podcast listeners buy merchandise"]
    assert all(set(ps[0].text.split()) <= set(s.split()) for ps, s in zip(full, subjects, strict=True))
