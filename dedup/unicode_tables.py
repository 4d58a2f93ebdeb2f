"""Unicode lookup tables for the normalisation rule of :mod:`dedup.normalize`.

Built from Python's own Unicode database: character classes (separator, word character, a
character that is a token on its own), case folding, per-character NFKC and the worst-case
growth of a character, which the compiled kernels use to size their buffers. Building them
takes about half a second, so they are cached on disk (:func:`_cache_file`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from dedup import _kernels
from dedup._kernels import SOLO, UNSAFE, VARIANT, WORD

_MAX_CP = 0x110000
# Case folding changes nothing above this code point, NFKC nothing above the next (both checked
# by tests over the whole range).
_FOLD_LIMIT = 0x20000
_NFKC_LIMIT = 0x30000
# Hangul vowel and trailing jamo: they compose algorithmically with the preceding syllable.
_HANGUL_SECOND = ((0x1161, 0x1175), (0x11A8, 0x11C2))

# Scripts written without spaces: each character is a token of its own.
_SOLO_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3005, 0x3007),  # ideographic iteration / number marks
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31FF),  # Bopomofo extended, Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B..H
)

# Deleted under ``Config.fold_variants``. Unicode's Default_Ignorable_Code_Point (written out
# from DerivedCoreProperties.txt rather than derived, so a Python upgrade cannot change stored
# fingerprints): invisible characters that sit inside words in scraped HTML (soft hyphens in
# German news, zero-width spaces and joiners, bidi marks, BOMs) and would otherwise split them.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned, reserved as ignorable
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical format controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement, reserved
)
# Also deleted under ``fold_variants``: Arabic vowel marks (harakat: tanwin, fatha, damma,
# kasra, shadda, sukun, maddah and hamza above and below, the rarer ones to U+065F), the
# superscript alef, the Quranic annotation marks (the combining ones; the end-of-ayah sign and
# the small waw and yeh letters stay) and the tatweel (kashida), a stretching stroke. News
# mostly omits the marks, and a copy that has them must still compare equal.
_ARABIC_MARK_RANGES = (
    (0x0640, 0x0640),  # tatweel
    (0x064B, 0x065F),  # harakat
    (0x0670, 0x0670),  # superscript alef
    (0x06D6, 0x06DC),  # Quranic small high ligatures
    (0x06DF, 0x06E4),  # Quranic small high marks
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
)
# Letters replaced under ``fold_variants`` (before case folding, so both cases are listed):
# spellings of one word that writers use interchangeably. Russian print mostly writes io (U+0451)
# as ie (U+0435); Arabic drops the hamza (and madda, wasla) on alef as often as it writes it.
_VARIANT_LETTERS = {
    0x0401: 0x0415,  # Cyrillic capital io -> capital ie
    0x0451: 0x0435,  # Cyrillic small io -> small ie
    0x0622: 0x0627,  # alef with madda above -> alef
    0x0623: 0x0627,  # alef with hamza above -> alef
    0x0625: 0x0627,  # alef with hamza below -> alef
    0x0671: 0x0627,  # alef wasla -> alef
}
# The variant table covers the replaced letters; a VARIANT character at or above this is deleted.
_VARIANT_LIMIT = 0x0700


#: :meth:`Tables.arrays`: the eight tables in the order the tokenising kernels take them.
TableArrays = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]


@dataclass(frozen=True, slots=True)
class Tables:
    """Lookup tables shared by both paths, built from Python's Unicode database.

    Building them takes about half a second, so :func:`tables` keeps a copy on disk
    (see :func:`_cache_file`) and loads it in milliseconds in later processes.
    """

    classes: np.ndarray  # uint8[0x110000]: SEP, WORD or SOLO, plus the UNSAFE and VARIANT bits
    fold: np.ndarray  # int32[_FOLD_LIMIT]: folded code point, or -(k+1) into fold_ext
    fold_ext: np.ndarray  # int32[k, 3]: multi-character foldings, zero-padded
    nfkc_index: np.ndarray  # int32[_NFKC_LIMIT]: -1 if NFKC keeps the character, else k
    nfkc_offsets: np.ndarray  # int32[k + 1]: NFKC of character k is nfkc_chars[off[k]:off[k+1]]
    nfkc_chars: np.ndarray  # int32[...]
    expansion: np.ndarray  # uint8[_NFKC_LIMIT]: most UTF-8 bytes (and spaces) a code point yields
    variant: np.ndarray  # int32[_VARIANT_LIMIT]: a VARIANT character's replacement, -1: deleted

    def arrays(self) -> TableArrays:
        """The tables in the order the tokenising kernels take them, after the code points."""
        return (
            self.classes,
            self.fold,
            self.fold_ext,
            self.nfkc_index,
            self.nfkc_offsets,
            self.nfkc_chars,
            self.expansion,
            self.variant,
        )


def _builder_digest() -> str:
    """A digest of the code that builds and reads the tables.

    Part of the cache file name, so a cache written by an older build rule is never read: the
    kernels size their buffers from these tables, and a stale table means memory corruption.
    """
    h = hashlib.blake2b(digest_size=8)
    for module in (__file__, _kernels.__file__):
        h.update(Path(module).read_bytes())
    return h.hexdigest()


def _cache_file() -> Path | None:
    """Where the tables are cached: per Unicode version, under the user's cache directory.

    ``DEDUP_CACHE_DIR`` overrides the place; set it to an empty string to disable caching.
    """
    override = os.environ.get("DEDUP_CACHE_DIR")
    if override == "":
        return None
    base = (
        Path(override)
        if override
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dedup"
    )
    return base / f"unicode-tables-{unicodedata.unidata_version}-{_builder_digest()}.npz"


def _digest(arrays: dict[str, np.ndarray]) -> np.ndarray:
    h = hashlib.blake2b(digest_size=16)
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(str(arrays[name].dtype).encode())
        h.update(np.asarray(arrays[name].shape, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return np.frombuffer(h.digest(), dtype=np.uint8)


def _load_cached(path: Path) -> Tables | None:
    """The cached tables, or None when missing, unreadable or not exactly what was written.

    The kernels index and size buffers by these tables, so a damaged file must never be used:
    a checksum over every array guards it.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {f.name: data[f.name] for f in fields(Tables)}
            stored = data["digest"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    if not np.array_equal(stored, _digest(arrays)):
        return None
    return Tables(**arrays)


def _store(path: Path, built: Tables) -> None:
    """Write the cache atomically; a read-only or full disk just means no cache."""
    arrays = {f.name: getattr(built, f.name) for f in fields(Tables)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, digest=_digest(arrays), **arrays)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)


