"""National cryptography (商用密码): SM3 hashing and HMAC-SM3, SM2 signatures, SM4-GCM encryption.

- SM3 (GB/T 32905) through gmalglib; HMAC-SM3 (RFC 2104 over SM3) through OpenSSL when it has SM3.
- SM2 (GB/T 32918) through gmalglib: signatures over Z_A || M with SM3 and a user id (default 1234567812345678,
  GB/T 35276), encoded as DER SEQUENCE{r, s}; keys as PKCS#8 / SubjectPublicKeyInfo PEM with curve OID
  1.2.156.10197.1.301, the forms OpenSSL 3 reads and writes.
- SM4 (GB/T 32907) in GCM mode (RFC 8998) through `cryptography`: nonce (12) || ciphertext || tag (16).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

import gmalglib
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmalglib import sm2 as _sm2

SM2_DEFAULT_USER_ID = b"1234567812345678"
SM4_KEY_LENGTH = 16
GCM_NONCE_LENGTH = 12
GCM_TAG_LENGTH = 16


class CryptoError(Exception):
    """Base of the errors raised by this module."""


class KeyFormatError(CryptoError, ValueError):
    """A key (raw bytes or PEM) is malformed, of the wrong length or not on the SM2 curve."""


class DecryptionError(CryptoError):
    """Ciphertext could not be authenticated: wrong key, wrong associated data, truncated or tampered."""


# ---------------------------------------------------------------------------------------------------------------
# SM3 and HMAC-SM3


def sm3_digest(data: bytes) -> bytes:
    """SM3 hash (GB/T 32905) of data: 32 bytes."""
    return gmalglib.sm3_digest(data)


def sm3_hex(data: bytes) -> str:
    return sm3_digest(data).hex()


def _openssl_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


_SM3_BLOCK_SIZE = 64
_OPENSSL_SM3 = _openssl_has_sm3()


def _hmac_sm3_gmalglib(key: bytes, data: bytes) -> bytes:
    """RFC 2104 HMAC over gmalglib's SM3, for OpenSSL builds without SM3.

    Not gmalglib.sm3_mac: that is SM3(data || key), a plain keyed hash, not HMAC.
    """
    if len(key) > _SM3_BLOCK_SIZE:
        key = sm3_digest(key)
    key = key.ljust(_SM3_BLOCK_SIZE, b"\0")
    inner = sm3_digest(bytes(b ^ 0x36 for b in key) + data)
    return sm3_digest(bytes(b ^ 0x5C for b in key) + inner)


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3 (RFC 2104 with SM3, GB/T 15852.2): 32 bytes."""
    if _OPENSSL_SM3:
        return hmac.digest(key, data, "sm3")
    return _hmac_sm3_gmalglib(key, data)


# ---------------------------------------------------------------------------------------------------------------
# Minimal DER, only what SM2 keys and signatures need (cryptography cannot load keys on the SM2 curve).


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_oid(dotted: str) -> bytes:
    first, second, *rest = (int(part) for part in dotted.split("."))
    body = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


