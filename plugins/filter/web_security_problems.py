# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: web_security_problems
short_description: What is wrong with a daemon's TLS input before anything is placed
version_added: 0.3.0
description:
  - Checks the web security a daemon role was given (the daemon role's C(daemon_params.web)) on the
    controller, in check mode as in the real run, before any host changes - a certificate or key
    that does not parse, a key that is not the certificate's, an expired certificate, a client CA
    that is not PEM certificates.
  - Returns one sentence per problem, naming the variable at fault; never any key material.
positional: _input
options:
  _input:
    description: The web dict (C(tls_cert), C(tls_key), C(tls_client_ca) as PEM content).
    type: dict
    required: true
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Refuse a certificate that does not match its key
  ansible.builtin.assert:
    that: (daemon_params.web | tda.monitoring.web_security_problems) | length == 0
'''

RETURN = r'''
_value:
  description: The problems found, each a sentence; empty when there is none.
  type: list
  elements: str
'''

import datetime

from ansible.errors import AnsibleFilterError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - ansible-core depends on cryptography
    x509 = None


def _public(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def web_security_problems(web):
    if not isinstance(web, dict):
        raise AnsibleFilterError("web_security_problems expects the daemon's web dict, got %s" % type(web).__name__)
    cert_pem, key_pem, ca_pem = (str(web.get(name) or "").strip() for name in ("tls_cert", "tls_key", "tls_client_ca"))
    if not (cert_pem or key_pem or ca_pem):
        return []
    if x509 is None:
        raise AnsibleFilterError("web_security_problems needs the cryptography package on the controller")
    problems = []
    if bool(cert_pem) != bool(key_pem):
        problems.append("the TLS certificate and its key must be given together (one of them is empty)")
    cert = key = None
    if cert_pem:
        try:
            cert = x509.load_pem_x509_certificate(cert_pem.encode())
        except ValueError:
            problems.append("the TLS certificate is not a PEM certificate")
    if key_pem:
        try:
            key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        except (ValueError, TypeError):
            problems.append("the TLS key is not an unencrypted PEM private key")
    if cert is not None and key is not None and _public(cert.public_key()) != _public(key.public_key()):
        problems.append("the TLS key is not the key of the certificate (subject %s)" % cert.subject.rfc4514_string())
    if cert is not None:
        expires = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
        if expires < datetime.datetime.now(datetime.timezone.utc):
            problems.append("the TLS certificate (subject %s) expired on %s"
                            % (cert.subject.rfc4514_string(), expires.strftime("%Y-%m-%d %H:%M UTC")))
    if ca_pem:
        try:
            if hasattr(x509, "load_pem_x509_certificates"):
                x509.load_pem_x509_certificates(ca_pem.encode())
            else:
                x509.load_pem_x509_certificate(ca_pem.encode())
        except ValueError:
            problems.append("the client CA is not PEM certificates")
    return problems


class FilterModule(object):
    def filters(self):
        return {"web_security_problems": web_security_problems}