@functools.cache
def tables() -> Tables:
    """The lookup tables: from the on-disk cache when it is there and intact, else built."""
    path = _cache_file()
    if path is not None and (cached := _load_cached(path)) is not None:
        return cached
    built = _build_tables()
    if path is not None:
        _store(path, built)
    return built


def _build_tables() -> Tables:
    """Build the character class and case-folding tables from Python's Unicode database."""
    everything = "".join(" " if 0xD800 <= cp < 0xE000 else chr(cp) for cp in range(_MAX_CP))
    classes = np.zeros(_MAX_CP, dtype=np.uint8)
    for match in re.finditer(r"[^\W_]+", everything):
        classes[match.start() : match.end()] = WORD
    for cp in range(0x0300, _FOLD_LIMIT):
        if unicodedata.category(everything[cp])[0] == "M":
            classes[cp] = WORD
    for cp in range(0xE0100, 0xE01F0):  # variation selectors supplement
        classes[cp] = WORD
    for lo, hi in _SOLO_RANGES:
        span = classes[lo : hi + 1]
        span[span == WORD] = SOLO
    nfkc_index, nfkc_offsets, nfkc_chars = _nfkc_tables(everything, classes)
    variant = _variant_table(classes)

    fold = np.arange(_FOLD_LIMIT, dtype=np.int32)
    expansions: list[list[int]] = []
    for cp in range(_FOLD_LIMIT):
        folded = everything[cp].casefold()
        if len(folded) == 1:
            fold[cp] = ord(folded)
        else:
            expansions.append([ord(c) for c in folded])
            fold[cp] = -len(expansions)
    fold_ext = np.zeros((max(len(expansions), 1), 3), dtype=np.int32)
    for k, chars in enumerate(expansions):
        fold_ext[k, : len(chars)] = chars
    expansion = _expansion(everything, nfkc_index, nfkc_offsets, nfkc_chars, fold, fold_ext)
    return Tables(
        classes=classes,
        fold=fold,
        fold_ext=fold_ext,
        nfkc_index=nfkc_index,
        nfkc_offsets=nfkc_offsets,
        nfkc_chars=nfkc_chars,
        expansion=expansion,
        variant=variant,
    )


