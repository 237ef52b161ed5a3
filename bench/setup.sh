#!/usr/bin/env bash
# Installs the peers of the benchmarks (bench/README.md): iperf3, sockperf,
# Lua 5.4 with LuaSocket and Python 3 from Debian's packages (needs root),
# and the npm package unix-dgram under bench/.peers (not a dependency of
# berkeley). Whatever is still missing afterwards is reported by `npm run bench`.
set -euo pipefail
cd "$(dirname "$0")"

packages=(iperf3 sockperf lua5.4 lua-socket python3)
if command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
  else
    echo "setup: not root: install ${packages[*]} yourself (sudo apt-get install ...)" >&2
  fi
else
  echo "setup: no apt-get: install ${packages[*]} with your package manager" >&2
fi

mkdir -p .peers
[ -f .peers/package.json ] || echo '{ "private": true }' > .peers/package.json
# unix-dgram builds a native addon with node-gyp when installed.
npm install --prefix .peers --no-audit --no-fund unix-dgram@2
test -f .peers/node_modules/unix-dgram/build/Release/unix_dgram.node || (cd .peers/node_modules/unix-dgram && npx --yes node-gyp rebuild)
echo "setup: done"
