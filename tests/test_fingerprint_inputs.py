"""Specification of dedup.fingerprint, continued: normalisation, fast path == slow path, edges."""

from __future__ import annotations

import pickle
import unicodedata

import numpy as np
import pytest
import xxhash
from _fingerprint_support import EMPTY_SIGNATURE, articles, shingle_strings
from hypothesis import given, settings
from hypothesis import strategies as st
from unicode_samples import tricky_text

from dedup import Config, Fingerprinter, tokenize

# --- Normalisation equivalences ------------------------------------------------------------


def test_nfc_and_nfd_texts_have_identical_fingerprints():
    """NFC and NFD forms of a text give identical signatures, shingles and content hashes."""
    text = "Le café de la Señora Müller à Zürich: Ångström, naïve, Øresund, Łódź, Hà Nội, 한국어"
    forms = [unicodedata.normalize(form, text) for form in ("NFC", "NFD", "NFKC", "NFKD")]
    assert len(set(forms)) > 1
    batch = Fingerprinter(Config()).fingerprint(forms)
    for other in batch:
        assert np.array_equal(other.signature, batch[0].signature)
        assert np.array_equal(other.shingles, batch[0].shingles)
        assert other.content_hash == batch[0].content_hash


def test_typographic_variants_have_identical_fingerprints():
    """Case, quotes, dashes, ligatures, full-width letters and space variants do not matter."""
    plain = 'He said "it\'s fine" - the office staff agreed, 100 percent.'
    fancy = (
        "HE\u00a0SAID \u201cIT\u2019S \ufb01NE\u201d \u2014 THE O\ufb03CE STAFF\tAGREED,"
        " \uff11\uff10\uff10 PERCENT!"
    )
    a, b = Fingerprinter(Config()).fingerprint([plain, fancy])
    assert a.content_hash == b.content_hash
    assert np.array_equal(a.signature, b.signature)


@settings(max_examples=200, deadline=None)
@given(tricky_text)
def test_signatures_equal_where_normalised_texts_are_equal(text):
    """Canonically or compatibly equivalent forms of any text share one fingerprint."""
    forms = [text, *(unicodedata.normalize(f, text) for f in ("NFC", "NFD", "NFKC", "NFKD"))]
    fp = Fingerprinter(Config(ngram=2))
    streams = fp.token_streams(forms)
    batch = fp.fingerprint(forms)
    for i in range(1, len(forms)):
        assert streams.text(i) == streams.text(0)
        assert np.array_equal(batch[i].signature, batch[0].signature)
        assert batch[i].content_hash == batch[0].content_hash


# --- Fast path == slow path ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("nfkc", "casefold"), [(True, True), (True, False), (False, True), (False, False)]
)
@settings(max_examples=150, deadline=None)
@given(texts=st.lists(tricky_text, min_size=1, max_size=6))
def test_fast_token_stream_equals_tokenize(nfkc, casefold, texts):
    """The compiled token stream of every text in a batch equals ``tokenize(text).stream``."""
    streams = Fingerprinter(Config(nfkc=nfkc, casefold=casefold)).token_streams(texts)
    for i, text in enumerate(texts):
        assert streams.text(i) == tokenize(text, nfkc=nfkc, casefold=casefold).stream


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_fast_token_stream_equals_tokenize_on_any_text(text):
    """For text drawn from the whole of Unicode, both paths agree too."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
    assert Fingerprinter(Config()).token_streams([text]).text(0) == tokenize(text).stream


def test_token_starts_mark_every_token():
    """``token_starts`` points at the first byte of each token of the stream."""
    texts = ["Hello, wörld!", "", "東京 x"]
    streams = Fingerprinter(Config()).token_streams(texts)
    for d, text in enumerate(texts):
        stream = tokenize(text).stream.encode()
        lo, hi = streams.token_offsets[d], streams.token_offsets[d + 1]
        starts = streams.token_starts[lo:hi] - streams.offsets[d]
        expected = [0] + [i + 1 for i, byte in enumerate(stream) if byte == 32] if stream else []
        assert starts.tolist() == expected


def test_a_batch_gives_each_text_what_it_gets_alone():
    """A text's fingerprint does not depend on the batch: not on its neighbours, their order, or
    a neighbour that needs the whole-text NFKC fallback."""
    texts = ["plain words here and there", "e\u0301 needs the fallback", "", *articles(3)]
    fp = Fingerprinter(Config())
    batch = fp.fingerprint(texts)
    reverse = fp.fingerprint(texts[::-1])
    for i, text in enumerate(texts):
        alone = fp.fingerprint_one(text)
        for other in (batch[i], reverse[len(texts) - 1 - i]):
            assert np.array_equal(other.signature, alone.signature)
            assert np.array_equal(other.shingles, alone.shingles)
            assert other.content_hash == alone.content_hash


def test_batch_streams_with_fallback_texts_anywhere():
    """Texts that need the whole-text NFKC fallback, first, last and side by side in a batch, leave
    every text's stream and token starts as they are when it is alone."""
    plain, bad = "plain words, here", "cafe\u0301 \u02d9 na\u0308ive"
    texts = [bad, plain, bad + " x", bad, "", plain + " y", bad]
    fp = Fingerprinter(Config())
    batch = fp.token_streams(texts)
    for i, text in enumerate(texts):
        alone = fp.token_streams([text])
        assert batch.text(i) == alone.text(0) == tokenize(text).stream
        lo, hi = batch.token_offsets[i], batch.token_offsets[i + 1]
        assert np.array_equal(batch.token_starts[lo:hi] - batch.offsets[i], alone.token_starts)
    assert batch.offsets[-1] == batch.buf.shape[0]
    assert batch.token_offsets[-1] == batch.token_starts.shape[0]


