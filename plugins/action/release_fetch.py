# -*- coding: utf-8 -*-
# Copyright: tda.monitoring contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of tda.monitoring.release_fetch: runs on the controller, touches no host.

One task instead of seven module runs on localhost: the checksums, the release files of every
architecture, verified, and each unpacked once into the cache. A run that finds everything in
the cache reads a few small files and forks nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import tarfile
import tempfile
import zipfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.six.moves.urllib.error import URLError
from ansible.module_utils.six.moves.urllib.request import ProxyHandler, build_opener
from ansible.plugins.action import ActionBase
from ansible_collections.tda.monitoring.plugins.filter.release_file import is_archive
from ansible_collections.tda.monitoring.plugins.module_utils.digest import sha256_of
from ansible_collections.tda.monitoring.plugins.plugin_utils.digest import sha256_cached


def download(url, dest, proxy, timeout=60):
    """Fetch url into dest through a temporary file beside it; never leaves half a file."""
    opener = build_opener(ProxyHandler({"http": proxy, "https": proxy} if proxy else {}))
    directory = os.path.dirname(dest)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as handle:
            response = opener.open(url, timeout=timeout)
            shutil.copyfileobj(response, handle)
        os.chmod(tmp, 0o644)
        os.rename(tmp, dest)
    except (URLError, IOError, OSError) as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise AnsibleActionFail("release_fetch: cannot download %s: %s. Check the version, the archive URL "
                                "and the proxy, or install offline from a directory." % (url, exc))


def unpack(archive, dest):
    """Unpack into dest; members that would land outside it are refused."""
    root = os.path.realpath(dest)
    if archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as handle:
            names = handle.namelist()
            _refuse_escapes(archive, root, names)
            handle.extractall(dest)
        return
    with tarfile.open(archive, "r:gz") as handle:
        members = handle.getmembers()
        _refuse_escapes(archive, root, [m.name for m in members])
        for member in members:
            if member.issym() or member.islnk():
                _refuse_escapes(archive, root, [os.path.join(os.path.dirname(member.name), member.linkname)])
        if hasattr(tarfile, "tar_filter"):
            handle.extractall(dest, filter="tar")
        else:
            handle.extractall(dest)


def _refuse_escapes(archive, root, names):
    for name in names:
        target = os.path.realpath(os.path.join(root, name))
        if target != root and not target.startswith(root + os.sep):
            raise AnsibleActionFail("release_fetch: %s holds %s, which would be unpacked outside %s; refused"
                                    % (archive, name, root))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=dict(
            name=dict(type="str", required=True),
            version=dict(type="str", required=True),
            source=dict(type="str", required=True),
            cache=dict(type="path", required=True),
            files=dict(type="list", elements="str", required=True),
            stems=dict(type="list", elements="str", required=True),
            checksums=dict(type="dict", default={}),
            checksums_file=dict(type="str", default="sha256sums.txt"),
            proxy=dict(type="str", default=""),
            tree=dict(type="bool", default=False),
            flat=dict(type="bool", default=False),
            first_member=dict(type="str", default=""),
        ))
        name, version = args["name"], str(args["version"])
        source = args["source"].rstrip("/")
        cache = args["cache"]
        files, stems = list(args["files"]), list(args["stems"])
        proxy = args.get("proxy") or ""
        tree, flat = bool(args.get("tree")), bool(args.get("flat"))
        first_member = args.get("first_member") or ""
        os.makedirs(cache, exist_ok=True)
        changed = False

        sums = dict(args.get("checksums") or {})
        if not sums:
            pattern = args.get("checksums_file") or "sha256sums.txt"
            per_file = "{file}" in pattern or "{stem}" in pattern
            for release, sum_file in ([(f, pattern.replace("{file}", f).replace("{stem}", stem))
                                       for f, stem in zip(files, stems)] if per_file else [(None, pattern)]):
                path = os.path.join(cache, sum_file)
                if not os.path.isfile(path):
                    download("%s/%s" % (source, sum_file), path, proxy)
                    changed = True
                with open(path) as handle:
                    lines = [line.split() for line in handle.read().splitlines() if line.strip()]
                listed = {fields[-1].lstrip("*"): fields[0] for fields in lines if len(fields) >= 2}
                if per_file:
                    # one release file's own checksum file: its line names it, or it holds the bare sum
                    sums[release] = listed.get(release) or (lines[0][0] if lines else "")
                else:
                    sums.update(listed)
        missing = [f for f in files if f not in sums]
        if missing:
            raise AnsibleActionFail("%s %s: no sha256 for %s in %s; check the version and the archive URL, or give "
                                    "the sums in the role's archive_checksums variable."
                                    % (name, version, ", ".join(missing), source))

        fetched = []
        for release, stem in zip(files, stems):
            path = os.path.join(cache, release)
            wanted = sums[release].lower()
            anew = not (os.path.isfile(path) and sha256_cached(path) == wanted)
            if anew:
                download("%s/%s" % (source, release), path, proxy)
                actual = sha256_of(path)
                if actual != wanted:
                    os.unlink(path)
                    raise AnsibleActionFail(
                        "%s %s: the sha256 of %s/%s did not match: expected %s, got %s. Nothing on any host was "
                        "changed; check the mirror, or the sums given in archive_checksums."
                        % (name, version, source, release, wanted, actual))
                sha256_cached(path)  # remember the verified sum
                changed = True
                fetched.append(release)
            if tree:
                continue  # a tree is unpacked on each host, from the verified archive
            if is_archive(release):
                target = os.path.join(cache, stem) if flat else cache
                if anew or not os.path.exists(os.path.join(cache, stem, first_member)):
                    os.makedirs(target, exist_ok=True)
                    unpack(path, target)
                    changed = True
            else:
                # a bare binary or a jar gets a directory of its own, under the name the install expects
                placed = os.path.join(cache, stem, first_member)
                if anew or not os.path.isfile(placed) or sha256_cached(placed) != wanted:
                    os.makedirs(os.path.dirname(placed), exist_ok=True)
                    shutil.copyfile(path, placed)
                    changed = True
        result.update(changed=changed, fetched=fetched, cache=cache)
        if changed and self._task.check_mode:
            # the controller's cache is filled even in check mode, to validate with the verified
            # release; no managed host changed, and the real run after it finds the cache filled
            result.update(changed=False, msg="check mode: %s %s fetched and verified into the controller's cache %s"
                          % (name, version, cache))
        return result
