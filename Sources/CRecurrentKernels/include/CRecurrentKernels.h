#ifndef CRECURRENTKERNELS_H
#define CRECURRENTKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU runs AVX2 and FMA instructions (checked once with __builtin_cpu_supports).
int rk_cpu_has_avx2_fma(void);

/// The 6x16 AVX2/FMA micro-kernel of the fallback GEMM. Call only when rk_cpu_has_avx2_fma() != 0.
///
/// kc: depth (>= 0). a: packed A panel [kc x 6], element (r, p) at a[p*6 + r].
/// b: packed B panel [kc x 16], element (p, j) at b[p*16 + j].
/// c: the 6x16 tile of C, row-major with leading dimension ldc.
/// Computes C = alpha * A*B + beta * C; beta == 0 never reads C.
void rk_sgemm_kernel_6x16_avx2(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                               float alpha, float beta);

/// Whether the CPU runs AVX-512F.
int rk_cpu_has_avx512(void);

/// The 8x32 AVX-512 micro-kernel: as rk_sgemm_kernel_6x16_avx2 with A panels of 8 rows (a[p*8 + r]) and
/// B panels of 32 columns (b[p*32 + j]). Call only when rk_cpu_has_avx512() != 0.
void rk_sgemm_kernel_8x32_avx512(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                                 float alpha, float beta);

/// rk_sgemm_kernel_8x32_avx512 with A read in place from eight rows a + r·lda (row-major, not packed).
void rk_sgemm_kernel_8x32_avx512_rows(ptrdiff_t kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                     ptrdiff_t ldc, float alpha, float beta);

/// rk_panel_rows for 32-column panels (panel[p*32 + j]). Call only when rk_cpu_has_avx512() != 0.
void rk_panel_rows32_avx512(long m, long kc, const float *a, long lda, const float *panel, long cols,
                            float *c, long ldc, float alpha, float beta);

/// A hint to the CPU that this thread is spinning (x86 `pause`); nothing elsewhere.
static inline void rk_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Atomic load (acquire) of a word shared between threads: Parallel's worker pool spins on these.
static inline intptr_t rk_atomic_load(const intptr_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

/// Atomic store (release) of a word shared between threads.
static inline void rk_atomic_store(intptr_t *p, intptr_t value) { __atomic_store_n(p, value, __ATOMIC_RELEASE); }

/// Atomic fetch-and-add (acq_rel); returns the value before the addition.
static inline intptr_t rk_atomic_fetch_add(intptr_t *p, intptr_t value) { return __atomic_fetch_add(p, value, __ATOMIC_ACQ_REL); }

#include "RecurrentGates.h"
#include "RecurrentOptimizers.h"

#endif
