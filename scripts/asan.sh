#!/usr/bin/env bash
# Builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer and runs
# the whole test suite under them, then rebuilds the normal addon.
# Run: npm run test:asan   (npm puts its bundled node-gyp on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node-gyp >/dev/null 2>&1; then
  echo "node-gyp is not on PATH: run this through 'npm run test:asan'" >&2
  exit 2
fi
libasan=$(cc -print-file-name=libasan.so)
if [ ! -e "$libasan" ]; then
  echo "libasan.so not found (cc -print-file-name=libasan.so): install gcc's sanitizer runtime" >&2
  exit 2
fi

restore() { node-gyp rebuild >/dev/null 2>&1 || echo "warning: rebuilding the normal addon failed" >&2; }
trap restore EXIT

san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CFLAGS="$san" CXXFLAGS="$san" LDFLAGS="-fsanitize=address,undefined" node-gyp rebuild >/dev/null
ldd build/Release/berkeley.node | grep -q asan || { echo "the addon was not built with ASan" >&2; exit 1; }

# Node itself is not built with ASan: leak checking would report V8's own
# allocations at exit, so it is off; every other check is on and fatal.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The runtime is preloaded into the processes that load the addon and no
# others: scripts/asan-children.mjs, in every Node process, hands it on only
# to children that start a JavaScript runtime (tools such as logger hang
# under it).
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--import=\"$PWD/scripts/asan-children.mjs\""
# Arguments name test files to run (npm run test:asan -- test/engine.test.ts); none, the whole suite.
[ $# -gt 0 ] || set -- test/*.test.ts
LD_PRELOAD="$libasan" node --import tsx --test --test-concurrency=1 "$@"
