#!/bin/sh
# Removes the DECNET agent (rooted under DECNET_INSTALL_ROOT, default /). Logs under
# /var/log/decnet are kept; pass --purge to also delete the identity and state.
set -eu
root=${DECNET_INSTALL_ROOT:-/}
root=${root%/}
purge=no
[ "${1:-}" = "--purge" ] && purge=yes
if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now decnet-updater.service decnet-agent.service 2>/dev/null || true
fi
rm -f "$root/etc/systemd/system/decnet-agent.service" "$root/etc/systemd/system/decnet-updater.service" "$root/usr/local/bin/decnet-agent"
rm -rf "$root/opt/decnet"
if [ "$purge" = yes ]; then rm -rf "$root/etc/decnet" "$root/var/lib/decnet"; fi
echo "decnet-agent removed from ${root:-/}${purge:+ (purge=$purge)}"
