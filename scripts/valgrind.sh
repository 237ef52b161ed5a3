#!/usr/bin/env bash
# Runs the test suite under valgrind's memcheck with the addon built with
# debug info, one test file per valgrind process, and reports every error and
# definite leak whose innermost frame outside libc is the addon's own code
# (sk_* functions). V8 and Node raise errors of their own under memcheck
# (conservative stack scanning, JIT code): those are counted, not failed on.
#
# Run: npm run test:valgrind [-- test/socket-io.test.ts ...]
# Env: VALGRIND_JOBS (parallel files, default 2), VALGRIND_TIMEOUT (seconds
# per file, default 1800), VALGRIND_LOGS (log directory, default a temp dir).
#
# Test files run in-process (node --import tsx FILE), so child processes that
# some tests spawn (the fuzzer, fault injection, the CLI) run outside valgrind.
# Tests are slowed 20-50x: a test that fails on a timing bound under valgrind
# is reported as such; the memory verdict is what this script is for.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node-gyp >/dev/null 2>&1; then
  echo "node-gyp is not on PATH: run this through 'npm run test:valgrind'" >&2
  exit 2
fi
if ! command -v valgrind >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing valgrind (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind >/dev/null
  else
    echo "valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
  fi
fi

logs=${VALGRIND_LOGS:-$(mktemp -d /tmp/berkeley-valgrind.XXXXXX)}
mkdir -p "$logs"

restore() { node-gyp rebuild >/dev/null 2>&1 || echo "warning: rebuilding the normal addon failed" >&2; }
trap restore EXIT
CFLAGS="-g -fno-omit-frame-pointer" node-gyp rebuild >"$logs/build.log" 2>&1 || { cat "$logs/build.log" >&2; exit 1; }
jobs=${VALGRIND_JOBS:-2}
limit=${VALGRIND_TIMEOUT:-1800}
if [ $# -gt 0 ]; then files=("$@"); else files=(test/*.test.ts); fi
echo "valgrind logs in $logs; ${#files[@]} files, $jobs at a time, ${limit}s each" >&2

run_one() {
  local file=$1 name
  name=$(basename "$file" .test.ts)
  local start=$SECONDS rc=0
  timeout --kill-after=30 "$limit" valgrind --tool=memcheck --error-limit=no --num-callers=40 \
    --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --log-file="$logs/$name.valgrind" \
    node --import tsx "$file" >"$logs/$name.out" 2>&1 || rc=$?
  echo "$name rc=$rc $((SECONDS - start))s" >>"$logs/status"
}
export -f run_one
export logs limit
export BERKELEY_VALGRIND=1  # tests that cannot work under valgrind skip with a reason
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

node scripts/valgrind-report.mjs "$logs"