def _der_read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Read one TLV at offset: (tag, content, offset after it). Definite lengths only, as DER requires."""
    try:
        tag, first = data[offset], data[offset + 1]
        offset += 2
        if first & 0x80:
            count = first & 0x7F
            if count == 0 or count > 4:
                raise KeyFormatError("DER length form not supported")
            size = int.from_bytes(data[offset : offset + count], "big")
            offset += count
        else:
            size = first
    except IndexError:
        raise KeyFormatError("DER data truncated") from None
    end = offset + size
    if end > len(data):
        raise KeyFormatError("DER data truncated")
    return tag, data[offset:end], end


def _der_items(content: bytes) -> list[tuple[int, bytes]]:
    items, offset = [], 0
    while offset < len(content):
        tag, value, offset = _der_read(content, offset)
        items.append((tag, value))
    return items


def _der_sequence(data: bytes) -> list[tuple[int, bytes]]:
    tag, content, end = _der_read(data)
    if tag != 0x30 or end != len(data):
        raise KeyFormatError("expected one DER SEQUENCE")
    return _der_items(content)


_SEQUENCE, _INTEGER, _BIT_STRING, _OCTET_STRING = 0x30, 0x02, 0x03, 0x04
_OID_EC_PUBLIC_KEY = _der_oid("1.2.840.10045.2.1")
_OID_SM2_CURVE = _der_oid("1.2.156.10197.1.301")
_SM2_ALGORITHM = _der(_SEQUENCE, _OID_EC_PUBLIC_KEY + _OID_SM2_CURVE)


def _check_algorithm(tag: int, content: bytes) -> None:
    if tag != _SEQUENCE or _der(_SEQUENCE, content) != _SM2_ALGORITHM:
        raise KeyFormatError("not an SM2 key (expected id-ecPublicKey with curve 1.2.156.10197.1.301)")


# ---------------------------------------------------------------------------------------------------------------
# SM2 keys


def _check_public_key(public_key: bytes) -> bytes:
    """Return the uncompressed 65-byte point, accepting compressed input; refuse points not on the curve."""
    if not isinstance(public_key, bytes | bytearray) or not _sm2.SM2.is_pk_valid(bytes(public_key)):
        raise KeyFormatError("invalid SM2 public key")
    return _sm2.SM2.convert_pk(bytes(public_key), _sm2.SM2_PCMODE_RAW)


def _check_private_key(private_key: bytes) -> bytes:
    if not isinstance(private_key, bytes | bytearray) or len(private_key) != _sm2.SM2_SK_LENGTH:
        raise KeyFormatError("an SM2 private key is 32 bytes")
    if not _sm2.SM2.is_sk_valid(bytes(private_key)):
        raise KeyFormatError("SM2 private key out of range")
    return bytes(private_key)


@dataclass(frozen=True, repr=False)
class Sm2KeyPair:
    """An SM2 key pair: the 32-byte private scalar and the 65-byte uncompressed public point (04 || x || y)."""

    private_key: bytes
    public_key: bytes

    def __repr__(self) -> str:  # never print the private key into logs or tracebacks
        return f"Sm2KeyPair(public_key={self.public_key.hex()[:18]}…)"

    def private_key_pem(self) -> str:
        return sm2_private_key_to_pem(self.private_key)

    def public_key_pem(self) -> str:
        return sm2_public_key_to_pem(self.public_key)


def sm2_generate_keypair() -> Sm2KeyPair:
    """A fresh SM2 key pair (gmalglib draws from /dev/urandom)."""
    private_key, public_key = gmalglib.sm2_generate_keypair()
    return Sm2KeyPair(private_key=private_key, public_key=public_key)


def sm2_public_key_from_private(private_key: bytes) -> bytes:
    return _sm2.SM2.get_pk(_check_private_key(private_key), _sm2.SM2_PCMODE_RAW)


def _pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _unpem(label: str, pem: str | bytes) -> bytes:
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
    match = re.search(rf"-----BEGIN {label}-----(.*?)-----END {label}-----", text, re.S)
    if match is None:
        raise KeyFormatError(f"no PEM block labelled {label}")
    try:
        return base64.b64decode("".join(match.group(1).split()), validate=True)
    except ValueError:
        raise KeyFormatError("PEM body is not base64") from None


def sm2_public_key_to_der(public_key: bytes) -> bytes:
    """SubjectPublicKeyInfo: SEQUENCE{ SEQUENCE{id-ecPublicKey, sm2}, BIT STRING(04 || x || y) }."""
    point = _check_public_key(public_key)
    return _der(_SEQUENCE, _SM2_ALGORITHM + _der(_BIT_STRING, b"\0" + point))


def sm2_public_key_to_pem(public_key: bytes) -> str:
    return _pem("PUBLIC KEY", sm2_public_key_to_der(public_key))


def sm2_load_public_key_der(der: bytes) -> bytes:
    """The 65-byte uncompressed public point from an SM2 SubjectPublicKeyInfo."""
    items = _der_sequence(der)
    if len(items) != 2 or items[1][0] != _BIT_STRING:
        raise KeyFormatError("malformed SubjectPublicKeyInfo")
    _check_algorithm(*items[0])
    bits = items[1][1]
    if not bits or bits[0] != 0:
        raise KeyFormatError("malformed public key BIT STRING")
    return _check_public_key(bits[1:])


def sm2_load_public_key_pem(pem: str | bytes) -> bytes:
    return sm2_load_public_key_der(_unpem("PUBLIC KEY", pem))


def sm2_private_key_to_der(private_key: bytes) -> bytes:
    """PKCS#8 PrivateKeyInfo wrapping an RFC 5915 ECPrivateKey (with its public key, as OpenSSL writes it)."""
    scalar = _check_private_key(private_key)
    point = sm2_public_key_from_private(scalar)
    ec_private_key = _der(
        _SEQUENCE,
        _der(_INTEGER, b"\x01") + _der(_OCTET_STRING, scalar) + _der(0xA1, _der(_BIT_STRING, b"\0" + point)),
    )
    return _der(_SEQUENCE, _der(_INTEGER, b"\x00") + _SM2_ALGORITHM + _der(_OCTET_STRING, ec_private_key))


