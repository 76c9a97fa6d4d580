"""Channel credentials at rest: sealed (encrypted and authenticated) with a key derived from
`SECRET_KEY`, so a database dump alone gives no bot token, access token or webhook secret.

The installed packages offer no cipher (no `cryptography`), so the construction is built from the
one standard primitive the standard library has, HMAC-SHA256:

- keys: HKDF-SHA256 (RFC 5869) of `settings.SECRET_KEY`, one key for the keystream and one for
  the tag (`_keys`);
- encryption: HMAC-SHA256 used as a PRF in counter mode over a random 16-byte nonce (a stream
  cipher; the nonce is never reused in practice: 2^128 space);
- authentication: encrypt-then-MAC, an HMAC-SHA256 tag over version, nonce and ciphertext,
  checked in constant time before anything is decrypted.

Token format: `v1.` + urlsafe base64 of nonce | ciphertext | tag. Changing `SECRET_KEY` makes
sealed values unreadable (`Unsealable`): the channel then has to be connected again.
"""

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from django.conf import settings

VERSION = b"v1"
NONCE_BYTES = 16
TAG_BYTES = 32
BLOCK = hashlib.sha256().digest_size


class Unsealable(Exception):
    """A sealed value that was tampered with, or sealed under another SECRET_KEY."""


def _hkdf(key_material: bytes, *, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869): extract, then expand."""
    prk = hmac.new(salt, key_material, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


@lru_cache(maxsize=4)
def _keys(secret_key: str) -> tuple[bytes, bytes]:
    material = secret_key.encode()
    salt = b"savdo.messaging.sealed"
    return (
        _hkdf(material, salt=salt, info=b"v1 keystream"),
        _hkdf(material, salt=salt, info=b"v1 tag"),
    )


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + BLOCK - 1) // BLOCK
    return b"".join(hmac.new(key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest() for i in range(blocks))[
        :length
    ]


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def seal(plaintext: str) -> str:
    """`plaintext` encrypted and authenticated under the current SECRET_KEY."""
    stream_key, tag_key = _keys(settings.SECRET_KEY)
    data = plaintext.encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = _xor(data, _keystream(stream_key, nonce, len(data))) if data else b""
    tag = hmac.new(tag_key, VERSION + nonce + ciphertext, hashlib.sha256).digest()
    return VERSION.decode() + "." + base64.urlsafe_b64encode(nonce + ciphertext + tag).decode()


def unseal(token: str) -> str:
    """The plaintext of a `seal()` token; raises Unsealable if it was altered or sealed elsewhere."""
    version, _, body = (token or "").partition(".")
    if version.encode() != VERSION:
        raise Unsealable("unknown version")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except (ValueError, TypeError) as exc:
        raise Unsealable("not base64") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise Unsealable("too short")
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    stream_key, tag_key = _keys(settings.SECRET_KEY)
    expected = hmac.new(tag_key, VERSION + nonce + ciphertext, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, tag):
        raise Unsealable("bad tag")
    data = _xor(ciphertext, _keystream(stream_key, nonce, len(ciphertext))) if ciphertext else b""
    return data.decode()
