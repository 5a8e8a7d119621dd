# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of tda.monitoring.file_set: the account, the files (written, corrected, removed and
shown in the diff), the check-mode candidate of a staged set, the probe and the service report.
Each part works on a module-like object (check_mode, fail_json, run_command, warn)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import grp
import hashlib
import os
import pwd
import re
import shutil
import stat
import tempfile

from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.tda.monitoring.plugins.module_utils.digest import sha256_of
from ansible_collections.tda.monitoring.plugins.module_utils.service_state import answers, is_active, is_enabled, restart_owed

DIFF_LIMIT = 256 * 1024
# what a secret held inline in a file shows as in a diff
MASK = "********"
# what a secret file shows as in a diff
SECRET_SHOWN = "(secret, %s content not shown)\n"


def describe(uid, gid, mode):
    """owner, group and mode as a diff shows them, by name where the name exists."""
    def name(lookup, number):
        try:
            return lookup(number)[0] if isinstance(number, int) else number
        except KeyError:
            return str(number)
    return "owner %s, group %s, mode %04o\n" % (name(pwd.getpwuid, uid), name(grp.getgrgid, gid), mode)


def _id_of(module, name, lookup, what):
    """The number of a user or group name (a number stands for itself), or a failure saying so."""
    try:
        return lookup(name)[2]
    except KeyError:
        if name.isdigit():
            return int(name)
        module.fail_json(msg="file_set: %s %r does not exist; create it first (the role's account) or fix the %s"
                             % (what, name, "owner" if what == "user" else what))


def uid_of(module, name):
    return _id_of(module, name, pwd.getpwnam, "user")


def gid_of(module, name):
    return _id_of(module, name, grp.getgrnam, "group")


def mode_of(module, text, where):
    try:
        return int(str(text), 8)
    except ValueError:
        module.fail_json(msg="file_set: mode %r of %s is not an octal mode such as '0640'" % (text, where))


