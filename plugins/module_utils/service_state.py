# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a daemon's unit is enabled, running and answering (service_ready, file_set)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket
import time
from urllib.error import HTTPError, URLError

ENABLED_STATES = ("enabled", "enabled-runtime", "static", "alias")
# open_url's options that service_ready takes from the api doc fragment
HTTP_OPTIONS = ("url_username", "url_password", "force_basic_auth", "validate_certs", "ca_path",
                "client_cert", "client_key", "use_proxy", "timeout")


def systemctl(module, *argv):
    return module.run_command(["systemctl"] + list(argv))


def is_enabled(module, name):
    return systemctl(module, "is-enabled", name)[1].strip() in ENABLED_STATES


def is_active(module, name):
    return systemctl(module, "is-active", name)[1].strip() == "active"


def has_exited(module, name):
    """Whether the unit's process has exited since it was started: stopped, failed, or waiting for
    systemd's next automatic restart (Restart=on-failure)."""
    return systemctl(module, "show", "-P", "SubState", name)[1].strip() in ("dead", "failed", "auto-restart")


def restart_owed(module, name):
    """Whether the running process predates its unit file or a drop-in, or runs a binary that has
    since been replaced: a run that placed them but never restarted it (a member held back because
    the one before it failed, an interrupted play) left a restart owed."""
    _rc, out, _err = systemctl(module, "show", "-p", "MainPID", "-p", "ExecMainStartTimestampMonotonic",
                               "-p", "FragmentPath", "-p", "DropInPaths", name)
    props = dict(line.split("=", 1) for line in (out or "").splitlines() if "=" in line)
    try:
        pid, started = int(props.get("MainPID") or 0), int(props.get("ExecMainStartTimestampMonotonic") or 0)
    except ValueError:
        return False
    if not pid or not started:
        return False
    # systemd's monotonic clock is Python's: the start as wall-clock time, to compare with mtimes
    started_at = time.time() - (time.monotonic() - started / 1e6)
    for path in [props.get("FragmentPath", "")] + props.get("DropInPaths", "").split():
        # a second of slack: a file written just before the restart that applied it is not newer
        if path and os.path.exists(path) and os.stat(path).st_mtime > started_at + 1:
            return True
    try:
        return os.readlink("/proc/%d/exe" % pid).endswith(" (deleted)")
    except OSError:
        return False


def journal(module, name):
    """The unit's last lines, for a failure message."""
    _rc, out, _err = module.run_command(["journalctl", "-u", name, "-n", "5", "--no-pager", "-o", "cat"])
    return " | ".join(out.splitlines())


def answers(url=None, host="127.0.0.1", port=None, http=None):
    """None when the daemon answers url with a 2xx (or accepts a TCP connection on host:port when
    no url is given), else what went wrong. http: open_url's keyword options (credentials, TLS)."""
    if url:
        # imported here: a caller that asks only for a TCP answer does not pay for the HTTP stack
        from ansible.module_utils.urls import open_url
        options = dict((key, value) for key, value in (http or {}).items() if key in HTTP_OPTIONS and value is not None)
        options.setdefault("timeout", 5)
        options.setdefault("force_basic_auth", bool(options.get("url_username")))
        try:
            open_url(url, headers={"Accept": "*/*"}, **options).read()
            return None
        except HTTPError as exc:
            return "GET %s answered %s (%s)" % (url, exc.code, exc.reason)
        except (URLError, socket.error, OSError, ValueError) as exc:
            return "GET %s: %s" % (url, exc)
    try:
        socket.create_connection((host, port), timeout=2).close()
        return None
    except (socket.error, OSError) as exc:
        return "%s:%s: %s" % (host, port, exc)
