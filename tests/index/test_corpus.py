"""The corpus reader on every page shape, on bad input, and on the stability of its ids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.corpus import parse_bytes, parse_file, read_corpus
from index.corpus.lines import trailer_name
from index.corpus.reader import derive_title
from index.errors import UserError

DATA = Path(__file__).parent / "data" / "corpus"
ROOT = Path(__file__).resolve().parents[2]


def by_text(page, needle):
    hits = [r for r in page.records if needle in r.text]
    assert len(hits) == 1, f"{needle!r} in {len(hits)} records"
    return hits[0]


def test_header_shape_names_dates_byline_and_furniture():
    page = parse_file(DATA / "header.txt")
    assert page.shape == "header"
    post = page.posts[0]
    assert post.author == "Rita Ortega" and post.author_source == "header"
    assert "Posted by" not in post.text
    dana = by_text(page, "I hired someone")
    assert (dana.author, dana.date, dana.author_source) == ("Dana K.", "2010-01-13", "header")
    # a comment that quotes another stays its writer's
    assert "As Marcus said" in dana.text and dana.author == "Dana K."
    # the page repeated Marcus's comment: one record
    assert len([r for r in page.records if "under a sink" in r.text]) == 1
    texts = " ".join(r.text for r in page.records)
    for chrome in ("Recent Posts", "Copyright", "Why plumbers should blog"):
        assert chrome not in texts


def test_commentluv_trailers_signoffs_and_scattered_repeats():
    page = parse_file(DATA / "commentluv.txt")
    assert page.shape == "commentluv"
    olav = by_text(page, "support tickets")
    assert (olav.author, olav.author_source) == ("Olav Pettersen", "commentluv")  # 'Pettersens' -> Pettersen
    assert "Take care" not in olav.text and "last blog post" not in olav.text
    assert by_text(page, "relationships are not a campaign").author == "Priya"
    bram = by_text(page, "legal department")
    assert (bram.author, bram.author_source) == ("Bram", "signature")
    assert "Cheers" not in bram.text
    assert len(page.comments) == 3  # each comment once, though the scraper repeated all of them


def test_trailer_possessive_rule():
    assert trailer_name("Danny Browns last blog post..It's Not All About The Blog") == "Danny Brown"
    assert trailer_name("Chucks last blog post..x") == "Chuck"
    assert trailer_name("Jane Doe’s last blog post..x") == "Jane Doe"
    assert trailer_name("Just a sentence about blogs.") is None


def test_plain_thread_greetings_wraps_and_no_invented_names():
    page = parse_file(DATA / "plain.txt")
    post = page.posts[0]
    # hard-wrapped lines are joined; the post keeps its own paragraphs
    assert "what happened over six months of meetings" in post.text
    assert "reported monthly to compliance" in post.text
    chris = by_text(page, "turning point")
    assert chris.kind == "comment" and chris.text.startswith("Hi Chris,")
    # a greeting names the addressee, never the writer
    assert chris.author is None
    assert by_text(page, "never left the pilot stage").author is None
    great = by_text(page, "Bookmarked")
    assert great.kind == "comment" and great.author is None
    assert len({r.comment_id for r in page.comments}) == 3


def test_post_without_comments_is_a_post_with_a_warning():
    page = parse_file(DATA / "post_only.txt")
    assert [r.kind for r in page.records] == ["post"]
    assert any("no comments" in str(w) for w in page.warnings)
    assert page.records[0].post_title  # derived from the text


def test_wordpress_theme():
    page = parse_file(DATA / "wordpress.txt")
    assert page.shape == "wordpress"
    sam = by_text(page, "Twenty minutes is not enough")
    assert (sam.author, sam.date) == ("Sam O'Neil", "2010-02-04T23:02")
    texts = [r.text for r in page.records]
    assert not any(t in ("Reply", "Website") or "Responses to" in t or "Leave a Reply" in t for t in texts)
    assert len(page.comments) == 3


def test_blogger_theme_date_after_text_and_anonymous():
    page = parse_file(DATA / "blogger.txt")
    assert page.shape == "blogger"
    anon = by_text(page, "lunch rush")
    assert anon.author is None and anon.date == "2011-03-02T08:12"
    hugo = by_text(page, "best marketing")
    assert hugo.author == "Hugo Lemaire" and hugo.date.startswith("2011-03-03")
    assert "scared us at first.\nNow it is" in hugo.text


def test_wordpress_export():
    page = parse_file(DATA / "export.xml")
    assert page.shape == "wxr"
    post = page.posts[0]
    assert (post.author, post.author_source, post.post_title) == ("Lena Fischer", "export", "Should lawyers blog?")
    assert post.post_url == "https://example.org/2010/05/should-lawyers-blog/"
    assert "<p>" not in post.text and "advertising rules" in post.text
    assert [c.author for c in page.comments] == ["Tom Reyes"]  # spam, pingbacks and drafts left out
    assert "guidance on this & it is" in page.comments[0].text


def test_wxr_entities_are_refused_not_expanded(tmp_path):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&lol2;</title></item></channel></rss>'
    )
    page = parse_bytes(bomb.encode(), "bomb.xml")
    assert page.records == [] and "unreadable WordPress export" in str(page.warnings[0])
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&x;</title></item></channel></rss>'
    )
    page = parse_bytes(xxe.encode(), "xxe.xml")
    assert page.records == [] and "root:" not in json.dumps([str(w) for w in page.warnings])


def test_sidecar_sets_title_author_url(tmp_path):
    (tmp_path / "p.txt").write_text((DATA / "plain.txt").read_text())
    (tmp_path / "p.meta.toml").write_text('title = "Banks on Facebook"\nauthor = "Ada Park"\nurl = "https://x.test/b"\n')
    page = parse_file(tmp_path / "p.txt")
    post = page.posts[0]
    assert (post.post_title, post.author, post.author_source, post.post_url) == (
        "Banks on Facebook", "Ada Park", "post_metadata", "https://x.test/b")
    assert all(r.post_title == "Banks on Facebook" for r in page.records)


def test_broken_sidecar_is_a_warning_with_its_line(tmp_path):
    (tmp_path / "p.txt").write_text((DATA / "plain.txt").read_text())
    (tmp_path / "p.meta.toml").write_text('title = "ok"\nauthor = \n')
    page = parse_file(tmp_path / "p.txt")
    w = [w for w in page.warnings if "sidecar" in w.message]
    assert w and w[0].file == "p.meta.toml" and w[0].line == 2
    assert page.comments  # the page itself is still read


def test_shipped_pages_have_sidecar_authors():
    pages = {p.file: p for p in read_corpus(ROOT / "corpus")}
    assert pages["000_bb7063a3781a2354.txt"].posts[0].author == "Jim Mitchem"
    assert pages["004_8ff140ee6aa2dee5.txt"].posts[0].author is None  # the page names nobody


def test_copyright_names_the_post_author_only_when_the_page_corroborates_it():
    text = (ROOT / "corpus" / "000_bb7063a3781a2354.txt").read_bytes()
    assert parse_bytes(text, "x.txt").posts[0].author == "Jim Mitchem"
    lone = b"A post about LinkedIn for lawyers.\nAnother line of the post.\nCopyright \xc2\xa9 2011 Acme Media Group\n"
    assert parse_bytes(lone, "y.txt").posts[0].author is None


# ---------------------------------------------------------------------------------------------------------------
# Bad input


def test_empty_file(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"  \n\n")
    page = parse_file(tmp_path / "e.txt")
    assert page.records == [] and "e.txt: empty file" in str(page.warnings[0])


def test_binary_file(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    page = parse_file(tmp_path / "b.txt")
    assert page.records == [] and "binary" in str(page.warnings[0]) and "b.txt" in str(page.warnings[0])


def test_cp1252_is_read_with_a_note(tmp_path):
    text = "Caf\u00e9 owners ask: is Twitter worth it \u2013 really?\nAnother line."
    (tmp_path / "w.txt").write_bytes(text.encode("cp1252"))
    page = parse_file(tmp_path / "w.txt")
    assert "Caf\u00e9 owners" in page.records[0].text and "\u2013" in page.records[0].text
    assert any("cp1252" in str(w) and "line 1" in str(w) for w in page.warnings)


def test_oversized_file_is_refused_by_name(tmp_path):
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    page = parse_file(big, max_bytes=20_000_000)
    assert page.records == [] and "huge.txt: too large (52.4 MB" in str(page.warnings[0])


def test_unknown_xml_is_reported(tmp_path):
    page = parse_bytes(b'<?xml version="1.0"?><feed><entry/></feed>', "feed.xml")
    assert page.records == [] and "not a WordPress export" in str(page.warnings[0])


def test_missing_corpus_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        read_corpus(tmp_path / "nope")


def test_one_bad_page_never_stops_the_rest(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "b.txt").write_text((DATA / "wordpress.txt").read_text())
    (tmp_path / "b.meta.toml").write_text('title = "x"\n')
    pages = read_corpus(tmp_path)
    assert [p.file for p in pages] == ["a.txt", "b.txt"]
    assert pages[0].records == [] and len(pages[1].comments) == 3


# ---------------------------------------------------------------------------------------------------------------
# Ids


def test_ids_are_stable_across_runs_locations_and_processes(tmp_path):
    a = parse_file(DATA / "commentluv.txt")
    (tmp_path / "commentluv.txt").write_bytes((DATA / "commentluv.txt").read_bytes())
    b = parse_file(tmp_path / "commentluv.txt")
    assert [r.comment_id for r in a.records] == [r.comment_id for r in b.records]
    assert a.records[0].post_id == b.records[0].post_id
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "corpus", "parse", "--json", str(DATA / "commentluv.txt")],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout
    ids = [json.loads(line)["comment_id"] for line in out.splitlines()]
    assert ids == [r.comment_id for r in a.records]


def test_id_depends_on_text_not_position(tmp_path):
    base = (DATA / "wordpress.txt").read_text()
    new = "Kim Lo says:\nFebruary 6, 2010 at 1:00 pm\nA new comment.\nReply\nLeave a Reply"
    extra = base.replace("Leave a Reply", new)
    ids_a = {r.text: r.comment_id for r in parse_bytes(base.encode(), "w.txt").comments}
    ids_b = {r.text: r.comment_id for r in parse_bytes(extra.encode(), "w.txt").comments}
    assert all(ids_b[t] == i for t, i in ids_a.items()) and len(ids_b) == len(ids_a) + 1


def test_two_people_saying_the_same_words_are_two_records():
    text = b"A post.\nAnn Lee\nJan 1, 2010\nGreat post!\nBo Chan\nJan 2, 2010\nGreat post!\n"
    page = parse_bytes(text, "same.txt")
    assert [c.author for c in page.comments] == ["Ann Lee", "Bo Chan"]
    assert len({c.comment_id for c in page.comments}) == 2


def test_derived_title_is_short_and_readable():
    assert derive_title("Why do companies trust employees with phones but not blogs? A rant.") == (
        "Why do companies trust employees with phones but not blogs?")
    long = "word " * 40
    t = derive_title(long)
    assert len(t) <= 73 and t.endswith("…")


def test_cli_parse_json_fields(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "parse", "--json", str(DATA / "blogger.txt")],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    rec = json.loads(out.splitlines()[1])
    for field in ("post_id", "comment_id", "kind", "author", "date", "text"):
        assert field in rec


def test_cli_check_table(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "check", str(DATA)],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "commentluv.txt" in out and "wordpress" in out and "100%" in out


def test_typepad_name_and_date_after_the_text():
    page = parse_file(DATA / "typepad.txt")
    assert page.shape == "typepad"
    assert "next guest" in page.posts[0].text
    maria = by_text(page, "bookings went up")
    assert (maria.author, maria.date) == ("Maria Costa", "2010-03-03T16:00")
    anon = by_text(page, "invites more complaints")
    assert anon.author is None and anon.date == "2010-03-04T09:12"


def test_one_line_headers():
    page = parse_file(DATA / "inline.txt")
    assert by_text(page, "three clients").author == "Ken Adams"
    lucia = by_text(page, "real cost")
    assert lucia.author == "Lucia Ferreira" and lucia.date is None


def test_a_sentence_that_ends_in_a_date_is_not_a_header():
    text = b"A post about events.\nI spoke with Dave on March 3, 2010\nHe said Twitter filled his room.\n"
    page = parse_bytes(text, "s.txt")
    assert all(r.author is None for r in page.records)
    assert any("I spoke with Dave" in r.text for r in page.records)


def test_interjections_are_not_signatures():
    text = (b"A post about listening first.\nMore of the post here.\n"
            b"Hi Amber,\nYou say listening is enough. I think that is naive for B2B.\nNonsense.\n"
            b"Hi Amber,\nListening found us three leads last quarter.\nAgree\n")
    page = parse_bytes(text, "i.txt")
    assert page.comments and all(c.author is None for c in page.comments)


# ---------------------------------------------------------------------------------------------------------------
# Quiet problems said out loud


def test_the_shipped_corpus_reads_without_a_single_warning():
    """Page 004 has no comment thread and its sidecar says so (post_only): no build repeats a warning about it."""
    pages = read_corpus(ROOT / "corpus")
    assert [str(w) for p in pages for w in p.warnings] == []
    lone = {p.file: p for p in pages}["004_8ff140ee6aa2dee5.txt"]
    assert len(lone.posts) == 1 and lone.comments == []


def test_post_only_sidecar_silences_no_comments_and_is_checked(tmp_path):
    (tmp_path / "p.txt").write_text("A post about LinkedIn for lawyers.\nAnother line of the post.\n")
    assert "no comments recognised" in str(parse_file(tmp_path / "p.txt").warnings)
    assert "post_only = true" in str(parse_file(tmp_path / "p.txt").warnings)  # the warning says how to settle it
    (tmp_path / "p.meta.toml").write_text("post_only = true\n")
    assert parse_file(tmp_path / "p.txt").warnings == []
    (tmp_path / "p.meta.toml").write_text('post_only = "yes"\n')
    w = [str(x) for x in parse_file(tmp_path / "p.txt").warnings]
    assert any("post_only = 'yes' ignored: write post_only = true" in x for x in w), w
    (tmp_path / "q.txt").write_text((DATA / "wordpress.txt").read_text())
    (tmp_path / "q.meta.toml").write_text("post_only = true\n")
    page = parse_file(tmp_path / "q.txt")
    assert len(page.comments) == 3  # never loses text
    assert any("post_only = true, but 3 comments were recognised" in str(x) for x in page.warnings)


def test_repeated_comments_are_merged_and_said(tmp_path):
    text = (b"A post about ROI.\nAnn Lee\nJan 1, 2010\nMeasure leads, not likes.\n"
            b"Bo Chan\nJan 2, 2010\nWe counted calls.\nAnn Lee\nJan 1, 2010\nMeasure leads, not likes.\n")
    page = parse_bytes(text, "dup.txt")
    assert [c.author for c in page.comments] == ["Ann Lee", "Bo Chan"]
    merged = [w for w in page.warnings if "repeat of the comment" in w.message]
    assert len(merged) == 1 and merged[0].line == 10 and "at line 4" in merged[0].message  # the texts' lines


def test_a_sidecar_without_its_page_is_reported(tmp_path):
    from index.corpus.reader import orphan_sidecars

    (tmp_path / "a.txt").write_text("A post.")
    (tmp_path / "a.meta.toml").write_text('title = "A"\n')
    (tmp_path / "gone.meta.toml").write_text('title = "Gone"\n')
    w = orphan_sidecars(tmp_path)
    assert [x.file for x in w] == ["gone.meta.toml"] and "sidecar with no page" in w[0].message
    out = subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "check", str(tmp_path)], capture_output=True,
                         text=True, cwd=ROOT, check=True).stdout
    assert "gone.meta.toml: sidecar with no page" in out


def test_a_broken_sidecar_says_how_to_fix_it(tmp_path):
    (tmp_path / "p.txt").write_text((DATA / "plain.txt").read_text())
    (tmp_path / "p.meta.toml").write_text('title = "ok"\nauthor = Jane Doe\n')
    w = next(w for w in parse_file(tmp_path / "p.txt").warnings if w.file == "p.meta.toml")
    assert w.line == 2 and 'field = "text in double quotes"' in w.message and "fix that line or delete" in w.message
    (tmp_path / "p.meta.toml").write_bytes(b'title = "caf\xe9"\n')
    w = next(w for w in parse_file(tmp_path / "p.txt").warnings if w.file == "p.meta.toml")
    assert "save it as UTF-8" in w.message


def test_truncated_xml_is_called_broken_not_foreign():
    whole = (DATA / "export.xml").read_bytes()
    cut = parse_bytes(whole[:120], "cut.xml")  # cut before the WordPress namespace shows
    assert cut.records == [] and "does not parse" in str(cut.warnings[0]) and "cut short" in str(cut.warnings[0])
    feed = parse_bytes(b'<?xml version="1.0"?><feed><entry/></feed>', "feed.xml")
    assert "<feed> root, not a WordPress export" in str(feed.warnings[0])


def test_corpus_check_takes_files_folders_and_corpus(tmp_path, capsys):
    from bot.cli import main

    page = DATA / "wordpress.txt"
    res = subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "check", str(page), str(DATA / "blogger.txt")],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and "wordpress.txt" in res.stdout and "blogger.txt" in res.stdout
    assert "commentluv.txt" not in res.stdout  # only what was asked for
    res = subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "check", "--corpus", str(DATA)],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and "commentluv.txt" in res.stdout
    for bad, why in ((tmp_path / "nope.txt", "no such file or folder"), (tmp_path / "x.meta.toml", "is a sidecar"),
                     (tmp_path / "x.pdf", "not a page adoptbot reads (.txt, .text, .md, .html, .htm or a WordPress")):
        if bad.suffix != ".txt":
            bad.write_text("x")
        assert main(["corpus", "check", str(bad)]) == 2, bad
        assert why in capsys.readouterr().err
