# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of tda.monitoring.certificate: runs on the controller only (the CA's key stays there)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.tda.monitoring.plugins.plugin_utils import pki

ARGS = {"pki_dir": "", "name": "", "names": [], "valid_days": 365, "renew_days": 30, "ca_valid_days": 3650,
        "ca_common_name": "", "cert": "", "key": "", "ca": ""}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        unknown = sorted(set(self._task.args) - set(ARGS))
        if unknown:
            return dict(result, failed=True, msg="unknown options: %s" % ", ".join(unknown))
        args = dict(ARGS, **self._task.args)
        if pki.x509 is None:
            return dict(result, failed=True, msg="tda.monitoring.certificate needs the cryptography package on the controller")
        names = [to_text(n) for n in args["names"] if n]
        name = to_text(args["name"])
        if not name or not names:
            return dict(result, failed=True, msg="name and names (the host's names and addresses) are required")
        given = [bool(args[k]) for k in ("cert", "key", "ca")]
        try:
            if any(given):
                if not all(given):
                    return dict(result, failed=True, msg="%s: a certificate of your own needs all three of its certificate, "
                                "key and CA bundle; one is empty" % name)
                problems = pki.check_given(args["cert"], args["key"], args["ca"], names,
                                           "%s's certificate of your own (certificates_user_cert, _key, _ca)" % name)
                if problems:
                    return dict(result, failed=True, msg="; ".join(problems) + ". Nothing was changed.")
                cert, key, ca, why = args["cert"], args["key"], args["ca"], ""
            else:
                if not args["pki_dir"]:
                    return dict(result, failed=True, msg="pki_dir is required when no certificate of your own is given")
                ca_store = pki.InternalCA(args["pki_dir"], args["ca_common_name"] or "tda.monitoring internal CA",
                                          int(args["ca_valid_days"]), write=not self._task.check_mode)
                lock = ca_store.lock()
                try:
                    ca_store.load()
                    cert, key, why = ca_store.host(name, names, int(args["valid_days"]), int(args["renew_days"]))
                finally:
                    if lock is not None:
                        lock.close()
                ca = ca_store.cert_pem
                if ca_store.created:
                    why = "new CA; " + why
        except (pki.PKIError, OSError, ValueError) as exc:
            return dict(result, failed=True, msg="%s: %s. Nothing was changed on any host." % (name, to_text(exc)))
        # returned, not set as facts: a fact cache would keep the key on disk
        result.update(changed=bool(why), reason=why, names=names, cert=cert, key=key, ca=ca,
                      # the result holds the host's key: it is never shown, even with -vvv
                      _ansible_no_log=True)
        return result
