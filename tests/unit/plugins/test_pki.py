"""The internal CA (plugin_utils/pki.py): issue, keep, renew with the same key, check a user's own."""
import datetime
import os
import socket
import ssl
import stat
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.tda.monitoring.plugins.plugin_utils import pki

NAMES = ["mon1", "tda-lab-mon1", "localhost", "127.0.0.1"]


def issued(tmp_path, names=tuple(NAMES), write=True, **kw):
    ca = pki.InternalCA(str(tmp_path / "pki"), "test CA", write=write)
    lock = ca.lock()
    try:
        ca.load()
        cert, key, why = ca.host("mon1", names, **kw)
    finally:
        if lock:
            lock.close()
    return ca, cert, key, why


def test_first_issue_writes_ca_and_host_files_private(tmp_path):
    ca, cert, key, why = issued(tmp_path)
    assert ca.created and why == "new key"
    pki_dir = tmp_path / "pki"
    assert stat.S_IMODE(os.stat(pki_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(pki_dir / "ca.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pki_dir / "hosts" / "mon1.key").st_mode) == 0o600
    assert (pki_dir / "hosts" / "mon1.crt").read_text() == cert
    parsed = x509.load_pem_x509_certificate(cert.encode())
    assert pki.cert_names(parsed) == set(NAMES)
    assert pki.verifies(ca.cert_pem, parsed)
    assert handshake(tmp_path, cert, key, ca.cert_pem, "tda-lab-mon1") == "ok"
    assert "CERTIFICATE_VERIFY_FAILED" in handshake(tmp_path, cert, key, ca.cert_pem, "elsewhere")
    other = pki.InternalCA(str(tmp_path / "other"), "other", write=False)
    other.load()
    assert "CERTIFICATE_VERIFY_FAILED" in handshake(tmp_path, cert, key, other.cert_pem, "tda-lab-mon1")


def handshake(tmp_path, cert, key, ca_pem, server_name):
    """A real TLS handshake on loopback: the server serves cert/key, the client trusts ca_pem only."""
    (tmp_path / "s.crt").write_text(cert)
    (tmp_path / "s.key").write_text(key)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(str(tmp_path / "s.crt"), str(tmp_path / "s.key"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn = listener.accept()[0]
        try:
            with server_context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass
    thread = threading.Thread(target=serve)
    thread.start()
    client_context = ssl.create_default_context(cadata=ca_pem)
    try:
        with socket.create_connection(listener.getsockname(), timeout=5) as sock:
            with client_context.wrap_socket(sock, server_hostname=server_name):
                return "ok"
    except ssl.SSLError as exc:
        return str(exc)
    finally:
        thread.join(5)
        listener.close()


def test_second_run_keeps_everything(tmp_path):
    cert, key = issued(tmp_path)[1:3]
    ca, cert2, key2, why = issued(tmp_path)
    assert (cert2, key2, why, ca.created) == (cert, key, "", False)


def test_renewal_within_window_keeps_the_key(tmp_path):
    cert, key = issued(tmp_path, valid_days=20)[1:3]
    cert2, key2, why = issued(tmp_path, renew_days=30)[1:]
    assert why.startswith("expires on") and key2 == key and cert2 != cert
    expiry = x509.load_pem_x509_certificate(cert2.encode()).not_valid_after_utc
    assert expiry - datetime.datetime.now(datetime.timezone.utc) > datetime.timedelta(days=300)


def test_a_new_name_reissues(tmp_path):
    issued(tmp_path)
    result = issued(tmp_path, names=NAMES + ["10.0.0.5"])
    cert, why = result[1], result[3]
    assert why == "new names: 10.0.0.5"
    assert "10.0.0.5" in pki.cert_names(x509.load_pem_x509_certificate(cert.encode()))


def test_check_mode_writes_nothing(tmp_path):
    ca, cert, key, why = issued(tmp_path, write=False)
    assert why == "new key" and ca.created and cert and key
    assert not (tmp_path / "pki").exists()


def test_check_mode_predicts_a_renewal_without_writing(tmp_path):
    issued(tmp_path, valid_days=20)
    before = (tmp_path / "pki" / "hosts" / "mon1.crt").read_text()
    why = issued(tmp_path, write=False, renew_days=30)[3]
    assert why.startswith("expires on")
    assert (tmp_path / "pki" / "hosts" / "mon1.crt").read_text() == before


def test_ca_key_readable_by_others_is_refused(tmp_path):
    issued(tmp_path)
    os.chmod(tmp_path / "pki" / "ca.key", 0o644)
    with pytest.raises(pki.PKIError, match="must be 0600"):
        issued(tmp_path)


def test_half_a_ca_is_refused(tmp_path):
    issued(tmp_path)
    os.unlink(tmp_path / "pki" / "ca.crt")
    with pytest.raises(pki.PKIError, match="without the other"):
        issued(tmp_path)


def own(tmp_path, names=tuple(NAMES), **kw):
    ca, cert, key = issued(tmp_path, names=names, **kw)[:3]
    return ca.cert_pem, cert, key


def test_given_certificate_that_is_right_passes(tmp_path):
    ca, cert, key = own(tmp_path)
    assert pki.check_given(cert, key, ca, NAMES, "where") == []


def test_given_certificate_problems_are_each_named(tmp_path):
    ca, cert, key = own(tmp_path, names=["mon1"])
    other_key = own(tmp_path / "other")[2]
    other_ca = pki.InternalCA(str(tmp_path / "other" / "pki"), "x")
    other_ca.load()
    problems = pki.check_given(cert, other_key, other_ca.cert_pem, ["mon1", "tda-lab-mon1"], "mon1's own")
    text = " | ".join(problems)
    assert "mon1's own: the key is not the key of the certificate" in text
    assert "do not cover tda-lab-mon1" in text
    assert "the CA bundle does not verify the certificate" in text
    assert pki.check_given("junk", key, ca, NAMES, "w") == ["w: the certificate is not a PEM certificate"]


def test_given_expired_certificate_is_refused(tmp_path):
    ca = pki.InternalCA(str(tmp_path / "pki"), "t")
    ca.lock().close()
    ca.load()
    key = serialization.load_pem_private_key(ca.host("h", ["h"])[1].encode(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    old = (x509.CertificateBuilder().subject_name(ca.cert.subject).issuer_name(ca.cert.subject)
           .public_key(key.public_key()).serial_number(1)
           .not_valid_before(now - datetime.timedelta(days=10)).not_valid_after(now - datetime.timedelta(days=1))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName("h")]), critical=False)
           .sign(ca.key, pki.hashes.SHA256()))
    pem = old.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = ca.host("h", ["h"])[1]
    problems = pki.check_given(pem, key_pem, ca.cert_pem, ["h"], "h")
    assert any("expired on" in p for p in problems)


def test_wildcard_covers_one_label_only():
    ca = pki.InternalCA("/nonexistent", "t", write=False)
    ca.load()
    cert = x509.load_pem_x509_certificate(ca.host("h", ["*.example.com"])[0].encode())
    assert pki.missing_names(cert, ["a.example.com", "a.b.example.com"]) == ["a.b.example.com"]
