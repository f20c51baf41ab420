"""Pseudonymisation: the case reference number becomes a keyed HMAC, and is then forgotten."""

from __future__ import annotations

import hashlib
import hmac
import os
import warnings
from collections.abc import Iterable, Sequence

KEY_ENV = "PROBATION_PSEUDONYM_KEY"
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

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return "Pseudonymiser(key=<hidden>)"

    def case_id(self, case_ref: str) -> str:
        """A stable 20-hex-digit pseudonym of one case reference number."""
        digest = self._keyed.copy()
        digest.update(case_ref.encode("utf-8"))
        return digest.hexdigest()[:20]

    def fingerprint(self, values: Iterable[str]) -> str:
        """A keyed digest of a whole raw row, to tell exact duplicates without keeping the row."""
        digest = self._keyed.copy()
        digest.update("\x1f".join(values).encode("utf-8"))
        return digest.hexdigest()

    def case_ids(self, case_refs: Sequence[bytes]) -> list[str]:
        """`case_id` of many UTF-8 encoded case references (OpenSSL's one-shot HMAC per value)."""
        key = self._key
        return [hmac.digest(key, ref, "sha256").hex()[:20] for ref in case_refs]

    def fingerprints(self, joined_rows: Sequence[bytes]) -> list[str]:
        """`fingerprint` of many rows, each given as its fields joined by U+001F, UTF-8 encoded."""
        key = self._key
        return [hmac.digest(key, row, "sha256").hex() for row in joined_rows]


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