class FileSet(object):
    def __init__(self, module, check=None, owners=None):
        self.module = module
        self.check = module.check_mode if check is None else check
        # the candidate of a check run stands in for an account that does not exist yet with root
        self.owners = owners
        # a diff names the path the daemon reads: a staged file by its live path
        self.shown_as = lambda path: path
        self.updated, self.removed, self.kinds, self.needs, self.diffs = [], [], [], [], []
        self.created_kinds = []
        self.changed = False

    def run(self, argv):
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            self.module.fail_json(msg="file_set: %s failed (rc %d): %s" % (" ".join(argv), rc, (err or out).strip()))
        self.changed = True

    def account(self, spec):
        user, group = spec["user"], spec["group"]
        try:
            grp.getgrnam(group)
        except KeyError:
            self.changed = True
            if not self.check:
                self.run(["groupadd", "--system", group])
        for extra in spec["groups"]:
            try:
                grp.getgrnam(extra)
            except KeyError:
                self.module.fail_json(msg="file_set: supplementary group %r of user %s does not exist; "
                                          "install what provides it or remove it from the role's groups" % (extra, user))
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            self.changed = True
            if not self.check:
                argv = ["useradd", "--system", "--gid", group, "--shell", "/usr/sbin/nologin",
                        "--no-create-home", "--home-dir", "/nonexistent"]
                if spec["groups"]:
                    argv += ["--groups", ",".join(spec["groups"])]
                self.run(argv + [user])
            return
        argv = []
        try:
            wanted_gid = grp.getgrnam(group).gr_gid
        except KeyError:
            wanted_gid = None  # created above, in check mode only
        if entry.pw_gid != wanted_gid:
            argv += ["--gid", group]
        if entry.pw_shell != "/usr/sbin/nologin":
            argv += ["--shell", "/usr/sbin/nologin"]
        if entry.pw_dir != "/nonexistent":
            argv += ["--home", "/nonexistent"]
        missing = [g for g in spec["groups"] if user not in grp.getgrnam(g).gr_mem and grp.getgrnam(g).gr_gid != entry.pw_gid]
        if missing:
            argv += ["--append", "--groups", ",".join(missing)]
        if argv:
            self.changed = True
            if not self.check:
                self.run(["usermod"] + argv + [user])

    def compare(self, path, spec):
        """(differs, uid, gid, mode): path's owner, group and mode against spec's; a difference
        is shown in the diff."""
        st = os.lstat(path)
        uid, gid = self.ids(spec)
        mode = mode_of(self.module, spec["mode"], path)
        differs = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) != (uid, gid, mode)
        if differs:
            self.show(path, describe(st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), describe(uid, gid, mode))
        return differs, uid, gid, mode

    def attributes(self, path, spec):
        """Correct owner, group and mode; True when something differed (and shown in the diff)."""
        differs, uid, gid, mode = self.compare(path, spec)
        if differs and not self.check:
            os.chown(path, uid, gid)
            os.chmod(path, mode)
        return differs

    def show(self, path, before, after):
        shown = self.shown_as(path)
        self.diffs.append({"before_header": shown, "after_header": shown, "before": before, "after": after})

    def directory(self, spec):
        path = spec["path"]
        if os.path.lexists(path) and not os.path.isdir(path):
            self.module.fail_json(msg="file_set: %s exists and is not a directory; move it aside" % path)
        if not os.path.isdir(path):
            self.changed = True
            self.updated.append(path)
            uid, gid = self.ids(spec) if self.owners or not self.check else (spec["owner"], spec["group"])
            self.show(path, "(absent)\n", "directory, %s" % describe(uid, gid, mode_of(self.module, spec["mode"], path)))
            if self.check:
                return
            os.makedirs(path)
            os.chown(path, uid, gid)
            os.chmod(path, mode_of(self.module, spec["mode"], path))
            return
        if self.attributes(path, spec):
            self.changed = True

    def write(self, spec, secret):
        dest = spec["dest"]
        if spec.get("src"):
            self.module.fail_json(msg="file_set: src of %s is read by the action plugin on the controller; "
                                      "call the module through tda.monitoring.file_set, not ansible.legacy" % dest)
        content = spec.get("content")
        data = to_bytes(content, errors="surrogate_or_strict") if content is not None else None
        wanted = hashlib.sha256(data).hexdigest() if data is not None else (spec.get("checksum") or "").lower()
        if not wanted:
            self.module.fail_json(msg="file_set: %s has neither content nor checksum" % dest)
        if os.path.lexists(dest) and not os.path.isfile(dest):
            self.module.fail_json(msg="file_set: %s exists and is not a regular file; move it aside" % dest)
        exists = os.path.isfile(dest)
        same = exists and sha256_of(dest) == wanted
        if same:
            if self.attributes(dest, spec):
                self.changed = True
                self.updated.append(dest)
                self._kind(spec)
            return
        staged = spec.get("staged")
        if data is None and not staged:
            # the action plugin sends the content, then calls again
            self.needs.append(dest)
            if self.check:
                self.changed = True
                self.updated.append(dest)
                self._kind(spec)
            return
        self.changed = True
        self.updated.append(dest)
        self._kind(spec)
        if not exists and spec.get("kind") and spec["kind"] not in self.created_kinds:
            self.created_kinds.append(spec["kind"])
        if secret:
            # by path only: a fixed placeholder, never the content nor its checksum
            self.show(dest, SECRET_SHOWN % "old" if exists else "", SECRET_SHOWN % "new")
        elif data is not None and spec.get("diff", True):
            before = ""
            if exists and os.path.getsize(dest) <= DIFF_LIMIT:
                with open(dest, "rb") as handle:
                    before = handle.read().decode("utf-8", "replace")
            after = content if len(data) <= DIFF_LIMIT else "(%d bytes)\n" % len(data)
            for value in spec.get("mask") or []:
                if value:
                    before, after = before.replace(value, MASK), after.replace(value, MASK)
            # the keys' values on both sides: an inline secret that is changed or removed is no
            # longer in mask, and would show in the diff's old side
            for key in spec.get("mask_keys") or []:
                before, after = mask_key_values(before, key), mask_key_values(after, key)
            self.show(dest, before, after)
        if exists:
            self.compare(dest, spec)  # the new content is written with spec's owner and mode
        if self.check:
            return
        if staged and sha256_of(staged) != wanted:
            self.module.fail_json(msg="file_set: the copy of %s sent to %s does not match its sha256 %s; "
                                      "the transfer was corrupted, run again" % (dest, staged, wanted))
        directory = os.path.dirname(dest)
        if not os.path.isdir(directory):
            self.module.fail_json(msg="file_set: directory %s of %s does not exist; list it in directories" % (directory, dest))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tda-")
        try:
            with os.fdopen(fd, "wb") as handle:
                if data is not None:
                    handle.write(data)
                else:
                    with open(staged, "rb") as source:
                        shutil.copyfileobj(source, handle)
            os.chown(tmp, *self.ids(spec))
            os.chmod(tmp, mode_of(self.module, spec["mode"], dest))
            os.rename(tmp, dest)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def ids(self, spec):
        if self.owners is not None:
            return self.owners(spec)
        return uid_of(self.module, spec["owner"]), gid_of(self.module, spec["group"])

    def _kind(self, spec):
        if spec.get("kind") and spec["kind"] not in self.kinds:
            self.kinds.append(spec["kind"])

    def remove(self, path):
        if not os.path.lexists(path):
            return
        self.changed = True
        self.removed.append(path)
        self.show(path, "(%s)\n" % ("directory" if os.path.isdir(path) else "file"), "(absent)\n")
        if self.check:
            return
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def named_in(paths):
    """A test of whether one of these files (a live configuration) names a path: the running daemon
    still reads what its configuration names, until the next one is loaded."""
    texts = []
    for path in paths:
        if os.path.isfile(path):
            with open(path, errors="replace") as handle:
                texts.append(handle.read())

    def names(candidate):
        # the whole path, not a prefix of a longer file name
        pattern = re.compile(re.escape(candidate) + r"(?![A-Za-z0-9_.-])")
        return any(pattern.search(text) for text in texts)
    return names


