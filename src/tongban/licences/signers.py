"""Signers: where private keys live and how data gets signed (签名服务).

`Signer` is the interface: `create_key(algorithm)` makes a new key (an unsaved SigningKey holding the public key and
whatever the implementation needs to find the private key again) and `sign(data)` returns the signature with the
certificate of the key. Signatures are DER SEQUENCE{r, s}: SM2 with SM3 over Z_A || data with the user id
1234567812345678 (core.crypto), or ECDSA P-256 with SHA-256.

- `LocalSigner` (default) generates keys in software and keeps the private key in the database, encrypted with
  SM4-GCM under a key derived from TONGBAN_MASTER_KEY (HKDF-SM3), bound to the public key as associated data. The
  plain key exists only in memory while signing and is never logged, exported or shown.
- `HsmSigner` is where a deployment plugs in a hardware security module (密码机, GM/T 0018 SDF or PKCS#11): keys
  are generated inside the module and only a handle is stored (`SigningKey.hsm_reference`).

TONGBAN_SIGNER (docs/configuration.md) chooses the implementation for new keys; an existing key is always used
through the implementation that made it (`SigningKey.backend`), so switching to an HSM does not strand old keys.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.module_loading import import_string

from tongban.core import crypto
from tongban.core.errors import DomainError
from tongban.licences.errors import LicenceError
from tongban.licences.models import Certificate, KeyAlgorithm, SigningKey

_WRAP_INFO = b"tongban licences signing-key wrap v1"
_KEY_ID_INFO = b"tongban licences master key id v1"


class Signature(NamedTuple):
    """A signature value (DER) and the certificate of the key that made it (None while a root signs itself)."""

    value: bytes
    certificate: Certificate | None


class Signer(ABC):
    """Signs with one SigningKey. Subclasses say how keys are created and where the private half lives."""

    def __init__(self, key: SigningKey):
        self.key = key

    @classmethod
    def backend_path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    @classmethod
    @abstractmethod
    def create_key(cls, algorithm: str) -> SigningKey:
        """A new key pair of `algorithm` as an unsaved SigningKey (public key set, private half stored or held)."""

    @abstractmethod
    def sign_bytes(self, data: bytes) -> bytes:
        """The DER signature of data with this key."""

    def sign(self, data: bytes) -> Signature:
        """Sign data: (signature, certificate)."""
        try:
            certificate = self.key.certificate
        except Certificate.DoesNotExist:
            certificate = None
        return Signature(self.sign_bytes(data), certificate)


def new_key_signer_class() -> type[Signer]:
    """The implementation that creates new keys (TONGBAN_SIGNER)."""
    return import_string(settings.TONGBAN_SIGNER)


def signer_for(key: SigningKey) -> Signer:
    """The signer for an existing key: always the implementation that created it."""
    return import_string(key.backend)(key)


# ---------------------------------------------------------------------------------------------------------------
# Local software signer


@functools.lru_cache(maxsize=4)
def _wrapping_key(master: bytes) -> tuple[str, bytes]:
    """(key id, 16-byte SM4 key) derived from the master key; the id lets a changed master key fail clearly."""
    wrap = HKDF(algorithm=hashes.SM3(), length=crypto.SM4_KEY_LENGTH, salt=None, info=_WRAP_INFO).derive(master)
    return crypto.hmac_sm3(master, _KEY_ID_INFO).hex()[:16], wrap


def master_key_id() -> str:
    """The id of the current master key (recorded on each encrypted private key)."""
    return _wrapping_key(settings.TONGBAN_MASTER_KEY)[0]


def _aad(public_key_der: bytes) -> bytes:
    # Binds each ciphertext to its public key: a private key copied onto another key's row does not decrypt.
    return b"licences.signingkey\0" + crypto.sm3_digest(public_key_der)


def _generate(algorithm: str) -> tuple[bytes, bytes]:
    """(SubjectPublicKeyInfo DER, private key bytes): the SM2 scalar, or ECDSA PKCS#8 DER."""
    if algorithm == KeyAlgorithm.SM2:
        pair = crypto.sm2_generate_keypair()
        return crypto.sm2_public_key_to_der(pair.public_key), pair.private_key
    if algorithm == KeyAlgorithm.ECDSA_P256:
        private = ec.generate_private_key(ec.SECP256R1())
        public_der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private_der = private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return public_der, private_der
    raise ValueError(f"unknown key algorithm {algorithm!r}")


class LocalSigner(Signer):
    """Software keys, encrypted at rest under TONGBAN_MASTER_KEY (the default)."""

    @classmethod
    def create_key(cls, algorithm: str) -> SigningKey:
        public_der, private = _generate(algorithm)
        key_id, wrap = _wrapping_key(settings.TONGBAN_MASTER_KEY)
        return SigningKey(
            algorithm=algorithm,
            backend=cls.backend_path(),
            public_key=public_der,
            encrypted_private_key=crypto.sm4_gcm_encrypt(wrap, private, aad=_aad(public_der)),
            master_key_id=key_id,
        )

    def _private_key(self) -> bytes:
        key_id, wrap = _wrapping_key(settings.TONGBAN_MASTER_KEY)
        if self.key.master_key_id != key_id:
            raise DomainError(LicenceError.MASTER_KEY_MISMATCH)
        public_der = bytes(self.key.public_key)
        try:
            return crypto.sm4_gcm_decrypt(wrap, bytes(self.key.encrypted_private_key), aad=_aad(public_der))
        except crypto.DecryptionError:
            raise DomainError(LicenceError.MASTER_KEY_MISMATCH) from None

    def sign_bytes(self, data: bytes) -> bytes:
        private = self._private_key()
        if self.key.algorithm == KeyAlgorithm.SM2:
            return crypto.sm2_sign(private, data)
        loaded = serialization.load_der_private_key(private, password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        return loaded.sign(data, ec.ECDSA(hashes.SHA256()))


class HsmSigner(Signer):
    """The place for a hardware security module (密码机 / 签名服务器). Not usable until a deployment implements it.

    To implement: `create_key` asks the module to generate an SM2 or P-256 key pair, exports only the public key as
    SubjectPublicKeyInfo DER, and returns SigningKey(algorithm, backend=cls.backend_path(), public_key=...,
    hsm_reference=<the module's key label or index>) with no encrypted_private_key. `sign_bytes` asks the module to
    sign: for SM2 the module computes Z_A with the user id 1234567812345678 and SM3 (SDF_InternalSign_ECC over
    SM3(Z_A || data), GM/T 0018), returning DER SEQUENCE{r, s}; for ECDSA, SHA-256. Point TONGBAN_SIGNER at the
    subclass; keys made earlier by LocalSigner keep working through LocalSigner.
    """

    @classmethod
    def create_key(cls, algorithm: str) -> SigningKey:
        raise DomainError(LicenceError.SIGNER_UNAVAILABLE, "HsmSigner 需由部署方接入密码设备后使用")

    def sign_bytes(self, data: bytes) -> bytes:
        raise DomainError(LicenceError.SIGNER_UNAVAILABLE, "HsmSigner 需由部署方接入密码设备后使用")
