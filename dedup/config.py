"""The frozen settings of a dedup run or index, and their stable id.

Everything that changes what is *stored* (normalisation, shingling, hashing, permutations,
banding) is part of :attr:`Config.id`; an index records the id it was built with and refuses to
be used with another. Thresholds used only when verifying candidates (``threshold``) can change
between queries and are not part of the id.

A setting added later has a default for new runs and a value for files from before it
(:data:`RECORDED_BEFORE`): a stored config without it is read as it was made
(:meth:`Config.from_stored`), so an old index keeps its fingerprints and its id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from dedup.errors import ConfigError
from dedup.lsh import optimal_params

#: Bumped whenever the meaning of stored fingerprints changes for the same settings.
FINGERPRINT_VERSION = 1

ShingleKind = Literal["word", "char"]

#: What a setting added after indexes were first written was, implicitly, in a stored config
#: that lacks it. ``fold_variants`` came in session 35; files from before were made without.
RECORDED_BEFORE: Mapping[str, Any] = {"fold_variants": False}

#: The normalisation settings, in the order the id names them, and the name each has there
#: (ids are made of ``[a-z0-9+-]``: they name files and appear in URLs).
_NORMALISATION = (("nfkc", "nfkc"), ("casefold", "casefold"), ("fold_variants", "variants"))


@dataclass(frozen=True, slots=True)
class Config:
    """Settings of the fingerprinting, LSH and verification stages.

    The defaults are chosen for news articles:

    * word 5-grams: long enough that two unrelated articles share almost none (common phrases
      such as "the president of the" are rare at n=5), short enough that a light edit only
      disturbs the five shingles that cover it;
    * 128 permutations: the Jaccard estimate's standard error is at most 0.044
      (``sqrt(J(1-J)/128)``), and a signature is 512 bytes;
    * ``threshold = 0.7``: a reprint with a new headline, light word edits (a few per hundred
      words: each edit breaks the five shingles covering it) or a different footer stays above
      it; two articles on the same event written separately stay far below it. On the seeded
      ``dedup_corpus`` (seeds 0 and 1) 0.7 finds 93-94 % of the gold pairs against 79-85 % at
      0.8, with precision 1.0 at both;
    * banding targets ``lsh_threshold = 0.4``, well under ``threshold``: LSH is tuned for
      recall and exact verification on shingle sets restores precision. With 128 permutations
      this gives 32 bands x 4 rows, which makes a pair a candidate with probability
      1.000 at J = 0.8, 0.988 at J = 0.6 (a reprint cut to 60 %), 0.873 at J = 0.5 and
      0.229 at J = 0.3 (see ``dedup.lsh.s_curve``; ``dedup curve`` prints it);
    * ``fold_variants``: invisible characters (soft hyphens, zero-width spaces, bidi marks)
      and Arabic vowel marks are deleted, ё and the alef variants folded (see
      :mod:`dedup.normalize`): a copy scraped with soft hyphens scored Jaccard 0.35 against
      its source without it. Off in indexes made before it existed (:data:`RECORDED_BEFORE`).

    ``bands``/``rows`` of 0 mean "choose for ``lsh_threshold``" (done on construction).
    """

    num_perm: int = 128
    seed: int = 1
    shingle: ShingleKind = "word"
    ngram: int = 5
    nfkc: bool = True
    casefold: bool = True
    fold_variants: bool = True
    threshold: float = 0.7
    lsh_threshold: float = 0.4
    bands: int = 0
    rows: int = 0

    def __post_init__(self) -> None:
        _check_int("num_perm", self.num_perm, 2, 4096)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check_int("ngram", self.ngram, 1, 64)
        if self.shingle not in ("word", "char"):
            raise ConfigError(f"shingle must be 'word' or 'char', got {self.shingle!r}")
        for name, _ in _NORMALISATION:
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("threshold", "lsh_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name} must be a number, got {value!r}")
            if not (0.0 < value <= 1.0) or math.isnan(value):
                raise ConfigError(f"{name} must be in (0, 1], got {value}")
        if (self.bands == 0) != (self.rows == 0):
            raise ConfigError("set both bands and rows, or neither (to derive them)")
        if self.bands == 0:
            target = min(self.lsh_threshold, 0.99)
            bands, rows = optimal_params(target, self.num_perm)
            object.__setattr__(self, "bands", bands)
            object.__setattr__(self, "rows", rows)
        _check_int("bands", self.bands, 1, self.num_perm)
        _check_int("rows", self.rows, 1, self.num_perm)
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}"
            )

    @property
    def id(self) -> str:
        """A stable, readable name for everything that determines stored fingerprints."""
        norm = "+".join(token for name, token in _NORMALISATION if getattr(self, name)) or "raw"
        return (
            f"v{FINGERPRINT_VERSION}-{self.shingle}{self.ngram}-p{self.num_perm}-s{self.seed}"
            f"-b{self.bands}r{self.rows}-{norm}-xxh64"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready settings (round-trips through :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        """Build from a mapping (a TOML table, JSON, environment); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        try:
            return cls(**dict(data))
        except TypeError as exc:  # pragma: no cover - guarded by the key check above
            raise ConfigError(str(exc)) from exc

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> Config:
        """Build from a config a file recorded (an index's ``meta``, a run's summary): a
        setting it lacks was not there when it was written, and takes the value it had then
        (:data:`RECORDED_BEFORE`), not today's default."""
        return cls.from_dict({**RECORDED_BEFORE, **data})

    def replace(self, **changes: Any) -> Config:
        """A copy with some settings changed; banding is re-derived unless given."""
        data = self.to_dict()
        if ("lsh_threshold" in changes or "num_perm" in changes) and "bands" not in changes:
            data["bands"] = data["rows"] = 0
        data.update(changes)
        return Config.from_dict(data)


def _check_int(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
