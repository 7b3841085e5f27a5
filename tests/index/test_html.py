"""HTML pages read by their structure: one fixture per engine (written for these tests, in each engine's real
markup), random threads rendered in every engine's markup, and the fall-back to the text reader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.corpus import parse_bytes, parse_file, read_corpus
from tests.index.html_pages import ENGINES, FLAT, FURNITURE, C, render

DATA = Path(__file__).parent / "data" / "html"
ROOT = Path(__file__).resolve().parents[2]
# the evaluation kit sits beside the checkout (CI, /work/main) or beside the worktrees' folder
EVAL = next((d for d in (ROOT.parent / "shared" / "eval", ROOT.parent.parent / "shared" / "eval") if d.is_dir()),
            ROOT.parent / "shared" / "eval")


def one(page, needle):
    hits = [r for r in page.records if needle in r.text]
    assert len(hits) == 1, f"{needle!r} in {len(hits)} records"
    return hits[0]


def no_record_holds(page, *needles):
    for r in page.records:
        for n in needles:
            assert n not in r.text, f"{n!r} kept in {r.kind} by {r.author}"


# --- the example ---------------------------------------------------------------------------------------------


def test_attributes_and_html_comments_never_leak():
    page = parse_bytes(b'<p title="a>b">Hello</p><!-- hidden <b>secret</b> -->', "x.html")
    assert [r.text for r in page.records] == ["Hello"]


# --- one fixture per engine ------------------------------------------------------------------------------------------


def test_wordpress_classic():
    page = parse_file(DATA / "wordpress_classic.html")
    assert page.shape == "html:wordpress"
    post = page.posts[0]
    assert (post.post_title, post.author, post.date) == ("Should a bakery be on Twitter?", "Maren Holt", "2010-02-03")
    assert post.post_url == "http://crumbnotes.example/2010/02/should-a-bakery-be-on-twitter/"
    assert "in the kitchen" in post.text  # after <!-- more -->
    tomas = one(page, "sourdough")
    assert (tomas.author, tomas.date, tomas.parent_id, tomas.author_source) == (
        "Tomas Lindqvist", "2010-02-03T10:14", None, "header")
    assert "the tweet is the product" in tomas.text
    maren = one(page, "clearest answer")
    assert (maren.author, maren.date, maren.parent_id) == ("Maren Holt", "2010-02-03T11:40", tomas.comment_id)
    # Maren quotes Tomas: his words are not hers
    assert "the tweet is the product" not in maren.text
    assert any(why.startswith("quote of someone else") and "the tweet is the product" in t
               for _, t, why in page.dropped)
    priya = one(page, "gluten")
    assert (priya.author, priya.parent_id) == ("Priya Raman", maren.comment_id)
    anon = one(page, "other cafés")
    assert (anon.author, anon.date) == (None, "2010-02-04T14:51")
    greta = one(page, "400 regulars")
    assert greta.text.endswith("Just my two cents.")
    assert len(page.comments) == 5 and tomas.line == 54  # the line of <li id="li-comment-1021">
    no_record_holds(page, "watch-deals", "This comment was deleted", "Pingback", "SEO Bakery Hub", "Leave a Reply",
                    "Recent Comments", "Elsa Brandt", "Share this", "Tracking pixel", "Skip to content", "says:",
                    "Reply", "(Edit)", "Older Comments", "Required fields", "Enable JavaScript", "About Maren",
                    "recentcomments", "Proudly powered")


def test_wordpress_block_theme():
    page = parse_file(DATA / "wordpress_block.html")
    assert page.shape == "html:wordpress-block"
    post = page.posts[0]
    assert (post.post_title, post.author, post.date) == (
        "Proving the ROI of a LinkedIn group", "Ines Duarte", "2024-03-12T08:30")
    dmitri = one(page, "first touch")
    assert (dmitri.author, dmitri.date, dmitri.parent_id) == ("Dmitri Orlov", "2024-03-12T10:02", None)
    ines = one(page, "First touch is what we lack")
    assert (ines.author, ines.date, ines.parent_id) == ("Ines Duarte", "2024-03-12T11:15", dmitri.comment_id)
    hanna = one(page, "events budget")
    assert (hanna.author, hanna.date) == ("Hanna Berg", "2024-03-13T16:40")
    assert len(page.comments) == 3
    no_record_holds(page, "growth agency", "ROI roundup", "JSON-LD", "Template text", "Subscribe to the newsletter",
                    "Open menu", "Leave a Reply", "Newer Comments", "Edit", "Reply", "Designed with",
                    "If you cannot name the deal")  # the pull quote is the CFO's words, not Ines's


def test_blogger_classic():
    page = parse_file(DATA / "blogger.html")
    assert page.shape == "html:blogger"
    post = page.posts[0]
    assert (post.post_title, post.author, post.date) == ("Facebook for plumbers?", "Lars Eriksen", "2011-03-02T07:45")
    assert "hobby for the nephews?" in post.text
    ingrid = one(page, "before-and-after photo")
    assert (ingrid.author, ingrid.date) == ("Ingrid Solberg", "2011-03-02T13:32")
    anon = one(page, "Facebook is for teenagers")
    assert (anon.author, anon.date) == (None, "2011-03-02T15:30")
    ole = one(page, "drives past 500 houses")
    assert (ole.author, ole.date) == ("Ole Haugen", "2011-03-03T09:05")
    assert ole.text == "Ingrid is right about photos. The van still wins, though: it drives past 500 houses a day.\n" \
                       "Try both for a season and count the calls."
    kari = one(page, "QR code")
    assert kari.author == "Kari Nilsen" and "drives past 500 houses" not in kari.text  # she quotes Ole
    assert len(page.comments) == 4  # the author's removed comment is no record
    no_record_holds(page, "removed by the author", "Newer Post", "Older Post", "Post Comments (Atom)",
                    "Post a Comment", "Email This", "BlogThis", "Labels:", "Blog Archive", "Third-generation",
                    "Blogger navbar", "said...", "Delete Comment", "Powered by")


def test_typepad():
    page = parse_file(DATA / "typepad.html")
    assert page.shape == "html:typepad"
    post = page.posts[0]
    assert (post.post_title, post.author, post.date) == (
        "Tweeting lawyers and the bar's advertising rules", "Rita Ortega", "2010-03-02")
    assert "who signs off on a tweet?" in post.text  # the "continue reading" part
    martin = one(page, "archives every tweet")
    assert (martin.author, martin.date) == ("Martin Cole", "2010-03-02T11:26")
    anon = one(page, "managing partner")
    assert (anon.author, anon.date) == (None, "2010-03-03T08:02") and "not alone" in anon.text
    dana = one(page, "ethics opinion")
    assert (dana.author, dana.date) == ("Dana Whitfield", "2010-03-03T16:40")
    assert "keep copies of every tweet" not in dana.text
    rita = one(page, "link it in the next post")
    assert (rita.author, rita.date) == ("Rita Ortega", "2010-03-04T09:15")
    no_record_holds(page, "Posted by", "Permalink", "TrackBack", "Law firm marketing secrets", "Share on Facebook",
                    "comment feed", "moderated", "Post a comment", "Your Information", "Recent Comments",
                    "Technorati")


def test_disqus_as_saved_after_it_rendered():
    page = parse_file(DATA / "disqus.html")
    assert page.shape == "html:disqus"
    post = page.posts[0]
    assert (post.post_title, post.author, post.date) == (
        "Does a hospital belong on Instagram?", "Noor Haddad", "2016-05-09T07:00")
    lena = one(page, "therapy dogs every Friday")
    assert (lena.author, lena.date, lena.parent_id) == ("Lena Fischer", "2016-05-09T09:41", None)
    noor = one(page, "legal sign off once")
    assert (noor.author, noor.date, noor.parent_id) == ("Noor Haddad", "2016-05-09T11:02", lena.comment_id)
    lena2 = one(page, "one-page rule")
    assert (lena2.author, lena2.date, lena2.parent_id) == ("Lena Fischer", "2016-05-10T08:15", noor.comment_id)
    arjun = one(page, "Privacy law")
    # its parent was deleted: the reply stands alone rather than pointing at a comment that is not there
    assert (arjun.author, arjun.date, arjun.parent_id) == ("Arjun Patel, MD", "2016-05-11T18:30", None)
    guest = one(page, "night shift anyway")
    assert guest.author is None  # Disqus's "Guest" names nobody
    assert len(page.comments) == 5
    no_record_holds(page, "This comment was deleted", "hidden discount", "Join the discussion", "Sort by Best",
                    "Load more", "Add Disqus", "Share ›", "Vote up", "7 years ago", "in reply to", "enable JavaScript",
                    "•")


def test_shipped_page_as_html_reads_like_its_text_version():
    """corpus/000 rendered in WordPress markup gives the same people, dates and words as the scraped text."""
    txt = parse_file(ROOT / "corpus" / "000_bb7063a3781a2354.txt")
    htm = parse_file(DATA / "000_bb7063a3781a2354.html")
    assert htm.shape == "html:wordpress"
    assert [(c.author, c.date[:10], c.text) for c in htm.comments] == [
        (c.author, c.date[:10], c.text) for c in txt.comments]
    assert htm.posts[0].author == "Jim Mitchem" and htm.posts[0].text == txt.posts[0].text
    # same post id (the file's stem) and, for the same words, the same comment ids
    assert [c.comment_id for c in htm.comments] == [c.comment_id for c in txt.comments]


def test_every_comment_of_every_fixture_is_attributed_where_the_markup_names_a_writer():
    for page in read_corpus(DATA):
        assert page.shape.startswith("html:") and not page.shape.startswith("html:text"), page.file
        for c in page.comments:
            assert c.date, (page.file, c.text[:40])
        named = [c for c in page.comments if c.author]
        assert len(named) >= len(page.comments) - 1, page.file  # each fixture has at most one anonymous comment


# --- pages never seen: random threads in every engine's markup -----------------------------------------------------

NAMES = st.sampled_from(["Ann Lee", "Bo Chan", "Carla Díaz", "Dev Patel", "Eve O'Brien", "Femi Ade", None])
WORDS = st.lists(st.sampled_from("we tried it for a year and sales went up slowly because customers trust people "
                                 "more than logos legal said no".split()), min_size=4, max_size=14)
PARA = WORDS.map(lambda w: " ".join(w).capitalize() + ".")


@st.composite
def threads(draw, depth=0):
    n = draw(st.integers(1, 4 if depth == 0 else 2))
    out = []
    for _ in range(n):
        c = C(draw(NAMES), f"20{draw(st.integers(10, 23))}-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}",
              draw(st.lists(PARA, min_size=1, max_size=3)), deleted=draw(st.booleans()) and draw(st.booleans()),
              quote=draw(st.one_of(st.none(), PARA.map(lambda p: "Quoted " + p))))
        if depth < 2 and draw(st.booleans()):
            c.replies = draw(threads(depth=depth + 1))
        out.append(c)
    return out


def _walk(cs, parent=None):
    for c in cs:
        yield c, parent
        yield from _walk(c.replies, c)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ENGINES), threads(), st.sampled_from(sorted(FURNITURE)))
def test_unseen_threads_in_every_engine(engine, comments, furn):
    # one marker per comment so that equal random words still tell comments apart
    for i, (c, _) in enumerate(_walk(comments)):
        c.paras[0] = f"Marker{i} " + c.paras[0]
    page = parse_bytes(render(engine, ["The post itself, about adoption."], comments, FURNITURE[furn]).encode(),
                       "p.html")
    assert page.shape == f"html:{engine}"
    by_marker = {r.text.split(" ", 1)[0]: r for r in page.comments}
    expected = [(i, c, p) for i, (c, p) in enumerate(_walk(comments))]
    for i, c, parent in expected:
        r = by_marker.get(f"Marker{i}")
        if c.deleted:
            assert r is None
            continue
        assert r is not None, (i, engine, [x.text[:20] for x in page.comments])
        assert r.author == c.author and r.date == f"{c.date}T10:15"
        assert r.text == "\n".join(c.paras)
        if engine in FLAT:
            continue
        live_parent = parent if parent is not None and not parent.deleted else None
        want = None if live_parent is None else by_marker[f"Marker{[j for j, x, _ in expected if x is live_parent][0]}"]
        assert r.parent_id == (want.comment_id if want else None)
    for r in page.records:
        assert "FURN" not in r.text and "Quoted" not in r.text and "This comment was deleted" not in r.text


# --- the fall-back, the text reader's furniture, symlinks ------------------------------------------------------------


def test_unknown_markup_falls_back_to_the_text_reader_on_visible_text_only():
    html = ("<html><head><title>Are blogs dead? | Some Site</title><script>var x='Jane Roe says:'</script></head>"
            "<body><div id='header'>Some Site — a tagline</div><nav>Home | About</nav><main>"
            "<p>A post about whether blogs are dead for B2B.</p><p>Tell me what you think.</p>"
            "<div class='talk'><div class='who'>Jane Roe says:</div><div>February 3, 2010 at 9:14 am</div>"
            "<p>They are not dead for us.</p><p hidden>Secret sponsor text.</p></div>"
            "<div class='talk'><div class='who'>Bo Lind says:</div><div>February 4, 2010 at 9:14 am</div>"
            "<p>Ours moved to LinkedIn.</p></div></main><footer>Copyright 2010 Some Site</footer></body></html>")
    page = parse_bytes(html.encode(), "unknown.html")
    assert page.shape == "html:text/wordpress"
    assert [(c.author, c.date) for c in page.comments] == [("Jane Roe", "2010-02-03T09:14"),
                                                            ("Bo Lind", "2010-02-04T09:14")]
    assert page.posts[0].post_title == "Are blogs dead?"
    no_record_holds(page, "Secret sponsor", "tagline", "Home | About", "var x")


def test_corpus_check_says_how_each_page_was_read(tmp_path):
    for f in DATA.glob("*.html"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "plain.html").write_text("<p>Just a post about Twitter for banks.</p><p>Nothing else.</p>")
    out = subprocess.run([sys.executable, "-m", "bot.cli", "corpus", "check", str(tmp_path), "--json"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    shapes = {r["file"]: r["shape"] for r in json.loads(out)}
    assert shapes["disqus.html"] == "html:disqus" and shapes["typepad.html"] == "html:typepad"
    assert shapes["plain.html"] == "html:text/plain"


def test_text_pages_drop_posted_by_in_and_newer_post_lines():
    text = (b"Posted by Rita Ortega in Marketing, Social Media\nA post about plumbers and blogs. It is long enough.\n"
            b"More of the post.\nJane Doe said...\nI agree with this post fully.\nMarch 3, 2010 9:14 AM\n"
            b"Newer Post Older Post Home\nSubscribe to: Post Comments (Atom)\n")
    page = parse_bytes(text, "t.txt")
    assert page.posts[0].author == "Rita Ortega"
    assert [(c.author, c.text) for c in page.comments] == [("Jane Doe", "I agree with this post fully.")]
    no_record_holds(page, "Posted by", "Newer Post")
    # TypePad's comment trailer has a colon and a bar: still a trailer, not a byline
    tp = parse_bytes(b"A post.\nMore post.\nComments\nGreat point about law firms.\n"
                     b"Posted by: Maria Costa | March 03, 2010 at 04:00 PM\n", "tp.txt")
    assert [c.author for c in tp.comments] == ["Maria Costa"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_a_symlink_out_of_the_corpus_is_refused(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("A post about blogs.\nJane Doe says:\nFebruary 3, 2010 at 9:14 am\nYes.\n")
    (corpus / "inside.txt").symlink_to(corpus / "ok.txt")
    (corpus / "link.txt").symlink_to("/etc/passwd")
    secret = tmp_path / "secret.toml"
    secret.write_text('title = "outside"\n')
    (corpus / "ok.meta.toml").symlink_to(secret)
    pages = {p.file: p for p in read_corpus(corpus)}
    assert pages["link.txt"].records == [] and pages["link.txt"].shape == "unreadable"
    assert "symlink to /etc/passwd, outside the corpus folder" in str(pages["link.txt"].warnings[0])
    assert pages["inside.txt"].comments  # a link inside the folder is an ordinary page
    assert pages["ok.txt"].posts[0].post_title != "outside"
    assert any("sidecar ignored" in str(w) for w in pages["ok.txt"].warnings)
    for p in pages.values():
        assert all("root:" not in r.text for r in p.records)


# --- the scorers of ../shared/eval accept .html pages ----------------------------------------------------------------


@pytest.mark.skipif(not (EVAL / "score_attribution.py").is_file(), reason="../shared/eval is not next to the checkout")
def test_attribution_scorer_on_the_html_rendition_of_a_shipped_page(tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [json.loads(line) for line in (EVAL / "attribution_dev.jsonl").read_text().splitlines() if line.strip()]
    rows = [dict(r, file=r["file"].replace(".txt", ".html")) for r in rows if r["file"].startswith("000_")]
    assert rows
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cli = f"{sys.executable} -m bot.cli"
    out = subprocess.run([sys.executable, str(EVAL / "score_attribution.py"), "--gold", str(gold), "--corpus",
                          str(DATA), "--cli", cli, "--json"], capture_output=True, text=True, cwd=ROOT, check=True)
    c = json.loads(out.stdout.splitlines()[-1])
    assert c["anchors"] == len([r for r in rows if "anchor" in r])
    assert (c["wrong"], c["missing"], c["duplicated"], c["wrong_kind"], c["furniture"]) == (0, 0, 0, 0, 0)
    assert c["dates_right"] == c["dates"] and c["named_coverage"] == 1.0


def test_blogger_threaded_comments():
    """Blogger's templates since 2012: `li.comment` with `cite.user`, replies in `.comment-replies`."""
    html = """<html><head><title>Hotel Blog: Guests on Twitter</title></head><body>
    <div class='post hentry'><h3 class='post-title entry-title'>Guests on Twitter</h3>
    <div class='post-body entry-content'>Do guests tweet about us? More than we knew.</div></div>
    <div class='comments' id='comments'><h4>2 comments:</h4><div class='comments-content'>
    <div class='comment-thread toplevel-thread'><ol id='top-ra'>
    <li class='comment' id='c101'><div class='avatar-image-container'><img src='x.png'/></div>
      <div class='comment-block'><div class='comment-header'><cite class='user'><a href='https://www.blogger.com/profile/1'
      rel='nofollow'>Marta Nowak</a></cite><span class='icon user'></span><span class='datetime secondary-text'>
      <a rel='nofollow' href='#c101'>June 4, 2013 at 8:12 AM</a></span></div>
      <p class='comment-content'>We answer every tweet within the hour, and reviews went up.</p>
      <span class='comment-actions secondary-text'><a class='comment-reply' target='_self'>Reply</a>
      <span class='item-control blog-admin pid-1'><a href='#'>Delete</a></span></span></div>
      <div class='comment-replies'><div class='comment-thread inline-thread'><ol>
        <li class='comment' id='c102'><div class='comment-block'><div class='comment-header'><cite class='user'>
        Anonymous</cite><span class='datetime secondary-text'><a href='#c102'>June 5, 2013 at 9:30 PM</a></span></div>
        <p class='comment-content'>Within the hour, at night too?</p>
        <span class='comment-actions secondary-text'><a class='comment-reply'>Reply</a></span></div></li>
      </ol></div></div></li></ol></div></div></div></body></html>"""
    page = parse_bytes(html.encode(), "hotel.html")
    assert page.shape == "html:blogger"
    marta, anon = page.comments
    assert (marta.author, marta.date, marta.parent_id) == ("Marta Nowak", "2013-06-04T08:12", None)
    assert (anon.author, anon.date, anon.parent_id) == (None, "2013-06-05T21:30", marta.comment_id)
    no_record_holds(page, "Reply", "Delete")


