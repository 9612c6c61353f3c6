#include "CRecurrentKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

int rk_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
static inline void rk_store_row(float *c, __m256 lo, __m256 hi, __m256 alpha, float beta) {
    lo = _mm256_mul_ps(lo, alpha);
    hi = _mm256_mul_ps(hi, alpha);
    if (beta == 0.0f) {
        _mm256_storeu_ps(c, lo);
        _mm256_storeu_ps(c + 8, hi);
    } else if (beta == 1.0f) {
        _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), lo));
        _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), hi));
    } else {
        __m256 vb = _mm256_set1_ps(beta);
        _mm256_storeu_ps(c, _mm256_fmadd_ps(_mm256_loadu_ps(c), vb, lo));
        _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(_mm256_loadu_ps(c + 8), vb, hi));
    }
}

__attribute__((target("avx2,fma")))
void rk_sgemm_kernel_6x16_avx2(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                               float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (ptrdiff_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b);
        __m256 b1 = _mm256_loadu_ps(b + 8);
        __m256 av;
        av = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
        a += 6;
        b += 16;
    }
    __m256 va = _mm256_set1_ps(alpha);
    rk_store_row(c + 0 * ldc, c00, c01, va, beta);
    rk_store_row(c + 1 * ldc, c10, c11, va, beta);
    rk_store_row(c + 2 * ldc, c20, c21, va, beta);
    rk_store_row(c + 3 * ldc, c30, c31, va, beta);
    rk_store_row(c + 4 * ldc, c40, c41, va, beta);
    rk_store_row(c + 5 * ldc, c50, c51, va, beta);
}

#else

int rk_cpu_has_avx2_fma(void) { return 0; }

void rk_sgemm_kernel_6x16_avx2(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                               float alpha, float beta) {
    (void)kc; (void)a; (void)b; (void)c; (void)ldc; (void)alpha; (void)beta;
}

#endif