def prune(work, directory, listed, spared=None):
    """Remove the regular files of an exclusive directory that the set does not list (nor, with
    spared, a live configuration names)."""
    if os.path.isdir(directory):
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if (not name.startswith(".") and os.path.isfile(path) and path not in listed
                    and not (spared and spared(path))):
                work.remove(path)


def inside(path, directory):
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def copy_tree(source, target):
    """Copy source's files into the existing directory target, with their owners and modes."""
    for base, _dirs, names in os.walk(source):
        relative = os.path.relpath(base, source)
        where = target if relative == "." else os.path.join(target, relative)
        if relative != ".":
            os.mkdir(where)
        st = os.stat(base)
        os.chown(where, st.st_uid, st.st_gid)
        os.chmod(where, stat.S_IMODE(st.st_mode))
        for name in names:
            path = os.path.join(base, name)
            if os.path.isfile(path) and not os.path.islink(path):
                shutil.copy2(path, os.path.join(where, name))
                st = os.stat(path)
                os.chown(os.path.join(where, name), st.st_uid, st.st_gid)


def build_candidate(module, p, staged):
    """Check mode: the staging directory as the real run would leave it, built in a temporary
    directory, so the live set is compared with what would be swapped in and the daemon's own
    tools can validate it. Returns its path and the owners that do not exist yet (a first
    install: their files are root's in the candidate, and it is validated as root)."""
    path = tempfile.mkdtemp(prefix="tda-candidate-")
    missing = []

    def ids(spec):
        found = []
        for name, lookup in ((spec["owner"], lambda n: pwd.getpwnam(n).pw_uid),
                             (spec["group"], lambda n: grp.getgrnam(n).gr_gid)):
            try:
                found.append(lookup(name))
            except KeyError:
                if not name.isdigit() and name not in missing:
                    missing.append(name)
                found.append(int(name) if name.isdigit() else 0)
        return tuple(found)

    def moved(where):
        return os.path.normpath(os.path.join(path, os.path.relpath(where, staged)))

    try:
        if os.path.isdir(staged):
            copy_tree(staged, path)
        work = FileSet(module, check=False, owners=ids)
        for spec in p["directories"]:
            if inside(spec["path"], staged):
                work.directory(dict(spec, path=moved(spec["path"])))
        listed = set()
        for key, secret in (("files", False), ("secret_files", True)):
            for spec in p[key]:
                if inside(spec["dest"], staged):
                    listed.add(moved(spec["dest"]))
                    work.write(dict(spec, dest=moved(spec["dest"])), secret=secret)
        for dest in work.needs:
            module.warn("file_set: %s is sent only by the real run; check mode validated the staged copy "
                        "of it instead" % os.path.join(staged, os.path.relpath(dest, path)))
        for where in p["absent"]:
            if inside(where, staged):
                work.remove(moved(where))
        for directory in p["exclusive"]:
            if inside(directory, staged):
                prune(work, moved(directory), listed)
    except Exception:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return dict(path=path, owners_missing=missing)


