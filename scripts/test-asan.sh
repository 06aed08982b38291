#!/usr/bin/env bash
# Sanitizer run: build the Debug addon (-O0 -g, ASan + UBSan) and run the native parity (thread counts included),
# fuzz and async suites against it. Node itself is not instrumented, so the ASan runtime is preloaded; leaks are
# not checked (V8 and Node keep allocations alive until exit by design). Any ASan/UBSan report aborts the process and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/install.mjs --debug --strict

libasan="$(gcc -print-file-name=libasan.so)"
libubsan="$(gcc -print-file-name=libubsan.so)"
if [ ! -e "$libasan" ]; then
  echo "test-asan: libasan.so not found (gcc -print-file-name=libasan.so gave '$libasan')" >&2
  exit 1
fi

export CHARRNN_ADDON_PATH="$PWD/build/Debug/charrnn.node"
export LD_PRELOAD="$libasan${libubsan:+ $libubsan}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"

npx vitest run test/parity/chunk.test.ts test/parity/stack.test.ts test/parity/threads.test.ts test/fuzz/native-boundary.test.ts \
  test/integration/native-async.test.ts "$@"
