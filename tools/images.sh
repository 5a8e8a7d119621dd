#!/usr/bin/env bash
# Build the systemd base images the tests and the lab run on: tda-molecule:debian12 and :debian13.
# Nothing can be pulled here, so the image is made with debootstrap from Debian's mirror;
# where debootstrap is absent and a registry answers, from a pulled debian image plus systemd.
# On each, tda-services:<platform> adds the services the monitored hosts run (PostgreSQL, Redis,
# nginx, the TDA API's FastAPI and uvicorn, Java for Flink), installed but disabled: the lab and the exporters
# scenario start them where a host runs them. Nothing a role installs is in either image, so
# every role's package path still runs. An image is rebuilt only when missing or built from an
# older recipe (a new base image rebuilds its services image).
set -euo pipefail
cd "$(dirname "$0")/.."

packages="systemd,systemd-sysv,python3,python3-apt,ca-certificates,sudo,iproute2,procps,curl"
declare -A suites=([debian12]=bookworm [debian13]=trixie)
wanted=${*:-debian12 debian13}

mirror() {
  local uri
  uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

image_current() {
  [ "$(docker image inspect -f '{{index .Config.Labels "tda.recipe"}}' "$1" 2>/dev/null)" = "$recipe" ]
}

build_debootstrap() {
  local tag=$1 suite=$2 root
  root=$(mktemp -d /var/tmp/tda-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  local mirror_uri security_uri
  mirror_uri=$(mirror)
  security_uri=${mirror_uri%/debian}/debian-security
  debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror_uri" >/dev/null
  # debootstrap writes only "main" of the suite: add updates and security like a real host
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror_uri
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_uri
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # every container must get its own machine-id at boot
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # an emptied but recent list directory would look fresh to apt's cache_valid_time
  touch -d @0 "$root/var/lib/apt/lists"
  # units that only slow a container's boot or fail without hardware
  for unit in systemd-udevd.service systemd-udev-trigger.service getty@tty1.service \
      apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  tar --numeric-owner -C "$root" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    -c "LABEL tda.recipe=$recipe" - "$tag" >/dev/null
}

build_pulled() {
  local tag=$1 suite=$2
  docker build -q -t "$tag" --label "tda.recipe=$recipe" - >/dev/null <<DOCKERFILE
FROM debian:$suite
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(tr , ' ' <<<"$packages") \
 && rm -rf /var/lib/apt/lists/* && : > /etc/machine-id
ENV container=docker
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
DOCKERFILE
}

services_of() {  # platform -> the packages of its services image (Debian 13 has Java 21 only)
  local java=openjdk-17-jre-headless
  [ "$1" = debian12 ] || java=openjdk-21-jre-headless
  echo "postgresql postgresql-client redis-server nginx-light python3-prometheus-client python3-psutil python3-fastapi python3-uvicorn $java"
}

services_dockerfile() {  # base image, packages -> the Dockerfile of its services image
  local services=$2
  cat <<DOCKERFILE
FROM $1
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d \
 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $services >/dev/null \
 && systemctl disable postgresql redis-server nginx \
 && rm -f /usr/sbin/policy-rc.d && rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/* \
 && touch -d @0 /var/lib/apt/lists
DOCKERFILE
}

build_services() {
  local tag=$1 base=$2 out
  # quiet unless it fails (the legacy builder warns about itself on every build)
  out=$(services_dockerfile "$base" "$3" | docker build -q -t "$tag" --label "tda.recipe=$services_recipe" - 2>&1) ||
    { echo "$out" >&2; return 1; }
}

# the recipe: what goes into an image; a change to it rebuilds the images
recipe=$( { echo "$packages"; declare -f build_debootstrap build_pulled; } | sha256sum | cut -c1-12)

# one builder at a time: a second caller waits, then finds the image current
exec 8>/tmp/tda-images.lock
flock 8

for name in $wanted; do
  tag="tda-molecule:$name"
  suite=${suites[$name]:?unknown platform $name (known: ${!suites[*]})}
  if image_current "$tag"; then
    echo "== image $tag is current"
    continue
  fi
  start=$(date +%s)
  old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  if command -v debootstrap >/dev/null 2>&1; then
    build_debootstrap "$tag" "$suite"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    build_debootstrap "$tag" "$suite"
  else
    build_pulled "$tag" "$suite"
  fi
  # the replaced image is left untagged: remove it unless a container still uses it
  [ -z "$old" ] || docker image rm "$old" >/dev/null 2>&1 || true
  echo "== built $tag from $suite in $(( $(date +%s) - start )) s"
done

for name in $wanted; do
  tag="tda-services:$name"
  services_recipe=$( { docker image inspect -f '{{.Id}}' "tda-molecule:$name"; services_dockerfile "tda-molecule:$name" "$(services_of "$name")"; } \
    | sha256sum | cut -c1-12)
  if [ "$(docker image inspect -f '{{index .Config.Labels "tda.recipe"}}' "$tag" 2>/dev/null)" = "$services_recipe" ]; then
    echo "== image $tag is current"
    continue
  fi
  start=$(date +%s)
  old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  build_services "$tag" "tda-molecule:$name" "$(services_of "$name")"
  [ -z "$old" ] || docker image rm "$old" >/dev/null 2>&1 || true
  echo "== built $tag (the monitored services, disabled) in $(( $(date +%s) - start )) s"
done
