"""Seeded generators of labelled test and benchmark corpora, built from real web articles.

Everything starts from ``data/web-articles.jsonl`` (:func:`load_articles`); the labelled
corpora use its cleaned subset (:func:`clean_articles`: no fixtures, no text shared between
articles) so that the only repetition in them is repetition planted and labelled here.

* :func:`news_corpus` - a fast stream of news-sized documents with near-duplicate reprints, for
  throughput benchmarks (:func:`news_corpus_labelled` adds the gold clusters; with
  ``fresh_bodies=True`` no body text recurs across originals, as in news);
* :func:`dedup_corpus` - stories, their reprints and hard negatives, with gold clusters;
* :func:`boilerplate_corpus` - per-outlet headers/footers with gold spans, plus repeated content
  that must survive (:func:`boilerplate_corpus_detailed` returns its spans too);
* :func:`reuse_corpus` - articles copying passages of others, with gold span pairs;
* the transformations they are made of (:func:`cut_ending`, :func:`edit_words`,
  :func:`char_noise`, :func:`retitle`, :func:`add_boilerplate`) and :func:`write_jsonl`.

Determinism: every generator takes a ``seed`` and draws only from its own
``random.Random(seed)``, never the global one, never ``hash()`` of strings, and never
``math.log``/``exp`` (libm may differ between machines). Same seed and same article file give
byte-identical output everywhere; a different seed gives a different corpus. Offsets are
Python ``str`` indices (code points), spans are half-open ``(start, end)``.
"""

from dedup.synth.articles import (
    DEFAULT_ARTICLES_PATH,
    Article,
    clean_articles,
    load_articles,
)
from dedup.synth.boilerplate import (
    BoilerplateCorpus,
    boilerplate_corpus,
    boilerplate_corpus_detailed,
)
from dedup.synth.neardup import ReprintRecipe, dedup_corpus
from dedup.synth.news import news_corpus, news_corpus_labelled
from dedup.synth.outlets import OUTLETS, Outlet, render_template
from dedup.synth.records import LabelledDocument, ReusePair, write_jsonl
from dedup.synth.reuse import reuse_corpus
from dedup.synth.transforms import (
    Span,
    add_boilerplate,
    char_noise,
    cut_ending,
    edit_words,
    retitle,
)

__all__ = [
    "DEFAULT_ARTICLES_PATH",
    "OUTLETS",
    "Article",
    "BoilerplateCorpus",
    "LabelledDocument",
    "Outlet",
    "ReprintRecipe",
    "ReusePair",
    "Span",
    "add_boilerplate",
    "boilerplate_corpus",
    "boilerplate_corpus_detailed",
    "char_noise",
    "clean_articles",
    "cut_ending",
    "dedup_corpus",
    "edit_words",
    "load_articles",
    "news_corpus",
    "news_corpus_labelled",
    "render_template",
    "retitle",
    "reuse_corpus",
    "write_jsonl",
]