def sm2_private_key_to_pem(private_key: bytes) -> str:
    return _pem("PRIVATE KEY", sm2_private_key_to_der(private_key))


def sm2_load_private_key_der(der: bytes) -> Sm2KeyPair:
    """An SM2 key pair from PKCS#8 DER (unencrypted); the embedded public key, if any, must match."""
    items = _der_sequence(der)
    if len(items) < 3 or items[0][0] != _INTEGER or items[2][0] != _OCTET_STRING:
        raise KeyFormatError("malformed PKCS#8 PrivateKeyInfo")
    _check_algorithm(*items[1])
    inner = _der_sequence(items[2][1])
    if len(inner) < 2 or inner[0] != (_INTEGER, b"\x01") or inner[1][0] != _OCTET_STRING:
        raise KeyFormatError("malformed ECPrivateKey")
    scalar = _check_private_key(inner[1][1].rjust(_sm2.SM2_SK_LENGTH, b"\0"))
    public_key = sm2_public_key_from_private(scalar)
    for tag, content in inner[2:]:
        if tag == 0xA1:
            bit_tag, bits, _ = _der_read(content)
            if bit_tag != _BIT_STRING or bits[:1] != b"\0" or _check_public_key(bits[1:]) != public_key:
                raise KeyFormatError("embedded public key does not match the private key")
    return Sm2KeyPair(private_key=scalar, public_key=public_key)


def sm2_load_private_key_pem(pem: str | bytes) -> Sm2KeyPair:
    return sm2_load_private_key_der(_unpem("PRIVATE KEY", pem))


# ---------------------------------------------------------------------------------------------------------------
# SM2 signatures


def _check_user_id(user_id: bytes) -> bytes:
    if not isinstance(user_id, bytes) or len(user_id) > _sm2.SM2_UID_MAX_LENGTH:
        raise CryptoError("SM2 user id must be bytes of at most 8191 bytes")
    return user_id


def sm2_sign(private_key: bytes, message: bytes, *, user_id: bytes = SM2_DEFAULT_USER_ID) -> bytes:
    """SM2 signature with SM3 over Z_A(user_id) || message, DER-encoded as SEQUENCE{r INTEGER, s INTEGER}."""
    signer = _sm2.SM2(sk=_check_private_key(private_key), uid=_check_user_id(user_id))
    raw = signer.sign(message)  # gmalglib returns r || s, 32 bytes each
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def sm2_verify(
    public_key: bytes, message: bytes, signature_der: bytes, *, user_id: bytes = SM2_DEFAULT_USER_ID
) -> bool:
    """True when signature_der is a valid SM2 signature of message; False for any bad or malformed signature.

    An invalid public key raises KeyFormatError: that is the caller's mistake, not a forged signature.
    """
    point = _check_public_key(public_key)
    try:
        r, s = decode_dss_signature(signature_der)
    except (ValueError, TypeError):
        return False
    if r.bit_length() > 256 or s.bit_length() > 256 or r <= 0 or s <= 0:
        return False
    if encode_dss_signature(r, s) != signature_der:  # refuse non-canonical encodings (signature malleability)
        return False
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return _sm2.SM2(pk=point, uid=_check_user_id(user_id)).verify(message, raw)


# ---------------------------------------------------------------------------------------------------------------
# SM4-GCM


def _check_sm4_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) != SM4_KEY_LENGTH:
        raise KeyFormatError("an SM4 key is 16 bytes")
    return key


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, *, aad: bytes = b"") -> bytes:
    """SM4-GCM (RFC 8998) with a random 96-bit nonce: nonce (12) || ciphertext || tag (16)."""
    nonce = os.urandom(GCM_NONCE_LENGTH)
    encryptor = Cipher(algorithms.SM4(_check_sm4_key(key)), modes.GCM(nonce)).encryptor()
    if aad:
        encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + ciphertext + encryptor.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes, *, aad: bytes = b"") -> bytes:
    """Inverse of sm4_gcm_encrypt; raises DecryptionError unless key, aad and every byte of blob are right."""
    _check_sm4_key(key)
    if len(blob) < GCM_NONCE_LENGTH + GCM_TAG_LENGTH:
        raise DecryptionError("ciphertext too short")
    nonce, ciphertext, tag = blob[:GCM_NONCE_LENGTH], blob[GCM_NONCE_LENGTH:-GCM_TAG_LENGTH], blob[-GCM_TAG_LENGTH:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    if aad:
        decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError("SM4-GCM authentication failed") from None