def _variant_table(classes: np.ndarray) -> np.ndarray:
    """Mark the characters ``fold_variants`` deletes or replaces (the VARIANT bit) and give
    the replacements. A replacement is never longer in UTF-8 than its character, so the
    kernels' buffer bound (:func:`_expansion`, computed without it) still holds."""
    variant = np.full(_VARIANT_LIMIT, -1, dtype=np.int32)
    for lo, hi in _IGNORABLE_RANGES + _ARABIC_MARK_RANGES:
        classes[lo : hi + 1] |= VARIANT
    for cp, target in _VARIANT_LETTERS.items():
        if len(chr(target).encode("utf-8")) > len(chr(cp).encode("utf-8")):
            raise ValueError(f"U+{cp:04X} would grow into U+{target:04X}")
        classes[cp] |= VARIANT
        variant[cp] = target
    return variant


def _expansion(
    everything: str,
    nfkc_index: np.ndarray,
    nfkc_offsets: np.ndarray,
    nfkc_chars: np.ndarray,
    fold: np.ndarray,
    fold_ext: np.ndarray,
) -> np.ndarray:
    """Bytes (UTF-8 plus a separating space per character) each code point can turn into."""

    def size(cp: int) -> int:
        # With case folding on or off: folding can shrink a character (U+212A KELVIN SIGN, three
        # bytes, folds to "k"), so the folded size alone is not a bound.
        folded = fold[cp] if cp < _FOLD_LIMIT else cp
        chars = [int(c) for c in fold_ext[-folded - 1] if c] if folded < 0 else [int(folded)]
        on = sum(len(chr(c).encode("utf-8")) for c in chars)
        return max(on, len(everything[cp].encode("utf-8"))) + 1

    out = np.full(_NFKC_LIMIT, 5, dtype=np.uint8)  # 4 bytes and a space: safe for most
    for cp in np.flatnonzero(fold[:_NFKC_LIMIT] < 0):
        out[cp] = size(int(cp))
    for cp in np.flatnonzero(nfkc_index >= 0):
        k = nfkc_index[cp]
        mapped = sum(size(int(c)) for c in nfkc_chars[nfkc_offsets[k] : nfkc_offsets[k + 1]])
        out[cp] = max(mapped, size(int(cp)))  # the bound must hold with NFKC off too
    return out


def _nfkc_tables(everything: str, classes: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-character NFKC, and the UNSAFE bit on characters for which it is not enough.

    NFKC of a whole text equals the concatenation of NFKC of its characters unless a character
    can interact with a neighbour: combining marks (canonical reordering and composition),
    characters that compose with the character before them (the second half of a canonical
    pair, Hangul vowel and trailing jamo), and characters whose NFKC contains any of those.
    Texts with an UNSAFE character are normalised by ``unicodedata`` instead (rare in news).
    """
    unsafe = np.zeros(_MAX_CP, dtype=bool)
    for cp in range(_NFKC_LIMIT):
        ch = everything[cp]
        if unicodedata.combining(ch):
            unsafe[cp] = True
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                unsafe[int(parts[1], 16)] = True
    for lo, hi in _HANGUL_SECOND:
        unsafe[lo : hi + 1] = True
    index = np.full(_NFKC_LIMIT, -1, dtype=np.int32)
    offsets = [0]
    chars: list[int] = []
    for cp in range(_NFKC_LIMIT):
        if 0xD800 <= cp < 0xE000:
            continue
        normal = unicodedata.normalize("NFKC", everything[cp])
        if normal == everything[cp]:
            continue
        codes = [ord(c) for c in normal]
        if any(unsafe[c] for c in codes):
            unsafe[cp] = True
        index[cp] = len(offsets) - 1
        chars.extend(codes)
        offsets.append(len(chars))
    classes[unsafe] |= UNSAFE
    return index, np.array(offsets, dtype=np.int32), np.array(chars, dtype=np.int32)
