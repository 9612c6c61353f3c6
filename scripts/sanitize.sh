#!/usr/bin/env bash
# Runs the whole test suite under a sanitizer, in its own scratch folder so the normal .build is untouched:
#
#   scripts/sanitize.sh address   # AddressSanitizer (+ LeakSanitizer's exit check off, see below), .build-asan
#   scripts/sanitize.sh thread    # ThreadSanitizer, .build-tsan
#
# Debug builds (the sanitizers need no optimizer, and a debug build is quicker). Any sanitizer report fails
# the run: ASan aborts at the first error, TSan is told to (halt_on_error), and either way the test process
# exits non-zero. Extra arguments go to `swift test` (e.g. --filter RecurrentKernelsTests).
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-}
case "$kind" in
    address) scratch=.build-asan ;;
    thread) scratch=.build-tsan ;;
    *) echo "usage: scripts/sanitize.sh address|thread [swift test arguments…]" >&2; exit 2 ;;
esac
shift

# ASan: stop at the first report with a full stack. Leak checking is off: this pass is for memory errors
# (use after free, overflows, double frees), and the process-wide singletons (the BLAS selection, the worker
# pool and thread team, whose threads never end) are never freed by design.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=0:print_summary=1}
# TSan: a data race fails the run at once (second_deadlock_stack: both stacks of a lock-order report).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

if [[ "$kind" == thread ]]; then
    # The TSan pass forces the portable GEMM fallback. OpenBLAS (dlopen'ed) is not built with TSan, so races
    # inside it are invisible and every product it computes is code TSan does not check; the fallback is our
    # own parallel code (worker pool, packing, micro-kernels), which is exactly what this pass is for. (OpenBLAS
    # did not confuse TSan when tried: BLASTests, GEMMTests and BLASThreadingTests pass under TSan with it
    # loaded.) The BLAS path is run by the ASan pass and by the normal test runs in .ci/run.
    export RECURRENT_BLAS=none
fi

# Tests that would take minutes under a sanitizer (running the README's tagging snippet) check this.
export RECURRENT_SANITIZER=$kind

echo "sanitize: swift test --sanitize=$kind --scratch-path $scratch${RECURRENT_BLAS:+ (RECURRENT_BLAS=$RECURRENT_BLAS)}"
start=$SECONDS
swift test --sanitize="$kind" --scratch-path "$scratch" "$@"
echo "sanitize: $kind passed in $((SECONDS - start)) s"
