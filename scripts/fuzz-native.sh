#!/usr/bin/env bash
# Builds the libFuzzer harness of native/codec.c (native/fuzz/codec_fuzz.c)
# with AddressSanitizer and UndefinedBehaviorSanitizer and runs it.
# Run: npm run fuzz:native            (5,000,000 executions)
#      FUZZ_RUNS=0 npm run fuzz:native  (until stopped or a finding)
# A finding leaves a crash-* file in build/fuzz/; replay it with
#   build/fuzz/codec_fuzz build/fuzz/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang >/dev/null 2>&1 || ! clang -fsanitize=fuzzer -x c /dev/null -o /dev/null 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing clang and its libFuzzer runtime (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-dev >/dev/null 2>&1 ||
      DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-14-dev >/dev/null
  else
    echo "clang with libFuzzer is needed (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
  fi
fi

mkdir -p build/fuzz/corpus
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  native/fuzz/codec_fuzz.c native/codec.c -o build/fuzz/codec_fuzz
cd build/fuzz
exec ./codec_fuzz -runs="${FUZZ_RUNS:-5000000}" -max_len=600 -print_final_stats=1 corpus
