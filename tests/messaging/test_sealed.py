"""Credentials at rest: sealed under SECRET_KEY, tamper-evident, unreadable under another key."""

import pytest

from savdo.messaging import sealed


def test_round_trip_and_fresh_nonce():
    secret = '{"bot_token": "7412345678:AAHk3b2x9Qw", "note": "ёлка"}'
    one, two = sealed.seal(secret), sealed.seal(secret)
    assert one != two  # a new nonce every time
    assert secret not in one
    assert sealed.unseal(one) == sealed.unseal(two) == secret
    assert sealed.unseal(sealed.seal("")) == ""


def test_tampering_is_detected():
    token = sealed.seal("access-token-123")
    body = bytearray(token.encode())
    body[10] = ord("A") if body[10] != ord("A") else ord("B")
    with pytest.raises(sealed.Unsealable):
        sealed.unseal(body.decode())
    for broken in ("", "v2." + token[3:], "v1.***", "v1." + "A" * 8):
        with pytest.raises(sealed.Unsealable):
            sealed.unseal(broken)


def test_another_secret_key_cannot_read_it(settings):
    token = sealed.seal("access-token-123")
    settings.SECRET_KEY = "another-key-" + "x" * 50
    with pytest.raises(sealed.Unsealable):
        sealed.unseal(token)


def test_hkdf_matches_rfc5869_test_case_1():
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = sealed._hkdf(ikm, salt=salt, info=info, length=42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
