"""Batched keyed digests are the HMAC-SHA256 of Python's `hmac` module, whatever the key."""

import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from probation_pipeline.records.pseudonym import Pseudonymiser

# Keys shorter than, equal to and longer than SHA-256's 64-byte block (hashed first, RFC 2104).
KEYS = st.sampled_from(["k", "test-key", "x" * 64, "y" * 65, "långt lösenord " * 10])


@settings(max_examples=50, deadline=None)
@given(key=KEYS, messages=st.lists(st.binary(max_size=300), max_size=20))
def test_batched_digests_are_hmac_sha256(key, messages):
    pseudonymiser = Pseudonymiser(key)
    expected = [hmac.digest(key.encode(), m, hashlib.sha256).hex() for m in messages]
    assert pseudonymiser.fingerprints(messages).to_pylist() == expected
    assert pseudonymiser.case_ids(messages).to_pylist() == [e[:20] for e in expected]


@given(key=KEYS, ref=st.text(max_size=12))
def test_batched_and_single_digests_agree(key, ref):
    pseudonymiser = Pseudonymiser(key)
    assert pseudonymiser.case_ids([ref.encode()]).to_pylist() == [pseudonymiser.case_id(ref)]
    row = [ref, "Yes", ""]
    joined = "\x1f".join(row).encode()
    assert pseudonymiser.fingerprints([joined]).to_pylist() == [pseudonymiser.fingerprint(row)]
