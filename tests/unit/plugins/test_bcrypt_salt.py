"""bcrypt_salt gives a valid, stable salt: the same hash on every run, none of passlib's warnings."""
import warnings

from passlib.hash import bcrypt

from ansible_collections.tda.monitoring.plugins.filter.bcrypt_salt import bcrypt_salt


def test_salt_is_stable_and_distinct_per_seed():
    assert bcrypt_salt("mon1admin") == bcrypt_salt("mon1admin")
    assert bcrypt_salt("mon1admin") != bcrypt_salt("mon2admin")
    assert len(bcrypt_salt("x")) == 22


def test_salt_is_accepted_without_padding_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in ("a", "mon1admin", "api2prometheus", "x" * 100):
            hashed = bcrypt.using(salt=bcrypt_salt(seed), rounds=4).hash("secret")
            assert bcrypt.verify("secret", hashed)
