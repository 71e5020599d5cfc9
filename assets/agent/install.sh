#!/bin/sh
# Installs the DECNET agent from this unpacked tarball.
#   ./install.sh [--master URL --token TOKEN [--name NAME] [--address ADDR]...] [--bundle FILE]
# Every path is rooted under DECNET_INSTALL_ROOT (default /), so tests can install into a temp dir.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${DECNET_INSTALL_ROOT:-/}
root=${root%/}
version=$(cat "$here/VERSION")

die() { echo "install.sh: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "Node.js 20.19 or newer is required (node not found on PATH)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js 20.19 or newer is required (found $(node --version))"

(cd "$here" && sha256sum --quiet -c SHA256SUMS) || die "checksum mismatch: the tarball is damaged"

master="" token="" bundle="" name="" addresses=""
while [ $# -gt 0 ]; do
  case "$1" in
    --master) master=${2:?--master needs a URL}; shift 2 ;;
    --token) token=${2:?--token needs a value}; shift 2 ;;
    --bundle) bundle=${2:?--bundle needs a file}; shift 2 ;;
    --name) name=${2:?--name needs a value}; shift 2 ;;
    --address) addresses="$addresses --address ${2:?--address needs a value}"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
if [ -n "$token" ] && [ -z "$master" ]; then die "--token needs --master"; fi

release="$root/opt/decnet/releases/$version"
mkdir -p "$release" "$root/usr/local/bin" "$root/etc/decnet/agent" "$root/var/lib/decnet" "$root/var/log/decnet" "$root/etc/systemd/system"
chmod 0700 "$root/etc/decnet/agent" "$root/var/lib/decnet"
cp -R "$here/bin" "$here/lib" "$here/VERSION" "$release/"
ln -sfn "$release" "$root/opt/decnet/current"
ln -sfn "$root/opt/decnet/current/bin/decnet-agent" "$root/usr/local/bin/decnet-agent"
[ -f "$root/etc/decnet/agent.env" ] || cp "$here/etc/agent.env" "$root/etc/decnet/agent.env"
cp "$here/systemd/decnet-agent.service" "$here/systemd/decnet-updater.service" "$root/etc/systemd/system/"
echo "installed decnet-agent $version under ${root:-/}"

export DECNET_INSTALL_ROOT="${root:-/}"
if [ -n "$bundle" ]; then
  "$root/usr/local/bin/decnet-agent" enroll --bundle "$bundle"
elif [ -n "$master" ]; then
  # shellcheck disable=SC2086 # addresses is a list of flag pairs
  "$root/usr/local/bin/decnet-agent" enroll --master "$master" --token "$token" ${name:+--name "$name"} $addresses
fi

if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
  if [ -f /etc/decnet/agent/worker.crt ]; then systemctl enable --now decnet-agent.service decnet-updater.service; fi
  echo "systemd units decnet-agent.service and decnet-updater.service installed"
fi
