"""web_security_problems: a daemon's TLS input checked on the controller before any host changes."""
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.tda.monitoring.plugins.filter.web_security_problems import web_security_problems


def certificate(days=30):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tda-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=60)).not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key


def test_nothing_given_or_a_matching_pair_is_fine():
    assert web_security_problems({"tls_cert": "", "tls_key": "", "tls_client_ca": "", "basic_auth_users": {}}) == []
    cert, key = certificate()
    assert web_security_problems({"tls_cert": cert, "tls_key": key, "tls_client_ca": cert}) == []


def test_a_key_of_another_certificate_is_named_and_never_shown():
    cert, _key = certificate()
    _other, other_key = certificate()
    problems = web_security_problems({"tls_cert": cert, "tls_key": other_key, "tls_client_ca": ""})
    assert problems == ["the TLS key is not the key of the certificate (subject CN=tda-test)"]
    assert "PRIVATE" not in " ".join(problems)


def test_an_expired_certificate_a_half_pair_and_garbage_are_refused():
    cert, key = certificate(days=-1)
    assert "expired on" in web_security_problems({"tls_cert": cert, "tls_key": key})[0]
    half = web_security_problems({"tls_cert": cert, "tls_key": ""})
    assert half[0] == "the TLS certificate and its key must be given together (one of them is empty)"
    problems = web_security_problems({"tls_cert": "not a certificate", "tls_key": "not a key", "tls_client_ca": "nor a CA"})
    assert problems == ["the TLS certificate is not a PEM certificate", "the TLS key is not an unencrypted PEM private key",
                        "the client CA is not PEM certificates"]
