"""bcrypt_hash gives the hash password_hash('bcrypt') gives with the same derived salt (web configs
deployed before it do not change), computes each hash once per process, and refuses what bcrypt
would silently cut or cannot do."""
import pytest
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import get_encrypted_password
from passlib.hash import bcrypt as passlib_bcrypt

from ansible_collections.tda.monitoring.plugins.filter import bcrypt_hash as module
from ansible_collections.tda.monitoring.plugins.filter.bcrypt_hash import bcrypt_hash
from ansible_collections.tda.monitoring.plugins.filter.bcrypt_salt import bcrypt_salt


@pytest.mark.parametrize("seed", ["mon1prometheusadmin", "api2node_exporterprometheus", "x" * 100])
def test_the_same_hash_as_ansibles_password_hash_with_the_derived_salt(seed):
    expected = get_encrypted_password("s3cret-pw", "bcrypt", salt=bcrypt_salt(seed), rounds=5)
    assert bcrypt_hash("s3cret-pw", seed, rounds=5) == expected
    assert passlib_bcrypt.verify("s3cret-pw", expected)


def test_the_default_cost_is_passlibs_12_so_deployed_hashes_stay():
    hashed = bcrypt_hash("pw", "seed")
    assert hashed.startswith("$2b$12$")
    assert hashed == get_encrypted_password("pw", "bcrypt", salt=bcrypt_salt("seed"))


def test_computed_once_per_process(monkeypatch):
    module._HASHED.clear()  # pylint: disable=protected-access
    calls = []
    real_hashpw = module.bcrypt.hashpw

    def counted_hashpw(secret, salt):
        calls.append(salt)
        return real_hashpw(secret, salt)
    monkeypatch.setattr(module.bcrypt, "hashpw", counted_hashpw)
    first = bcrypt_hash("pw-once", "seed-once", rounds=5)
    reads = [bcrypt_hash("pw-once", "seed-once", rounds=5) for dummy in range(20)]
    assert reads == [first] * 20
    assert len(calls) == 1, "bcrypt ran %d times for one password" % len(calls)
    assert bcrypt_hash("pw-other", "seed-once", rounds=5) != first
    assert bcrypt_hash("pw-once", "seed-once", rounds=6) != first
    assert len(calls) == 3


@pytest.mark.parametrize("password, rounds, said", [
    ("x" * 73, 12, "longer than 72 bytes"),
    ("pw", 3, "rounds must be 4 to 31"),
])
def test_refused_with_a_reason(password, rounds, said):
    with pytest.raises(AnsibleFilterError, match=said):
        bcrypt_hash(password, "seed", rounds=rounds)
