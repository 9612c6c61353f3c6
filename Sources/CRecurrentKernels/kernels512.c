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

#define RK_ROW(r) av = _mm512_set1_ps(a[r]); c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0); \
                  c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);

RK_AVX512 void rk_sgemm_kernel_8x32_avx512(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                                          float alpha, float beta) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), av;
        RK_ROW(0) RK_ROW(1) RK_ROW(2) RK_ROW(3) RK_ROW(4) RK_ROW(5) RK_ROW(6) RK_ROW(7)
        a += 8;
        b += 32;
    }
    __m512 va = _mm512_set1_ps(alpha);
    rk_store_row512(c + 0 * ldc, c00, c01, va, beta);
    rk_store_row512(c + 1 * ldc, c10, c11, va, beta);
    rk_store_row512(c + 2 * ldc, c20, c21, va, beta);
    rk_store_row512(c + 3 * ldc, c30, c31, va, beta);
    rk_store_row512(c + 4 * ldc, c40, c41, va, beta);
    rk_store_row512(c + 5 * ldc, c50, c51, va, beta);
    rk_store_row512(c + 6 * ldc, c60, c61, va, beta);
    rk_store_row512(c + 7 * ldc, c70, c71, va, beta);
}

#define RK_ROW_IN_PLACE(r) av = _mm512_set1_ps(a##r[p]); c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0); \
                           c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);

// The same tile with A read in place from eight rows a + r·lda (row-major, not packed).
RK_AVX512 void rk_sgemm_kernel_8x32_avx512_rows(ptrdiff_t kc, const float *a, ptrdiff_t lda, const float *b, float *c,
                                               ptrdiff_t ldc, float alpha, float beta) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
    const float *a4 = a + 4 * lda, *a5 = a + 5 * lda, *a6 = a + 6 * lda, *a7 = a + 7 * lda;
    for (ptrdiff_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), av;
        RK_ROW_IN_PLACE(0) RK_ROW_IN_PLACE(1) RK_ROW_IN_PLACE(2) RK_ROW_IN_PLACE(3)
        RK_ROW_IN_PLACE(4) RK_ROW_IN_PLACE(5) RK_ROW_IN_PLACE(6) RK_ROW_IN_PLACE(7)
        b += 32;
    }
    __m512 va = _mm512_set1_ps(alpha);
    rk_store_row512(c + 0 * ldc, c00, c01, va, beta);
    rk_store_row512(c + 1 * ldc, c10, c11, va, beta);
    rk_store_row512(c + 2 * ldc, c20, c21, va, beta);
    rk_store_row512(c + 3 * ldc, c30, c31, va, beta);
    rk_store_row512(c + 4 * ldc, c40, c41, va, beta);
    rk_store_row512(c + 5 * ldc, c50, c51, va, beta);
    rk_store_row512(c + 6 * ldc, c60, c61, va, beta);
    rk_store_row512(c + 7 * ldc, c70, c71, va, beta);
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
