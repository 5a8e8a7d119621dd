# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client shared by the modules that talk to Prometheus, Alertmanager and Grafana.

Built on ansible.module_utils.urls so every module gets the same TLS, client-certificate,
basic-auth, proxy and timeout options (documented once in doc_fragments/api.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible.module_utils.urls import fetch_url, url_argument_spec


def http_argument_spec():
    """Options every HTTP-speaking module takes (url_username/url_password, certs, timeout...)."""
    spec = url_argument_spec()
    # fetch_url's own spec carries options that make no sense for an API client
    for unused in ("url", "force", "http_agent", "use_gssapi"):
        spec.pop(unused, None)
    spec.update(
        url_password=dict(type="str", no_log=True, aliases=["password"]),
        url_username=dict(type="str", aliases=["username"]),
        force_basic_auth=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=10),
    )
    return spec


class HTTPError(Exception):
    """A request that did not get the expected answer; message says what and where."""

    def __init__(self, msg, status=None, body=None):
        super(HTTPError, self).__init__(msg)
        self.status = status
        self.body = body


class Client(object):
    """JSON client for one daemon's base URL, using the module's HTTP options."""

    def __init__(self, module, base_url):
        self.module = module
        self.base_url = base_url.rstrip("/")

    def request(self, method, path, data=None, expect=(200,), headers=None):
        url = self.base_url + path
        body = None
        all_headers = {"Accept": "application/json"}
        if data is not None:
            body = json.dumps(data)
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        params = self.module.params
        resp, info = fetch_url(
            self.module, url, data=body, headers=all_headers, method=method,
            timeout=params.get("timeout") or 10, ca_path=params.get("ca_path"),
        )
        status = info.get("status", -1)
        # on an HTTP error fetch_url has already read the answer into info["body"]
        if resp is not None and 200 <= status < 400:
            raw = resp.read()
        else:
            raw = info.get("body") or b""
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        if status not in expect:
            reason = info.get("msg", "")
            raise HTTPError(
                "%s %s answered %s (%s)%s" % (method, url, status, reason, (": " + raw[:500]) if raw else ""),
                status=status, body=raw)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.request("POST", path, data=data, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)
