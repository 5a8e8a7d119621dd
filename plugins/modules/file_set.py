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
      kind:
        description: What the file is for the caller (C(unit), C(release), C(start), C(web)), reported in RV(changed_kinds) when it changes.
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
      mask_keys:
        description:
          - YAML keys whose value, on every line of the file that sets one, is shown as C(********) in
            the diff, before and after - so that an inline secret that is changed or removed (no
            longer in O(files[].mask)) does not show on the diff's old side either.
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
      kind:
        description: What the file is for the caller, reported in RV(changed_kinds) when it changes.
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
  spare_named_in:
    description:
      - Files (a daemon's live configuration) whose text names a file of an O(exclusive) directory by
        its whole path - that file is kept although the set does not list it, because the running
        daemon still reads it until a configuration that no longer names it is loaded. A missing
        file names nothing.
      - With no O(files) listed, this removes exactly what a newly loaded configuration stopped naming.
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
      - {dest: /usr/local/bin/node_exporter, src: /var/cache/tda/node_exporter/node_exporter, mode: '0755', kind: release}
      - {dest: /etc/systemd/system/node_exporter.service, content: "{{ lookup('ansible.builtin.template', 'daemon.service.j2') }}", kind: unit}
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
changed_kinds:
  description: The kinds of the files written or corrected, once each.
  returned: always
  type: list
  elements: str
created_kinds:
  description: The kinds of the files that did not exist before (a new unit means a daemon that was not running).
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
msg:
  description: What changed, in one line (the files written or corrected and removed, their kinds, and how the staged set differs from the live one).
  returned: always
  type: str
  sample: "2 written or corrected (/etc/prometheus/.staging/prometheus.yml, /etc/prometheus/file_sd/node.yml); kinds changed: unit"
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
    restart_owed:
      description:
        - Running, but started before its unit file or a drop-in was last written, or running a binary
          that has since been replaced; a run that placed them and never restarted the daemon left
          this restart owed, and the daemon role does it.
      type: bool
'''

import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tda.monitoring.plugins.module_utils.config_tree import plan
from ansible_collections.tda.monitoring.plugins.module_utils.file_set_parts import (
    FileSet, build_candidate, file_options, inside, named_in, output_of, probe, prune, service_state, summary)


def main():
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
            files=dict(type="list", elements="dict", default=[], options=file_options(secret=False)),
            # the list holds paths too; only each content is hidden
            secret_files=dict(type="list", elements="dict", default=[], no_log=False, options=file_options(secret=True)),
            absent=dict(type="list", elements="path", default=[]),
            exclusive=dict(type="list", elements="path", default=[]),
            spare_named_in=dict(type="list", elements="path", default=[]),
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
        p["spare_named_in"] = [under_root(path) for path in p["spare_named_in"]]
    probe_output = probe(module, p["probe"])
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
    spared = named_in(p["spare_named_in"]) if p["spare_named_in"] else None
    for directory in p["exclusive"]:
        prune(work, directory, listed, spared)
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
    result = dict(changed=work.changed, updated=work.updated, removed=work.removed, changed_kinds=work.kinds,
                  created_kinds=work.created_kinds, needs=work.needs,
                  command_output=output_of(module, p["command"]), probe_output=probe_output)
    if differs is not None:
        result["live_differs"] = differs
    result["msg"] = summary(work, differs)
    if candidate:
        result["candidate"] = candidate
    if p["service"]:
        result["service"] = service_state(module, p["service"])
    if module._diff and work.diffs:
        result["diff"] = work.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
