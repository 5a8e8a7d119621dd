# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The internal CA on the controller, and the checks of a host's TLS certificate (controller side).

Used by the tda.monitoring.certificate action plugin. The CA's key never leaves the controller;
a host's key is kept when its certificate is renewed, so a renewal changes one file on the host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import fcntl
import ipaddress
import os
import tempfile

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:  # pragma: no cover - the action plugin reports it
    x509 = None

UTC = datetime.timezone.utc


class PKIError(Exception):
    pass


def _now():
    return datetime.datetime.now(UTC)


def _expiry(cert):
    return getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=UTC)


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public(key):
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def san_entry(name):
    """A SAN for a name: an IP address entry for an address, a DNS entry otherwise."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def cert_names(cert):
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(v) for v in sans.get_values_for_type(x509.DNSName)} | \
           {str(v) for v in sans.get_values_for_type(x509.IPAddress)}


def missing_names(cert, names):
    """The names a certificate's SANs do not cover (a wildcard covers one label)."""
    have = cert_names(cert)
    out = []
    for name in names:
        if name in have:
            continue
        rest = name.partition(".")[2]
        if rest and "*." + rest in have and not _is_ip(name):
            continue
        out.append(name)
    return out


def _is_ip(name):
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def verifies(ca_pem, cert):
    """Whether one of the CA bundle's certificates signed the certificate."""
    for ca in load_bundle(ca_pem):
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
            return True
        except (ValueError, TypeError, InvalidSignature):
            continue
    return False


def load_bundle(pem):
    if hasattr(x509, "load_pem_x509_certificates"):
        return x509.load_pem_x509_certificates(pem.encode())
    return [x509.load_pem_x509_certificate(pem.encode())]


def check_given(cert_pem, key_pem, ca_pem, names, where):
    """Problems of a certificate the user gives: each names `where` (the variables it came from)."""
    problems = []
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        return ["%s: the certificate is not a PEM certificate" % where]
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        return ["%s: the key is not an unencrypted PEM private key" % where]
    subject = cert.subject.rfc4514_string()
    if _public(key.public_key()) != _public(cert.public_key()):
        problems.append("%s: the key is not the key of the certificate (subject %s)" % (where, subject))
    if _expiry(cert) < _now():
        problems.append("%s: the certificate (subject %s) expired on %s"
                        % (where, subject, _expiry(cert).strftime("%Y-%m-%d %H:%M UTC")))
    missing = missing_names(cert, names)
    if missing:
        problems.append("%s: the certificate's subject alternative names (%s) do not cover %s, which Prometheus or a "
                        "peer uses for this host; issue it with them, or set prometheus_target_host to a name it has"
                        % (where, ", ".join(sorted(cert_names(cert))) or "none", ", ".join(missing)))
    try:
        if not verifies(ca_pem, cert):
            problems.append("%s: the CA bundle does not verify the certificate (issuer %s)"
                            % (where, cert.issuer.rfc4514_string()))
    except ValueError:
        problems.append("%s: the CA bundle is not PEM certificates" % where)
    return problems


class InternalCA(object):
    """The CA in `directory`: ca.crt, ca.key (0600), and hosts/<name>.crt and .key (0600)."""

    def __init__(self, directory, common_name, valid_days=3650, write=True):
        self.directory = directory
        self.common_name = common_name
        self.valid_days = valid_days
        self.write = write
        self.created = False
        self.key = self.cert = None

    def _path(self, *parts):
        return os.path.join(self.directory, *parts)

    def _save(self, path, data, mode):
        directory = os.path.dirname(path)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w") as handle:
                handle.write(data)
            os.rename(tmp, path)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def lock(self):
        """An exclusive lock over the directory: hosts are issued in parallel forks."""
        if not self.write:
            return None
        for sub in ("", "hosts"):
            os.makedirs(self._path(sub), mode=0o700, exist_ok=True)
        os.chmod(self.directory, 0o700)
        handle = open(self._path(".lock"), "a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle

    def load(self):
        """Read the CA, or create it (in memory only when not writing)."""
        key_path, cert_path = self._path("ca.key"), self._path("ca.crt")
        if os.path.exists(key_path) and os.path.exists(cert_path):
            if os.stat(key_path).st_mode & 0o077:
                raise PKIError("%s is readable by others than its owner; the CA key must be 0600 (chmod 0600 %s)"
                               % (key_path, key_path))
            with open(key_path, "rb") as handle:
                self.key = serialization.load_pem_private_key(handle.read(), password=None)
            with open(cert_path, "rb") as handle:
                self.cert = x509.load_pem_x509_certificate(handle.read())
            if _public(self.key.public_key()) != _public(self.cert.public_key()):
                raise PKIError("%s is not the key of %s: restore the pair, or move both aside to start a new CA"
                               % (key_path, cert_path))
            return
        if os.path.exists(key_path) or os.path.exists(cert_path):
            raise PKIError("%s has one of ca.key and ca.crt without the other: restore the pair, or move it aside "
                           "to start a new CA" % self.directory)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.common_name)])
        now = _now()
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(minutes=5))
                     .not_valid_after(now + datetime.timedelta(days=self.valid_days))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
                     .sign(self.key, hashes.SHA256()))
        self.created = True
        if self.write:
            self._save(key_path, _pem_key(self.key), 0o600)
            self._save(cert_path, _pem_cert(self.cert), 0o644)

    @property
    def cert_pem(self):
        return _pem_cert(self.cert)

    def host(self, name, names, valid_days=365, renew_days=30):
        """The host's certificate and key, issued or renewed when needed: (cert, key, why or '')."""
        key_path, cert_path = self._path("hosts", name + ".key"), self._path("hosts", name + ".crt")
        key = cert = None
        if os.path.exists(key_path):
            with open(key_path, "rb") as handle:
                key = serialization.load_pem_private_key(handle.read(), password=None)
        if os.path.exists(cert_path):
            with open(cert_path, "rb") as handle:
                cert = x509.load_pem_x509_certificate(handle.read())
        why = ""
        if key is None:
            why = "new key"
            key = ec.generate_private_key(ec.SECP256R1())
        elif cert is None:
            why = "no certificate"
        elif _public(key.public_key()) != _public(cert.public_key()):
            why = "the certificate is not of the key"
        elif cert.issuer != self.cert.subject or not verifies(self.cert_pem, cert):
            why = "issued by another CA"
        elif missing_names(cert, names):
            why = "new names: " + ", ".join(missing_names(cert, names))
        elif _expiry(cert) - _now() < datetime.timedelta(days=renew_days):
            why = "expires on %s, within %d days" % (_expiry(cert).strftime("%Y-%m-%d"), renew_days)
        if why:
            cert = self._issue(name, names, key, valid_days)
            if self.write:
                if why == "new key":
                    self._save(key_path, _pem_key(key), 0o600)
                self._save(cert_path, _pem_cert(cert), 0o644)
        return _pem_cert(cert), _pem_key(key), why

    def _issue(self, name, names, key, valid_days):
        now = _now()
        ca_expiry = _expiry(self.cert)
        not_after = min(now + datetime.timedelta(days=valid_days), ca_expiry)
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName([san_entry(n) for n in names]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
                .sign(self.key, hashes.SHA256()))