def output_of(module, argv):
    """stdout and stderr of a read-only command, or an empty string when its program does not exist."""
    if not argv or not os.path.exists(argv[0]):
        return ""
    _rc, out, err = module.run_command(argv)
    return (out or "") + (err or "")


def service_state(module, spec):
    """Enabled, active, answering: reported, never changed (service_ready does that)."""
    state = dict(name=spec["name"], enabled=is_enabled(module, spec["name"]), active=is_active(module, spec["name"]),
                 answering=False)
    if state["active"]:
        state["answering"] = answers(spec["url"], spec["host"], spec["port"], spec) is None
    state["ready"] = state["enabled"] and state["active"] and state["answering"]
    state["restart_owed"] = state["active"] and restart_owed(module, spec["name"])
    return state


def probe(module, spec):
    """The probe's output, or a failure with its refusal when the output matches refuse_pattern."""
    if not spec:
        return ""
    out = output_of(module, spec["command"])
    if spec["refuse_pattern"] and re.search(spec["refuse_pattern"], out):
        said = (out.strip().splitlines() or [""])[0]
        module.fail_json(msg="%s (the host says: %s)" % (spec["refuse_msg"], said), changed=False)
    return out


def file_options(secret):
    """The options of one entry of files (secret=False) or secret_files (secret=True): one spec, the
    secret's content required and hidden, and no source, checksum or diff switches for it."""
    options = dict(
        dest=dict(type="path", required=True, aliases=["name", "path"]),
        content=dict(type="str", required=secret, no_log=secret),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
        mode=dict(type="str", default="0640" if secret else "0644"),
        kind=dict(type="str"),
    )
    if not secret:
        options.update(
            src=dict(type="path"),
            optional=dict(type="bool", default=False),
            checksum=dict(type="str"),
            staged=dict(type="path"),
            diff=dict(type="bool", default=True),
            mask=dict(type="list", elements="str", default=[], no_log=True),
            mask_keys=dict(type="list", elements="str", default=[], no_log=False),
        )
    return options


def mask_key_values(text, key):
    """YAML text with the value of every `key: value` line (a mapping entry, or a list item's first
    entry) shown as the mask."""
    return re.sub(r"(?m)^(\s*(?:-\s+)?%s:)[ \t]+\S.*$" % re.escape(key), r"\1 " + MASK, text)


def summary(work, differs):
    """One line saying what changed, for the task's msg."""
    def listed(paths):
        return ", ".join(paths[:8]) + (" and %d more" % (len(paths) - 8) if len(paths) > 8 else "")
    said = []
    if work.updated:
        said.append("%d written or corrected (%s)" % (len(work.updated), listed(work.updated)))
    if work.removed:
        said.append("%d removed (%s)" % (len(work.removed), listed(work.removed)))
    if work.kinds:
        said.append("kinds changed: %s" % ", ".join(work.kinds))
    if differs and (differs["updated"] or differs["removed"]):
        said.append("the staged set differs from the live one in %s" % listed(differs["updated"] + differs["removed"]))
    return "; ".join(said) if said else "nothing changed"
