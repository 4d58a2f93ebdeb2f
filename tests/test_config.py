"""Specification of dedup.config: validation, the stable id, and (de)serialisation."""

from __future__ import annotations

import json
import re

import pytest

from dedup import Config, ConfigError
from dedup.config import FINGERPRINT_VERSION

DEFAULT_ID = "v1-word5-p128-s1-b32r4-nfkc+casefold+variants-xxh64"
# The default id before ``fold_variants`` existed, held by the indexes made then.
OLD_DEFAULT_ID = "v1-word5-p128-s1-b32r4-nfkc+casefold-xxh64"


def test_default_id_is_pinned():
    """The default configuration's id is a fixed, readable string."""
    assert FINGERPRINT_VERSION == 1
    assert Config().id == DEFAULT_ID


def test_id_is_stable_across_instances_and_round_trips():
    """Equal settings give equal ids, however the Config was built."""
    config = Config(num_perm=64, seed=3, shingle="char", ngram=7, nfkc=False)
    assert Config(num_perm=64, seed=3, shingle="char", ngram=7, nfkc=False).id == config.id
    assert Config.from_dict(config.to_dict()).id == config.id
    assert config.id == "v1-char7-p64-s3-b16r4-casefold+variants-xxh64"
    assert Config(nfkc=False, casefold=False, fold_variants=False).id.endswith("-raw-xxh64")
    assert re.fullmatch(r"[a-z0-9+-]+", config.id)


@pytest.mark.parametrize(
    "change",
    [
        {"num_perm": 256},
        {"seed": 2},
        {"shingle": "char"},
        {"ngram": 4},
        {"nfkc": False},
        {"casefold": False},
        {"fold_variants": False},
        {"bands": 16, "rows": 8},
        {"bands": 32, "rows": 3},
        {"lsh_threshold": 0.8},  # through the banding it selects
    ],
)
def test_id_changes_with_every_stored_setting(change):
    """Changing anything that changes stored fingerprints or band keys changes the id."""
    assert Config(**change).id != DEFAULT_ID


def test_the_old_normalisation_has_the_old_id():
    """With ``fold_variants`` off, the id is the one indexes made before it was added hold."""
    assert Config(fold_variants=False).id == OLD_DEFAULT_ID


def test_a_stored_config_without_fold_variants_is_read_as_made():
    """A config recorded before ``fold_variants`` existed was made without it."""
    recorded = {k: v for k, v in Config().to_dict().items() if k != "fold_variants"}
    assert Config.from_stored(recorded).fold_variants is False
    assert Config.from_stored(recorded).id == OLD_DEFAULT_ID
    assert Config.from_stored(Config().to_dict()) == Config()


def test_given_settings_without_fold_variants_get_the_default():
    """Settings a user gives (a file, flags) that do not name it take today's default."""
    assert Config.from_dict({"ngram": 3}).fold_variants is True


@pytest.mark.parametrize("threshold", [0.5, 0.9, 1.0])
def test_id_ignores_the_verification_threshold(threshold):
    """The verification threshold is not stored, so it is not part of the id."""
    assert Config(threshold=threshold).id == DEFAULT_ID


