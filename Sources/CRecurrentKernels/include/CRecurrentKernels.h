#ifndef CRECURRENTKERNELS_H
#define CRECURRENTKERNELS_H

/// Whether this CPU runs AVX2 and FMA instructions (checked once with __builtin_cpu_supports).
int rk_cpu_has_avx2_fma(void);

/// The 6x16 AVX2/FMA micro-kernel of the fallback GEMM. Call only when rk_cpu_has_avx2_fma() != 0.
///
/// kc: depth (>= 0). a: packed A panel [kc x 6], element (r, p) at a[p*6 + r].
/// b: packed B panel [kc x 16], element (p, j) at b[p*16 + j].
/// c: the 6x16 tile of C, row-major with leading dimension ldc.
/// Computes C = alpha * A*B + beta * C; beta == 0 never reads C.
void rk_sgemm_kernel_6x16_avx2(long kc, const float *a, const float *b, float *c, long ldc,
                               float alpha, float beta);

#include "RecurrentGates.h"

#endif
