#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: file_set
short_description: Put a daemon's account, directories and files in place in one round trip
version_added: 0.2.0
description:
  - Makes a host hold exactly the given system account, directories and files, and none of the
    files listed in O(absent) or left unlisted in an O(exclusive) directory, in one module run.
    A run where nothing differs confirms every path's content (sha256), owner, group and mode and
    changes nothing; this is what keeps a no-change deploy to a few round trips per host.
  - Every file is written to a temporary file beside it and renamed into place, so a reader never
    sees half a file.
  - The action plugin of the same name renders nothing; it reads O(files[].src) on the controller,
    sends small files inline and large ones (release binaries) only when the host's copy differs.
options:
  account:
    description: A system account with no login and no home; created, or corrected, before any file is written.
    type: dict
    suboptions:
      user:
        description: User name.
        type: str
        required: true
      group:
        description: Primary group, created as a system group when missing.
        type: str
        required: true
      groups:
        description: Supplementary groups the user is added to (existing memberships are kept).
        type: list
        elements: str
        default: []
  root:
    description: Directory against which relative paths in O(directories), O(files), O(secret_files), O(absent) and O(exclusive) are resolved.
    type: path
  directories:
    description: Directories, created when missing; owner, group and mode are corrected.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path, absolute or relative to O(root).
        type: path
        required: true
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      mode:
        description: Octal mode, as a string.
        type: str
        default: '0755'
  files:
    description: Regular files. Give O(files[].content), or O(files[].checksum) with O(files[].staged) when the content is already on the host.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Path, absolute or relative to O(root).
        type: path
        required: true
        aliases: [name, path]
      content:
        description: The whole content, as text.
        type: str
      src:
        description:
          - A file on the controller (a path relative to the role's C(files/) is searched there); read by
            the action plugin, which sends it inline when small or only when the host's copy differs.
        type: path
      optional:
        description: With O(files[].src), leave the file out when the controller does not have it (a file some builds of a release lack).
        type: bool
        default: false
      checksum:
        description: sha256 of the wanted content, when O(files[].content) is not given.
        type: str
      staged:
        description: A file on the host holding the wanted content (set by the action plugin for large files).
        type: path
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      mode:
        description: Octal mode, as a string.
        type: str
        default: '0644'
      tag:
        description: A name reported in RV(changed_tags) when this file changes (C(unit), C(release), ...).
        type: str
      diff:
        description: Whether the content may appear in the diff.
        type: bool
        default: true
      mask:
        description:
          - Secret strings this file must hold inline (a webhook URL where the daemon's version reads
            no C(*_file) field); each is shown as C(********) in the diff, before and after, and
            never appears in the output.
        type: list
        elements: str
        default: []
  secret_files:
    description: Files like O(files) whose content is a secret; their content never appears in the output, the log or a diff.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Path, absolute or relative to O(root).
        type: path
        required: true
        aliases: [name, path]
      content:
        description: The whole content, as text.
        type: str
        required: true
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      mode:
        description: Octal mode, as a string.
        type: str
        default: '0640'
      tag:
        description: A name reported in RV(changed_tags) when this file changes.
        type: str
  absent:
    description: Files or directories that must not exist (directories are removed with their content).
    type: list
    elements: path
    default: []
  exclusive:
    description:
      - Directories owned by this set; regular files directly in them that are listed in neither O(files)
        nor O(secret_files) are removed (names starting with a dot are left alone).
    type: list
    elements: path
    default: []
  compare_with:
    description:
      - A live directory to compare a staging directory (O(compare_with.staged)) with once the files
        are in place; the differences are returned in RV(live_differs), the way M(tda.monitoring.config_set) with
        C(state=compared) reports them, without a second round trip.
      - In check mode the staging directory is left alone; the comparison is with a candidate copy
        of it in a temporary directory (RV(candidate)).
    type: dict
    suboptions:
      staged:
        description: The staging directory, absolute or relative to O(root); O(root) itself by default.
        type: path
        default: .
      live:
        description: The directory the daemon reads.
        type: path
        required: true
      managed_dirs:
        description: Subdirectories of O(compare_with.live) fully owned by the set.
        type: list
        elements: str
        default: []
  command:
    description: A command run last, read-only (a binary's C(--version)); its output is returned in RV(command_output). Not run when its program does not exist.
    type: list
    elements: str
    default: []
  probe:
    description:
      - A read-only command run first, before anything changes (the version of the binary a unit
        runs now); its output is returned in RV(probe_output). Not run when its program does not exist.
      - With O(probe.refuse_pattern), the run fails before anything changes when the output matches it.
    type: dict
    suboptions:
      command:
        description: Program and arguments.
        type: list
        elements: str
        required: true
      refuse_pattern:
        description: A regular expression searched in the output; a match refuses the whole run.
        type: str
      refuse_msg:
        description: Why the run is refused and what to do instead; the output is appended.
        type: str
        default: The host refuses this change.
  service:
    description:
      - After the files, report whether this systemd unit is enabled, running and answering, in
        RV(service). Nothing is started, enabled or waited for; a caller skips its own service
        check when the unit is ready and nothing it reads at start changed.
    type: dict
    suboptions:
      name:
        description: Unit name.
        type: str
        required: true
      url:
        description: Health URL that answers with HTTP 2xx once the daemon serves.
        type: str
      host:
        description: Address for the TCP check, when O(service.url) is not given.
        type: str
        default: 127.0.0.1
      port:
        description: Port for the TCP check, when O(service.url) is not given.
        type: int
      url_username:
        description: Basic-auth user for O(service.url).
        type: str
      url_password:
        description: Basic-auth password for O(service.url).
        type: str
      validate_certs:
        description: Verify the daemon's TLS certificate.
        type: bool
        default: false
attributes:
  check_mode:
    description: In check mode it reports what would change and changes nothing.
    support: full
  diff_mode:
    description: With --diff it shows the content of changed text files, except secrets and files with O(files[].diff=false).
    support: full
author:
  - TDA Platform monitoring team (@tda-platform)
'''

EXAMPLES = r'''
- name: Account, directories, binary and unit of node_exporter
  tda.monitoring.file_set:
    account: {user: node-exp, group: node-exp}
    directories:
      - {path: /etc/node_exporter, group: node-exp, mode: '0750'}
    files:
      - {dest: /usr/local/bin/node_exporter, src: /var/cache/tda/node_exporter/node_exporter, mode: '0755', tag: release}
      - {dest: /etc/systemd/system/node_exporter.service, content: "{{ lookup('ansible.builtin.template', 'daemon.service.j2') }}", tag: unit}
    absent: [/etc/node_exporter/web-config.yml]
  register: placed

- name: Secret files, and nothing else, in a directory
  tda.monitoring.file_set:
    directories: [{path: /etc/alertmanager/secrets, group: alertmanager, mode: '0750'}]
    secret_files:
      - {dest: /etc/alertmanager/secrets/smtp_password, content: "{{ vault_smtp_password }}", group: alertmanager}
    exclusive: [/etc/alertmanager/secrets]
'''

RETURN = r'''
updated:
  description: Files written (or that would be).
  returned: always
  type: list
  elements: str
removed:
  description: Paths removed (or that would be).
  returned: always
  type: list
  elements: str
changed_tags:
  description: The tags of the files written, once each.
  returned: always
  type: list
  elements: str
created_tags:
  description: The tags of the files that did not exist before (a new unit means a daemon that was not running).
  returned: always
  type: list
  elements: str
needs:
  description: Files whose O(files[].checksum) differs from the host's copy and for which no O(files[].staged) content was given; the action plugin sends these.
  returned: always
  type: list
  elements: str
live_differs:
  description:
    - With O(compare_with), the files of the staged set that the live directory lacks or holds otherwise
      (C(updated)) and the files it would lose (C(removed)).
  returned: when O(compare_with) is given
  type: dict
  contains:
    updated:
      description: Relative paths.
      type: list
      elements: str
    removed:
      description: Relative paths.
      type: list
      elements: str
candidate:
  description:
    - In check mode with O(compare_with), when the set would change the live one, a temporary
      directory on the host holding the staging directory as the real run would leave it (this
      run's files written, removals and exclusive pruning applied), for the daemon's own tools to
      validate. The caller removes it.
  returned: in check mode, when RV(live_differs) is not empty
  type: dict
  contains:
    path:
      description: The temporary directory.
      type: str
    owners_missing:
      description: Owners and groups of the set that do not exist yet; their files are root's in the candidate.
      type: list
      elements: str
command_output:
  description: stdout and stderr of O(command), or an empty string.
  returned: always
  type: str
probe_output:
  description: stdout and stderr of O(probe.command), or an empty string.
  returned: always
  type: str
service:
  description: With O(service), what the unit and the daemon showed after the files were in place.
  returned: when O(service) is given
  type: dict
  contains:
    name:
      description: The unit reported on.
      type: str
    enabled:
      description: The unit is enabled (or static, or an alias).
      type: bool
    active:
      description: The unit is active.
      type: bool
    answering:
      description: The daemon answered O(service.url), or accepted a connection on its port.
      type: bool
    ready:
      description: All three.
      type: bool
'''

import grp
import hashlib
import os
import pwd
import re
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.tda.monitoring.plugins.module_utils.config_tree import plan
from ansible_collections.tda.monitoring.plugins.module_utils.digest import sha256_of
from ansible_collections.tda.monitoring.plugins.module_utils.service_state import answers, is_active, is_enabled

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


def uid_of(module, name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        if name.isdigit():
            return int(name)
        module.fail_json(msg="file_set: user %r does not exist; create it first (the role's account) or fix the owner" % name)


def gid_of(module, name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            return int(name)
        module.fail_json(msg="file_set: group %r does not exist; create it first (the role's account) or fix the group" % name)


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
        self.updated, self.removed, self.tags, self.needs, self.diffs = [], [], [], [], []
        self.created_tags = []
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

    def attributes(self, path, spec):
        """Correct owner, group and mode; True when something differed (and shown in the diff)."""
        st = os.lstat(path)
        uid, gid = self.ids(spec)
        mode = mode_of(self.module, spec["mode"], path)
        differs = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) != (uid, gid, mode)
        if differs:
            self.show(path, describe(st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), describe(uid, gid, mode))
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
                self._tag(spec)
            return
        staged = spec.get("staged")
        if data is None and not staged:
            # the action plugin sends the content, then calls again
            self.needs.append(dest)
            if self.check:
                self.changed = True
                self.updated.append(dest)
                self._tag(spec)
            return
        self.changed = True
        self.updated.append(dest)
        self._tag(spec)
        if not exists and spec.get("tag") and spec["tag"] not in self.created_tags:
            self.created_tags.append(spec["tag"])
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
            self.show(dest, before, after)
        if exists:
            st = os.stat(dest)
            wanted_ids = self.ids(spec)
            wanted_mode = mode_of(self.module, spec["mode"], dest)
            if (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) != wanted_ids + (wanted_mode,):
                self.show(dest, describe(st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), describe(*(wanted_ids + (wanted_mode,))))
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

    def _tag(self, spec):
        if spec.get("tag") and spec["tag"] not in self.tags:
            self.tags.append(spec["tag"])

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


def prune(work, directory, listed):
    """Remove the regular files of an exclusive directory that the set does not list."""
    if os.path.isdir(directory):
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not name.startswith(".") and os.path.isfile(path) and path not in listed:
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
    return state


def main():
    file_options = dict(
        dest=dict(type="path", required=True, aliases=["name", "path"]),
        content=dict(type="str"),
        src=dict(type="path"),
        optional=dict(type="bool", default=False),
        checksum=dict(type="str"),
        staged=dict(type="path"),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
        mode=dict(type="str", default="0644"),
        tag=dict(type="str"),
        diff=dict(type="bool", default=True),
        mask=dict(type="list", elements="str", default=[], no_log=True),
    )
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path"),
            account=dict(type="dict", options=dict(
                user=dict(type="str", required=True),
                group=dict(type="str", required=True),
                groups=dict(type="list", elements="str", default=[]),
            )),
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="str", default="0755"),
            )),
            files=dict(type="list", elements="dict", default=[], options=file_options),
            # the list holds paths too; only each content is hidden
            secret_files=dict(type="list", elements="dict", default=[], no_log=False, options=dict(
                dest=dict(type="path", required=True, aliases=["name", "path"]),
                content=dict(type="str", required=True, no_log=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="str", default="0640"),
                tag=dict(type="str"),
            )),
            absent=dict(type="list", elements="path", default=[]),
            exclusive=dict(type="list", elements="path", default=[]),
            compare_with=dict(type="dict", options=dict(
                staged=dict(type="path", default="."),
                live=dict(type="path", required=True),
                managed_dirs=dict(type="list", elements="str", default=[]),
            )),
            command=dict(type="list", elements="str", default=[]),
            probe=dict(type="dict", options=dict(
                command=dict(type="list", elements="str", required=True),
                refuse_pattern=dict(type="str"),
                refuse_msg=dict(type="str", default="The host refuses this change."),
            )),
            service=dict(type="dict", options=dict(
                name=dict(type="str", required=True),
                url=dict(type="str"),
                host=dict(type="str", default="127.0.0.1"),
                port=dict(type="int"),
                url_username=dict(type="str"),
                url_password=dict(type="str", no_log=True),
                validate_certs=dict(type="bool", default=False),
            ), required_one_of=[("url", "port")]),
        ),
        required_by=dict(compare_with="root"),
        supports_check_mode=True,
    )
    p = module.params
    if p["root"]:
        def under_root(path):
            return os.path.normpath(os.path.join(p["root"], path))
        for key, field in (("directories", "path"), ("files", "dest"), ("secret_files", "dest")):
            for spec in p[key]:
                spec[field] = under_root(spec[field])
        p["absent"] = [under_root(path) for path in p["absent"]]
        p["exclusive"] = [under_root(path) for path in p["exclusive"]]
    probe_output = ""
    if p["probe"]:
        probe_output = output_of(module, p["probe"]["command"])
        if p["probe"]["refuse_pattern"] and re.search(p["probe"]["refuse_pattern"], probe_output):
            said = (probe_output.strip().splitlines() or [""])[0]
            module.fail_json(msg="%s (the host says: %s)" % (p["probe"]["refuse_msg"], said), changed=False)
    work = FileSet(module)
    if p["compare_with"]:
        staged_dir = os.path.normpath(os.path.join(p["root"], p["compare_with"]["staged"]))
        live_dir = p["compare_with"]["live"]
        work.shown_as = lambda path: (os.path.normpath(os.path.join(live_dir, os.path.relpath(path, staged_dir)))
                                      if inside(path, staged_dir) else path)
    if p["account"]:
        work.account(p["account"])
    for spec in p["directories"]:
        work.directory(spec)
    for spec in p["files"]:
        work.write(spec, secret=False)
    for spec in p["secret_files"]:
        work.write(spec, secret=True)
    for path in p["absent"]:
        work.remove(path)
    listed = set(spec["dest"] for spec in p["files"] + p["secret_files"])
    for directory in p["exclusive"]:
        prune(work, directory, listed)
    differs, candidate = None, None
    if p["compare_with"]:
        staged = os.path.normpath(os.path.join(p["root"], p["compare_with"]["staged"]))
        compared = staged
        if module.check_mode:
            candidate = build_candidate(module, p, staged)
            compared = candidate["path"]
        updated, removed = plan(compared, p["compare_with"]["live"], p["compare_with"]["managed_dirs"])
        differs = dict(updated=updated, removed=removed)
        if candidate and not (updated or removed):
            shutil.rmtree(candidate["path"], ignore_errors=True)
            candidate = None
    result = dict(changed=work.changed, updated=work.updated, removed=work.removed, changed_tags=work.tags,
                  created_tags=work.created_tags, needs=work.needs,
                  command_output=output_of(module, p["command"]), probe_output=probe_output)
    if differs is not None:
        result["live_differs"] = differs
    if candidate:
        result["candidate"] = candidate
    if p["service"]:
        result["service"] = service_state(module, p["service"])
    if module._diff and work.diffs:
        result["diff"] = work.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
