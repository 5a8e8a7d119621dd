# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Move secret values of a configuration structure into files (controller side).

Shared by the secrets_to_files filter (Prometheus remote_write/remote_read) and the
alertmanager_config filter (receivers and their http_config)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

# HTTP client settings of every Prometheus-project daemon: field -> its file counterpart
HTTP_FIELDS = {
    "password": "password_file",
    "credentials": "credentials_file",
    "client_secret": "client_secret_file",
    "bearer_token": "bearer_token_file",
}
# inline PEM in a tls_config (ca, cert, key) moves to its file field too: every version reads those
TLS_INLINE_FIELDS = {"ca": "ca_file", "cert": "cert_file", "key": "key_file"}
ENV_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def file_name(path):
    """A file name from a path in the structure: receivers.0.slack -> receivers_0_slack."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(str(part) for part in path))


def refuse_env_reference(where, value):
    match = ENV_REFERENCE.search(value)
    if match:
        raise AnsibleFilterError(
            "%s holds %s: Prometheus and Alertmanager send such strings literally. Give the secret itself "
            "(from Ansible Vault); it is written to a file on the host." % (where, match.group(0)))


def move_secret(node, key, file_key, path, directory, files, owner=""):
    """Replace node[key] by node[file_key] = a file holding the value; returns the new dict. With
    owner (a basic_auth username), the file is that user's, so a rotation to another user writes a
    new file beside the one the running configuration still reads."""
    value = node[key]
    where = ".".join(str(part) for part in path + [key])
    refuse_env_reference(where, value)
    file_path = "%s/%s" % (directory.rstrip("/"), file_name(path + ([owner] if owner else []) + [key]))
    files.append({"path": file_path, "content": value})
    out = dict((k, v) for k, v in node.items() if k != key)
    out[file_key] = file_path
    return out


def walk(node, path, directory, fields, files):
    """Every field of `fields` holding a non-empty string, at any depth, moves to a file; so does
    the inline PEM of a tls_config."""
    if isinstance(node, list):
        return [walk(item, path + [str(index)], directory, fields, files) for index, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    here = dict(fields, **TLS_INLINE_FIELDS) if path and path[-1] == "tls_config" else fields
    out = {}
    for key, value in node.items():
        if key in here and isinstance(value, str) and value != "":
            owner = node.get("username") if key == "password" and isinstance(node.get("username"), str) else ""
            moved = move_secret({key: value}, key, here[key], path, directory, files, owner)
            out.update(moved)
        else:
            out[key] = walk(value, path + [str(key)], directory, fields, files)
    return out
