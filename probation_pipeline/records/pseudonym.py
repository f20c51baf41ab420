"""Pseudonymisation: the case reference number becomes a keyed HMAC, and is then forgotten."""

from __future__ import annotations

import hashlib
import hmac
import os
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

KEY_ENV = "PROBATION_PSEUDONYM_KEY"
CASE_ID_DIGITS = 20
# A fixed key so that a development run is reproducible. Real data must never use it.
DEVELOPMENT_KEY = "probation-pipeline-development-key-not-for-real-data"


class DevelopmentKeyWarning(UserWarning):
    """The pseudonym key came from the built-in development default, not the environment."""


class Pseudonymiser:
    """Keyed HMAC-SHA256 of identifiers. The key is never logged or stored."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError(f"{KEY_ENV} is set but empty")
        self._key = key.encode("utf-8")
        # Keyed once; each digest copies the keyed state instead of re-deriving it from the key.
        self._keyed = hmac.new(self._key, digestmod=hashlib.sha256)
        self._inner, self._outer = _keyed_states(self._key)

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return "Pseudonymiser(key=<hidden>)"

    def case_id(self, case_ref: str) -> str:
        """A stable 20-hex-digit pseudonym of one case reference number."""
        digest = self._keyed.copy()
        digest.update(case_ref.encode("utf-8"))
        return digest.hexdigest()[:CASE_ID_DIGITS]

    def fingerprint(self, values: Iterable[str]) -> str:
        """A keyed digest of a whole raw row, to tell exact duplicates without keeping the row."""
        digest = self._keyed.copy()
        digest.update("\x1f".join(values).encode("utf-8"))
        return digest.hexdigest()

    def case_ids(self, case_refs: Sequence[bytes]) -> pa.Array:
        """`case_id` of many UTF-8 encoded case references, as an Arrow string array."""
        return _hex_strings(self._digests(case_refs), CASE_ID_DIGITS)

    def fingerprints(self, joined_rows: Sequence[bytes]) -> pa.Array:
        """`fingerprint` of many rows, each given as its fields joined by U+001F, UTF-8 encoded,
        as an Arrow string array."""
        return _hex_strings(self._digests(joined_rows), 2 * hashlib.sha256().digest_size)

    def _digests(self, messages: Sequence[bytes]) -> bytes:
        """HMAC-SHA256 of each message (RFC 2104), the 32-byte digests concatenated.

        The same digests as `hmac.digest`, from SHA-256 states that have already absorbed the
        padded key: per message two state copies and two short updates, about a third of the
        cost of OpenSSL's one-shot HMAC, which sets the key up again for every message.
        """
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        digests = []
        append = digests.append
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            append(outer.digest())
        return b"".join(digests)


def _keyed_states(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states after the inner and outer padded key of HMAC (RFC 2104, section 2)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
    return inner, outer


def _hex_strings(digests: bytes, digits: int) -> pa.Array:
    """The first `digits` lower-case hex digits of each 32-byte digest, as Arrow strings."""
    size = hashlib.sha256().digest_size
    count = len(digests) // size
    text = np.frombuffer(digests.hex().encode("ascii"), dtype=np.uint8).reshape(count, 2 * size)
    data = np.ascontiguousarray(text[:, :digits])
    offsets = np.arange(0, (count + 1) * digits, digits, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def pseudonymiser_from_env() -> tuple[Pseudonymiser, bool]:
    """The pseudonymiser keyed from `PROBATION_PSEUDONYM_KEY`, and whether the dev key was used.

    Without the variable, the development key is used and a `DevelopmentKeyWarning` is issued.
    """
    key = os.environ.get(KEY_ENV)
    if key is None:
        warnings.warn(
            f"{KEY_ENV} is not set: using the built-in development key. Pseudonyms are not "
            "secret; set the variable before processing real case data.",
            DevelopmentKeyWarning,
            stacklevel=2,
        )
        return Pseudonymiser(DEVELOPMENT_KEY), True
    return Pseudonymiser(key), False
