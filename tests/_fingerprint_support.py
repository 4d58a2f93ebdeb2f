"""Helpers of the fingerprint tests: article texts, shingles and MinHash as datasketch does it."""

from __future__ import annotations

import json
from pathlib import Path

import xxhash
from datasketch import MinHash

from dedup import Config, tokenize

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "web-articles.jsonl"
EMPTY_SIGNATURE = [0xFFFFFFFF] * 128


def articles(limit: int = 20) -> list[str]:
    with CORPUS.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line, _ in zip(f, range(limit), strict=False)]


def shingle_strings(text: str, config: Config) -> list[bytes]:
    """The shingles of a text as bytes, built in plain Python (as a datasketch user would)."""
    tokens = tokenize(text, nfkc=config.nfkc, casefold=config.casefold).words
    stream = " ".join(tokens)
    units: list[str] = tokens if config.shingle == "word" else list(stream)
    joiner = " " if config.shingle == "word" else ""
    n = config.ngram
    if not units:
        return []
    if len(units) <= n:
        return [stream.encode()]
    return [joiner.join(units[i : i + n]).encode() for i in range(len(units) - n + 1)]


def datasketch_minhash(text: str, config: Config) -> MinHash:
    m = MinHash(
        num_perm=config.num_perm,
        seed=config.seed,
        hashfunc=lambda b: xxhash.xxh64_intdigest(b) & 0xFFFFFFFF,
    )
    m.update_batch(shingle_strings(text, config))
    return m
