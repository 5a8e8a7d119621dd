# Sphinx configuration of the docs site (`make docs`, tools/docs.sh): antsibull-docs writes the
# collection's reference under collections/, the guides are this repository's Markdown (MyST).
import os
import zlib

project = "tda.monitoring"
copyright = "tda.monitoring contributors"
title = html_short_title = "tda.monitoring"

extensions = ["sphinx.ext.intersphinx", "sphinx_antsibull_ext", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
pygments_style = "ansible"
highlight_language = "YAML+Jinja"
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_use_modindex = False
html_use_index = False
html_copy_source = False
default_role = "any"
nitpicky = True
# the guides' tables and fenced blocks; no heading anchors are linked to
myst_enable_extensions = []

# antsibull-docs links a few pages of Ansible's own docsite (return values common to all
# modules, action plugins, configuration settings, ansible.builtin's modules). No inventory can
# be fetched here, so the labels it uses are listed with their pages; a label missing from this
# list fails the build with its name.
ANSIBLE_DOCSITE = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values",
                             "Return Values"),
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings",
                                       "Ansible Configuration Settings"),
    "ansible_collections.ansible.builtin.setup_module": (
        "collections/ansible/builtin/setup_module.html#ansible-collections-ansible-builtin-setup-module",
        "ansible.builtin.setup module"),
}


def _ansible_inventory(path):
    lines = "".join("%s std:label -1 %s %s\n" % (label, uri, text) for label, (uri, text) in ANSIBLE_LABELS.items())
    with open(path, "wb") as inventory:
        inventory.write(b"# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
                        b"# The remainder of this file is compressed using zlib.\n")
        inventory.write(zlib.compress(lines.encode()))
    return path


intersphinx_mapping = {
    "ansible_devel": (ANSIBLE_DOCSITE, _ansible_inventory(os.path.join(os.environ["TDA_DOCS_WORK"], "ansible_devel.inv"))),
}
intersphinx_disabled_reftypes = []
