import pytest

from ansible_collections.tda.monitoring.plugins.module_utils.durations import duration_seconds


@pytest.mark.parametrize("text, seconds", [
    ("15s", 15), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), ("1y", 31536000),
    ("500ms", 0.5), ("1m30s500ms", 90.5), ("0", 0), (" 10s ", 10),
])
def test_prometheus_durations(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "1.5h", "10 s", "30m1h", "s", "-5s", "5sec"])
def test_what_prometheus_refuses_is_refused(text):
    with pytest.raises(ValueError, match="is not a duration"):
        duration_seconds(text)
