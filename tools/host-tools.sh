#!/usr/bin/env bash
# promtool, amtool, prometheus and alertmanager for the unit tests, taken from Debian's
# packages into .cache/host-tools/bin without installing (or starting) anything system-wide; and
# amtool, promtool and prometheus of every release in the mirror (Alertmanager 0.28.1, 0.33.1;
# Prometheus 3.5.3 among them), as .cache/host-tools/bin/amtool-VERSION, promtool-VERSION and
# prometheus-VERSION. And Flink 2.3.0 and 1.20.3 from PyPI's jars with Java (tools/flink-dist.sh),
# which the flink_prometheus_reporter tests start.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/host-tools
want=(prometheus prometheus-alertmanager prometheus-blackbox-exporter)
mirror_tools() {  # daemon tool: TOOL-VERSION of each release of DAEMON in the mirror
  local daemon=$1 tool=$2 archive version
  for archive in .cache/mirror/"$daemon"/releases/download/v*/"$daemon"-*.linux-amd64.tar.gz; do
    [ -e "$archive" ] || continue
    version=${archive##*/"$daemon"-}; version=${version%.linux-amd64.tar.gz}
    [ -x "$dest/bin/$tool-$version" ] && continue
    tar -xzf "$archive" -O "$daemon-$version.linux-amd64/$tool" >"$dest/bin/$tool-$version.tmp"
    chmod 0755 "$dest/bin/$tool-$version.tmp" && mv "$dest/bin/$tool-$version.tmp" "$dest/bin/$tool-$version"
  done
}
mkdir -p "$dest/bin"
bash tools/mirror.sh
mirror_tools alertmanager amtool
mirror_tools prometheus promtool
mirror_tools prometheus prometheus
bash tools/flink-dist.sh
if [ -x "$dest/bin/promtool" ] && [ -x "$dest/bin/amtool" ] && [ -x "$dest/bin/alertmanager" ] && [ -x "$dest/bin/blackbox_exporter" ]; then
  exit 0
fi
command -v apt-get >/dev/null || { echo "apt-get is needed to fetch Debian's promtool and amtool" >&2; exit 1; }
mkdir -p "$dest/debs" "$dest/root" "$dest/bin"
cd "$dest/debs"
if ! apt-get download "${want[@]}" >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] && apt-get update -qq
  apt-get download "${want[@]}" >/dev/null
fi
cd - >/dev/null
for deb in "$dest"/debs/*.deb; do dpkg-deb -x "$deb" "$dest/root"; done
ln -sf ../root/usr/bin/promtool "$dest/bin/promtool"
ln -sf ../root/usr/bin/prometheus "$dest/bin/prometheus"
ln -sf ../root/usr/bin/amtool "$dest/bin/amtool"
ln -sf ../root/usr/bin/prometheus-alertmanager "$dest/bin/alertmanager"
ln -sf ../root/usr/bin/prometheus-blackbox-exporter "$dest/bin/blackbox_exporter"
# Debian's Alertmanager reads its default template from this compiled-in path
if [ ! -f /usr/share/prometheus/alertmanager/default.tmpl ] && [ "$(id -u)" = 0 ]; then
  mkdir -p /usr/share/prometheus/alertmanager
  cp "$dest"/root/usr/share/prometheus/alertmanager/*.tmpl /usr/share/prometheus/alertmanager/
fi
echo "== host tools: $("$dest/bin/promtool" --version 2>&1 | head -1)"
