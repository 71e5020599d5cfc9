#!/bin/sh
# decnet-agent launcher: runs the bundled agent with the system Node.js. Default directories are
# rooted under DECNET_INSTALL_ROOT so a test install behaves exactly like a real one.
set -eu
here=$(dirname "$(readlink -f "$0")")
root=${DECNET_INSTALL_ROOT:-/}
root=${root%/}
: "${DECNET_AGENT_DIR:=$root/etc/decnet/agent}"
: "${DECNET_STATE_DIR:=$root/var/lib/decnet}"
export DECNET_AGENT_DIR DECNET_STATE_DIR
exec node "$here/../lib/cli.js" "$@"