def test_fingerprinter_survives_pickling():
    """A Fingerprinter sent to a worker process (pickled) fingerprints exactly as the original."""
    fp = Fingerprinter(Config(shingle="char", ngram=6, seed=5))
    clone = pickle.loads(pickle.dumps(fp))
    texts = articles(3)
    assert np.array_equal(clone.fingerprint(texts).signatures, fp.fingerprint(texts).signatures)


def test_empty_batch():
    """A batch of no texts is an empty FingerprintBatch."""
    batch = Fingerprinter(Config()).fingerprint([])
    assert len(batch) == 0
    assert batch.signatures.shape == (0, 128)
    assert list(batch) == []


def test_batch_accessors():
    """A batch has one fingerprint per text, with sizes equal to the shingle counts."""
    texts = ["one two three four five six", "one", ""]
    batch = Fingerprinter(Config()).fingerprint(texts)
    assert len(batch) == 3
    assert batch.sizes.tolist() == [2, 1, 0]
    assert [f.shingles.shape[0] for f in batch] == [2, 1, 0]
    assert all(f.seed == 1 for f in batch)


def test_batch_indexing_follows_sequence_rules():
    """Negative indices count from the end like a list; indices past either end raise IndexError."""
    batch = Fingerprinter(Config()).fingerprint(["one two three four five six", "a b c d e f g"])
    last = batch[-1]
    assert np.array_equal(last.shingles, batch[1].shingles)
    assert np.array_equal(last.signature, batch[1].signature)
    assert not last.empty
    assert np.array_equal(batch[-2].shingles, batch[0].shingles)
    for bad in (2, -3):
        with pytest.raises(IndexError):
            batch[bad]


# --- Edge inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t\u00a0\u3000  ", "!!! --- ???", "🎉🎉 👍🏽 🇫🇷"])
def test_texts_without_tokens_are_empty(text):
    """Texts without a word character have no shingles, the all-max signature, and are empty."""
    f = Fingerprinter(Config()).fingerprint_one(text)
    assert f.empty
    assert f.shingles.shape == (0,)
    assert f.signature.tolist() == EMPTY_SIGNATURE
    assert f.content_hash == xxhash.xxh64_intdigest(b"")


def test_one_word_is_one_shingle():
    """A one-word text is a single shingle, the hash of the folded word."""
    f = Fingerprinter(Config()).fingerprint_one("  Hello!  ")
    assert not f.empty
    assert f.shingles.tolist() == [xxhash.xxh64_intdigest(b"hello")]


@pytest.mark.parametrize(
    "text",
    [
        "مرحبا بالعالم، هذا نص عربي طويل بما يكفي لعدة كلمات",
        "שלום עולם זה טקסט בעברית עם כמה מילים נוספות",
        "Hello مرحبا שלום Привет 你好世界 こんにちは 🎉 mixed ✓ scripts",
        "\u202bRTL embedding\u202c and \u200fmarks\u200e inside",
    ],
)
def test_rtl_and_mixed_script_texts_follow_the_rule(text):
    """Right-to-left and mixed-script texts have the shingles of their logical-order tokens."""
    config = Config()
    f = Fingerprinter(config).fingerprint_one(text)
    expected = sorted({xxhash.xxh64_intdigest(s) for s in shingle_strings(text, config)})
    assert not f.empty
    assert f.shingles.tolist() == expected


def _one_megabyte_line() -> str:
    words: list[str] = []
    size = 0
    for text in articles(200):
        for word in text.split():
            words.append(word)
            size += len(word) + 1
            if size >= 1_000_000:
                return " ".join(words)
    raise AssertionError("corpus too small")


def test_one_megabyte_single_line():
    """A 1 MB text without a line break is fingerprinted by the same rule as a short one."""
    text = _one_megabyte_line()
    assert "\n" not in text
    config = Config()
    f = Fingerprinter(config).fingerprint_one(text)
    expected = sorted({xxhash.xxh64_intdigest(s) for s in shingle_strings(text, config)})
    assert f.shingles.tolist() == expected


def test_one_megabyte_single_token():
    """A 1 MB token is one word shingle, and a million character shingles."""
    rng = np.random.default_rng(6)
    token = "".join(chr(c) for c in rng.integers(ord("a"), ord("z") + 1, 1_000_000))
    word = Fingerprinter(Config()).fingerprint_one(token.upper())
    assert word.shingles.tolist() == [xxhash.xxh64_intdigest(token.encode())]
    char = Fingerprinter(Config(shingle="char", ngram=9)).fingerprint_one(token)
    raw = token.encode()
    expected = {xxhash.xxh64_intdigest(raw[i : i + 9]) for i in range(len(raw) - 8)}
    assert char.shingles.tolist() == sorted(expected)


def test_one_megabyte_of_unspaced_cjk():
    """A 1 MB run of Han characters without spaces is one token per character."""
    rng = np.random.default_rng(7)
    text = "".join(chr(c) for c in rng.integers(0x4E00, 0x9FFF, 350_000))
    streams = Fingerprinter(Config()).token_streams([text])
    assert streams.token_offsets[1] == len(text)
    assert streams.text(0) == " ".join(text)