@pytest.mark.skipif(not (EVAL / "score_attribution.py").is_file(), reason="../shared/eval is not next to the checkout")
def test_attribution_scorer_on_the_engine_fixtures():
    """The evaluation kit's scorer on our own gold for the five engine fixtures (tests/index/data/html_attribution)."""
    gold = DATA.parent / "html_attribution.jsonl"
    out = subprocess.run([sys.executable, str(EVAL / "score_attribution.py"), "--gold", str(gold), "--corpus",
                          str(DATA), "--cli", f"{sys.executable} -m bot.cli", "--json"], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    c = json.loads(out.stdout.splitlines()[-1])
    assert c["anchors"] == 26 and c["separations"] == 2
    assert (c["wrong"], c["abstain"], c["missing"], c["duplicated"], c["wrong_kind"], c["merged"], c["furniture"]) == (
        0, 0, 0, 0, 0, 0, 0)
    assert c["dates_right"] == c["dates"] == 26


def test_kubrick_era_wordpress():
    """WordPress before 2.7 (Kubrick): bare <li id="comment-N"> items, <cite> and 'Says:', <small> dates."""
    html = """<html><head><title>Blogging for dentists &raquo; Smile Notes</title></head><body><div id="page">
    <div class="post" id="post-12"><h2>Blogging for dentists</h2><small>February 1st, 2008 <!-- by Ann --></small>
    <div class="entry"><p>Should a dental practice blog? I think patients want answers, not ads.</p></div></div>
    <h3 id="comments">2 Responses to &#8220;Blogging for dentists&#8221;</h3>
    <ol class="commentlist">
      <li class="alt" id="comment-31"><cite><a href="http://x.example" rel="external nofollow">Sara Kim</a></cite>
        Says:<br /><small class="commentmetadata"><a href="#comment-31" title="">February 2nd, 2008 at 9:14 am</a>
        </small><p>Our practice answers one question a week and new patients mention the posts.</p></li>
      <li id="comment-32"><cite>Tom Reyes</cite> Says:<br /><small class="commentmetadata"><a href="#comment-32">
        February 3rd, 2008 at 5:40 pm</a></small><p>Advertising rules for dentists make me nervous about it.</p></li>
    </ol><h3 id="respond">Leave a Reply</h3><form id="commentform"><textarea name="comment"></textarea></form>
    </div></body></html>"""
    page = parse_bytes(html.encode(), "kubrick.html")
    assert page.shape == "html:wordpress"
    assert [(c.author, c.date, c.text) for c in page.comments] == [
        ("Sara Kim", "2008-02-02T09:14",
         "Our practice answers one question a week and new patients mention the posts."),
        ("Tom Reyes", "2008-02-03T17:40", "Advertising rules for dentists make me nervous about it.")]
    assert page.posts[0].text == "Should a dental practice blog? I think patients want answers, not ads."


def test_noscript_text_never_spills_into_the_page():
    """Found by the fuzzer: parsed as a browser without scripts, a leading <noscript>'s text moves into <body>."""
    page = parse_bytes(b"<noscript>Enable JavaScript to see the comments</noscript><p>The post.</p>", "n.html")
    no_record_holds(page, "Enable JavaScript")
    assert [r.text for r in page.records] == ["The post."]
