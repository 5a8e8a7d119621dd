"""with_defaults: the entry's own keys win, as combine after product did."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.tda.monitoring.plugins.filter.with_defaults import with_defaults


def test_entries_keep_their_own_keys():
    assert with_defaults([{"dest": "a"}, {"dest": "b", "mode": "0600"}], {"group": "g", "mode": "0640"}) == [
        {"group": "g", "mode": "0640", "dest": "a"}, {"group": "g", "mode": "0600", "dest": "b"}]
    assert with_defaults([], {"mode": "0640"}) == [] and with_defaults(None, {}) == []


def test_a_non_dict_is_named():
    with pytest.raises(AnsibleFilterError, match="every entry must be a dict"):
        with_defaults(["a.yml"], {"mode": "0640"})