def test_id_ignores_an_lsh_threshold_that_selects_the_same_banding():
    """Only the banding an lsh_threshold selects is stored, not the number itself."""
    assert (Config(lsh_threshold=0.41).bands, Config(lsh_threshold=0.41).rows) == (32, 4)
    assert Config(lsh_threshold=0.41).id == DEFAULT_ID


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"num_perm": 1}, "num_perm must be between 2 and 4096, got 1"),
        ({"num_perm": 5000}, "num_perm must be between 2 and 4096"),
        ({"num_perm": 128.0}, "num_perm must be an integer"),
        ({"num_perm": True}, "num_perm must be an integer"),
        ({"seed": -1}, "seed must be between 0 and 4294967295"),
        ({"seed": 2**32}, "seed must be between"),
        ({"ngram": 0}, "ngram must be between 1 and 64"),
        ({"ngram": "5"}, "ngram must be an integer"),
        ({"shingle": "sentence"}, "shingle must be 'word' or 'char', got 'sentence'"),
        ({"nfkc": 1}, "nfkc must be true or false"),
        ({"casefold": "yes"}, "casefold must be true or false"),
        ({"threshold": 0.0}, r"threshold must be in \(0, 1\], got 0.0"),
        ({"threshold": 1.5}, r"threshold must be in \(0, 1\]"),
        ({"threshold": float("nan")}, r"threshold must be in \(0, 1\]"),
        ({"threshold": "0.8"}, "threshold must be a number"),
        ({"threshold": True}, "threshold must be a number"),
        ({"lsh_threshold": -0.1}, r"lsh_threshold must be in \(0, 1\]"),
        ({"bands": 16}, "set both bands and rows, or neither"),
        ({"rows": 8}, "set both bands and rows, or neither"),
        ({"bands": 64, "rows": 4}, "bands x rows = 256 exceeds num_perm = 128"),
        ({"bands": -1, "rows": -1}, "bands must be between 1 and 128"),
        ({"bands": 2, "rows": 200}, "rows must be between 1 and 128"),
    ],
)
def test_invalid_settings_raise_config_error(settings, message):
    """Every out-of-range or mistyped setting is a ConfigError saying what is wrong."""
    with pytest.raises(ConfigError, match=message):
        Config(**settings)


def test_config_error_is_a_value_error():
    """ConfigError is also a ValueError, for callers that catch the standard type."""
    with pytest.raises(ValueError):
        Config(ngram=0)


def test_banding_is_derived_from_lsh_threshold():
    """Without explicit banding, bands and rows are chosen for lsh_threshold."""
    config = Config(lsh_threshold=0.8)
    assert (config.bands, config.rows) == (9, 13)
    assert config.bands * config.rows <= config.num_perm


def test_lsh_threshold_of_one_is_allowed():
    """An lsh_threshold of 1 is valid and bands for 0.99."""
    config = Config(lsh_threshold=1.0)
    assert config.bands * config.rows <= config.num_perm


def test_to_dict_from_dict_round_trip():
    """``from_dict(to_dict())`` rebuilds an equal Config, also through JSON."""
    config = Config(num_perm=64, seed=7, shingle="char", ngram=3, threshold=0.7, bands=8, rows=8)
    data = config.to_dict()
    assert data == {
        "num_perm": 64,
        "seed": 7,
        "shingle": "char",
        "ngram": 3,
        "nfkc": True,
        "casefold": True,
        "fold_variants": True,
        "threshold": 0.7,
        "lsh_threshold": 0.4,
        "bands": 8,
        "rows": 8,
    }
    assert Config.from_dict(data) == config
    assert Config.from_dict(json.loads(json.dumps(data))) == config


def test_from_dict_takes_a_partial_mapping():
    """Missing settings take their defaults."""
    assert Config.from_dict({"ngram": 3}) == Config(ngram=3)


def test_unknown_keys_are_rejected():
    """Unknown settings are a ConfigError that names them all, sorted."""
    with pytest.raises(ConfigError, match="unknown setting\\(s\\): nperm, shingles"):
        Config.from_dict({"shingles": "word", "nperm": 128, "ngram": 5})


def test_replace_rederives_banding_only_when_it_should():
    """``replace`` re-derives banding for a new lsh_threshold or num_perm, not otherwise."""
    base = Config(bands=16, rows=8)
    assert (base.replace(threshold=0.5).bands, base.replace(threshold=0.5).rows) == (16, 8)
    assert (base.replace(lsh_threshold=0.8).bands, base.replace(lsh_threshold=0.8).rows) == (9, 13)
    assert base.replace(num_perm=64).bands * base.replace(num_perm=64).rows <= 64
    kept = base.replace(lsh_threshold=0.8, bands=4, rows=4)
    assert (kept.bands, kept.rows) == (4, 4)


def test_config_is_frozen_and_hashable():
    """A Config cannot be changed in place and can key a dict."""
    config = Config()
    with pytest.raises(AttributeError):
        config.ngram = 3  # type: ignore[misc]
    assert {config: 1}[Config()] == 1
