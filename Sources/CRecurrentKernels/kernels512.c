// AVX-512 micro-kernels, chosen at run time when the CPU has AVX-512F (see CRecurrentKernels.h).
#include "CRecurrentKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int rk_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

#define RK_AVX512 __attribute__((target("avx512f")))

RK_AVX512 static inline void rk_store_row512(float *c, __m512 lo, __m512 hi, __m512 alpha, float beta) {
    lo = _mm512_mul_ps(lo, alpha);
    hi = _mm512_mul_ps(hi, alpha);
    if (beta == 0.0f) {
        _mm512_storeu_ps(c, lo);
        _mm512_storeu_ps(c + 16, hi);
    } else if (beta == 1.0f) {
        _mm512_storeu_ps(c, _mm512_add_ps(_mm512_loadu_ps(c), lo));
        _mm512_storeu_ps(c + 16, _mm512_add_ps(_mm512_loadu_ps(c + 16), hi));
    } else {
        __m512 vb = _mm512_set1_ps(beta);
        _mm512_storeu_ps(c, _mm512_fmadd_ps(_mm512_loadu_ps(c), vb, lo));
        _mm512_storeu_ps(c + 16, _mm512_fmadd_ps(_mm512_loadu_ps(c + 16), vb, hi));
    }
}

// One 8x32 tile: element (r, p) of A is a[p*8 + r] when `packed` (a packed panel), else a[r*lda + p]
// (rows read in place). Inlined into the two kernels below with `packed` constant, so each loop is plain.
RK_AVX512 static inline __attribute__((always_inline))
void rk_tile_8x32(ptrdiff_t kc, const float *a, ptrdiff_t lda, int packed, const float *b, float *c, ptrdiff_t ldc,
                  float alpha, float beta) {
    __m512 acc[8][2];
    for (int r = 0; r < 8; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (ptrdiff_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + 32 * p), b1 = _mm512_loadu_ps(b + 32 * p + 16);
        for (int r = 0; r < 8; r++) {
            __m512 av = _mm512_set1_ps(packed ? a[8 * p + r] : a[r * lda + p]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    __m512 va = _mm512_set1_ps(alpha);
    for (int r = 0; r < 8; r++) rk_store_row512(c + r * ldc, acc[r][0], acc[r][1], va, beta);
}

RK_AVX512 void rk_sgemm_kernel_8x32_avx512(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                                          float alpha, float beta) {
    rk_tile_8x32(kc, a, 8, 1, b, c, ldc, alpha, beta);
}

// The same tile with A read in place from eight rows a + r·lda (row-major, not packed).
RK_AVX512 void rk_sgemm_kernel_8x32_avx512_rows(ptrdiff_t kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                               ptrdiff_t ldc, float alpha, float beta) {
    rk_tile_8x32(kc, a, lda, 0, b, c, ldc, alpha, beta);
}

// A few rows times 32-wide packed panels (see rk_panel_rows): two depths per iteration, four accumulators.
RK_AVX512 void rk_panel_rows32_avx512(long m, long kc, const float *a, long lda, const float *panel, long cols,
                                      float *c, long ldc, float alpha, float beta) {
    for (long i = 0; i < m; i++) {
        const float *row = a + i * lda;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
        const float *b = panel;
        long p = 0;
        for (; p + 1 < kc; p += 2, b += 64) {
            __m512 x0 = _mm512_set1_ps(row[p]), x1 = _mm512_set1_ps(row[p + 1]);
            acc0 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b), acc0);
            acc1 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b + 16), acc1);
            acc2 = _mm512_fmadd_ps(x1, _mm512_loadu_ps(b + 32), acc2);
            acc3 = _mm512_fmadd_ps(x1, _mm512_loadu_ps(b + 48), acc3);
        }
        if (p < kc) {
            __m512 x0 = _mm512_set1_ps(row[p]);
            acc0 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b), acc0);
            acc1 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b + 16), acc1);
        }
        float sum[32];
        _mm512_storeu_ps(sum, _mm512_add_ps(acc0, acc2));
        _mm512_storeu_ps(sum + 16, _mm512_add_ps(acc1, acc3));
        float *out = c + i * ldc;
        if (beta == 0.0f) {
            for (long j = 0; j < cols; j++) out[j] = alpha * sum[j];
        } else {
            for (long j = 0; j < cols; j++) out[j] = alpha * sum[j] + beta * out[j];
        }
    }
}

#else

int rk_cpu_has_avx512(void) { return 0; }

void rk_sgemm_kernel_8x32_avx512(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                                 float alpha, float beta) {
    (void)kc; (void)a; (void)b; (void)c; (void)ldc; (void)alpha; (void)beta;
}

void rk_sgemm_kernel_8x32_avx512_rows(ptrdiff_t kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                     ptrdiff_t ldc, float alpha, float beta) {
    (void)kc; (void)a; (void)lda; (void)b; (void)c; (void)ldc; (void)alpha; (void)beta;
}

void rk_panel_rows32_avx512(long m, long kc, const float *a, long lda, const float *panel, long cols,
                            float *c, long ldc, float alpha, float beta) {
    (void)m; (void)kc; (void)a; (void)lda; (void)panel; (void)cols; (void)c; (void)ldc; (void)alpha; (void)beta;
}

#endif
