#!/usr/bin/env bash
# The bench's peers: HAProxy and nginx (with Debian's separate stream module), installed with
# apt when missing. `npm run bench` runs without them, printing fewer columns.
set -euo pipefail
need=()
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
haproxy -v | head -1
nginx -v
