# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The HTTP options of every module that talks to a daemon's API."""

    DOCUMENTATION = r'''
options:
  url_username:
    description: User name for HTTP basic authentication (the daemon's web config).
    type: str
    aliases: [username]
  url_password:
    description: Password for HTTP basic authentication. Never logged.
    type: str
    aliases: [password]
  force_basic_auth:
    description: Send the basic-auth header with the first request instead of waiting for a 401.
    type: bool
    default: true
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  ca_path:
    description: CA bundle to verify the server's certificate with.
    type: path
  client_cert:
    description: Client certificate (PEM) for mutual TLS.
    type: path
  client_key:
    description: Private key (PEM) of O(client_cert).
    type: path
  use_proxy:
    description: Use the proxy from the environment (C(https_proxy), C(no_proxy)).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each HTTP answer.
    type: int
    default: 10
'''
