"""National cryptography: known-answer vectors and interoperability with the OpenSSL command line."""

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tongban.core import crypto

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl 命令行不在 PATH 中")


# --- SM3 / HMAC-SM3 -----------------------------------------------------------------------------------------------


def test_sm3_gbt32905_example_1_abc():
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_gbt32905_example_2_64_bytes():
    assert crypto.sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


# Answers computed with `printf 'The quick brown fox' | openssl dgst -sm3 -hmac key` (and a 100-byte key).
HMAC_CASES = [
    (b"key", b"The quick brown fox", "8d54716c0553990422ad09e63a7237386696a8952f64e546a4dee3b89a931a35"),
    (b"k" * 100, b"data", "d2e3191973421dc0792b6ec5e1a5b5c26652d764b024ba8c20221f0396fedfe8"),
]


@pytest.mark.parametrize(("key", "data", "expected"), HMAC_CASES)
def test_hmac_sm3_known_answers_both_implementations(key, data, expected):
    assert crypto.hmac_sm3(key, data).hex() == expected
    assert crypto._hmac_sm3_gmalglib(key, data).hex() == expected


@needs_openssl
def test_hmac_sm3_matches_openssl_cli():
    key, data = b"tongban-index-key", "浙江省杭州市".encode()
    out = subprocess.run(
        [OPENSSL, "dgst", "-sm3", "-hmac", key.decode()], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert out.strip().endswith(crypto.hmac_sm3(key, data).hex())


# --- SM4 ----------------------------------------------------------------------------------------------------------


def test_sm4_gbt32907_block_example():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 -- one block, the standard test
    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_rfc8998_vector():
    """RFC 8998 appendix A.1, through the same Cipher/GCM path sm4_gcm_encrypt uses."""
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    blob = nonce + bytes.fromhex(
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"
    )
    assert crypto.sm4_gcm_decrypt(key, blob, aad=aad) == plaintext


def test_sm4_gcm_round_trip_layout_and_fresh_nonces():
    key = bytes(range(16))
    first = crypto.sm4_gcm_encrypt(key, b"330122199001011234", aad=b"accounts.user.id_number")
    second = crypto.sm4_gcm_encrypt(key, b"330122199001011234", aad=b"accounts.user.id_number")
    assert len(first) == 12 + 18 + 16
    assert first[:12] != second[:12]
    assert crypto.sm4_gcm_decrypt(key, first, aad=b"accounts.user.id_number") == b"330122199001011234"


KEY, AAD = bytes(range(16)), b"accounts.user.id_number"


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 1]) + blob[index + 1 :]


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda blob: (KEY, _flip(blob, len(blob) - 1), AAD), "tag"),
        (lambda blob: (KEY, _flip(blob, 15), AAD), "ciphertext"),
        (lambda blob: (KEY, _flip(blob, 0), AAD), "nonce"),
        (lambda blob: (KEY, blob, b"accounts.user.phone"), "associated data of another column"),
        (lambda blob: (bytes(16), blob, AAD), "another key"),
        (lambda blob: (KEY, blob[:27], AAD), "truncated"),
    ],
)
def test_sm4_gcm_rejects_tampering(change, what):
    blob = crypto.sm4_gcm_encrypt(KEY, b"330122199001011234", aad=AAD)
    key, changed, aad = change(blob)
    with pytest.raises(crypto.DecryptionError):
        crypto.sm4_gcm_decrypt(key, changed, aad=aad)


def test_sm4_key_length_checked():
    with pytest.raises(crypto.KeyFormatError):
        crypto.sm4_gcm_encrypt(b"short", b"x")


# --- SM2 ----------------------------------------------------------------------------------------------------------


def test_sm2_sign_verify_round_trip_with_der_signature():
    pair = crypto.sm2_generate_keypair()
    message = "受理通知书 TB-20250101-0001".encode()
    signature = crypto.sm2_sign(pair.private_key, message)
    assert signature[0] == 0x30  # DER SEQUENCE{r, s}
    assert crypto.sm2_verify(pair.public_key, message, signature) is True


def test_sm2_tampered_message_wrong_user_id_or_other_key_fail():
    pair, other = crypto.sm2_generate_keypair(), crypto.sm2_generate_keypair()
    signature = crypto.sm2_sign(pair.private_key, b"decision: approved")
    assert crypto.sm2_verify(pair.public_key, b"decision: rejected", signature) is False
    assert crypto.sm2_verify(pair.public_key, b"decision: approved", signature, user_id=b"alice") is False
    assert crypto.sm2_verify(other.public_key, b"decision: approved", signature) is False


def test_sm2_custom_user_id_round_trip():
    pair = crypto.sm2_generate_keypair()
    signature = crypto.sm2_sign(pair.private_key, b"m", user_id=b"dept-330122")
    assert crypto.sm2_verify(pair.public_key, b"m", signature, user_id=b"dept-330122") is True


def test_sm2_malformed_signatures_are_false_not_errors():
    pair = crypto.sm2_generate_keypair()
    signature = crypto.sm2_sign(pair.private_key, b"m")
    assert crypto.sm2_verify(pair.public_key, b"m", b"") is False
    assert crypto.sm2_verify(pair.public_key, b"m", b"\x30\x00") is False
    assert crypto.sm2_verify(pair.public_key, b"m", signature + b"\x00") is False
    assert crypto.sm2_verify(pair.public_key, b"m", bytes(64)) is False


def test_sm2_invalid_public_key_raises():
    with pytest.raises(crypto.KeyFormatError):
        crypto.sm2_verify(b"\x04" + b"\x01" * 64, b"m", b"\x30\x06\x02\x01\x01\x02\x01\x01")


def test_sm2_pem_round_trip_and_oids():
    pair = crypto.sm2_generate_keypair()
    public_pem, private_pem = pair.public_key_pem(), pair.private_key_pem()
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    spki = crypto.sm2_public_key_to_der(pair.public_key)
    assert bytes.fromhex("06072a8648ce3d0201") in spki  # id-ecPublicKey
    assert bytes.fromhex("06082a811ccf5501822d") in spki  # SM2 curve 1.2.156.10197.1.301
    assert crypto.sm2_load_public_key_pem(public_pem) == pair.public_key
    loaded = crypto.sm2_load_private_key_pem(private_pem)
    assert (loaded.private_key, loaded.public_key) == (pair.private_key, pair.public_key)
    assert pair.private_key.hex() not in repr(pair)


def test_sm2_load_refuses_other_curves_and_garbage():
    p256_spki = (
        "-----BEGIN PUBLIC KEY-----\n"
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\n"
        "q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n"
        "-----END PUBLIC KEY-----\n"
    )
    with pytest.raises(crypto.KeyFormatError):
        crypto.sm2_load_public_key_pem(p256_spki)
    with pytest.raises(crypto.KeyFormatError):
        crypto.sm2_load_public_key_pem("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n")
    with pytest.raises(crypto.KeyFormatError):
        crypto.sm2_load_private_key_pem("not a key")


def _openssl(*args, **kwargs):
    return subprocess.run([OPENSSL, *args], capture_output=True, check=False, **kwargs)


@needs_openssl
def test_our_sm2_signature_verifies_with_openssl_pkeyutl(tmp_path):
    """OpenSSL 3.0's pkeyutl takes the SM2 distinguishing id as -pkeyopt distid:... (it has no -sigopt)."""
    pair = crypto.sm2_generate_keypair()
    message = "电子证照 330122 营业执照".encode()
    (tmp_path / "pub.pem").write_text(pair.public_key_pem())
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig.der").write_bytes(crypto.sm2_sign(pair.private_key, message))
    verify = [
        "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-sigfile", "sig.der",
        "-rawin", "-digest", "sm3",
    ]  # fmt: skip
    good = _openssl(*verify, "-pkeyopt", "distid:1234567812345678", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert b"Signature Verified Successfully" in good.stdout
    wrong_id = _openssl(*verify, "-pkeyopt", "distid:8765432187654321", cwd=tmp_path)
    assert wrong_id.returncode == 1
    # OpenSSL reads our private key too and derives the same public key.
    (tmp_path / "key.pem").write_text(pair.private_key_pem())
    derived = _openssl("pkey", "-in", "key.pem", "-pubout", cwd=tmp_path)
    assert derived.returncode == 0, derived.stderr
    assert derived.stdout.decode() == pair.public_key_pem()


@needs_openssl
def test_openssl_sm2_signature_verifies_with_ours(tmp_path):
    generated = _openssl("genpkey", "-algorithm", "SM2", "-out", "key.pem", cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    public = _openssl("pkey", "-in", "key.pem", "-pubout", cwd=tmp_path)
    message = b"application TB-330122-20250101-000001"
    (tmp_path / "msg").write_bytes(message)
    signed = _openssl(
        "pkeyutl", "-sign", "-inkey", "key.pem", "-in", "msg", "-out", "sig.der",
        "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
        cwd=tmp_path,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    public_key = crypto.sm2_load_public_key_pem(public.stdout)
    signature = (tmp_path / "sig.der").read_bytes()
    assert crypto.sm2_verify(public_key, message, signature) is True
    assert crypto.sm2_verify(public_key, message + b"!", signature) is False
    pair = crypto.sm2_load_private_key_pem((tmp_path / "key.pem").read_text())
    assert pair.public_key == public_key
