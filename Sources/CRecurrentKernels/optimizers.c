// Element loops of the optimizers, compiled for AVX2 when the CPU has it; see RecurrentOptimizers.h.
#include "RecurrentOptimizers.h"

// The same operations in the same order as the portable Swift loop, without contraction into FMAs,
// so both give identical numbers.
#pragma clang fp contract(off)

static inline __attribute__((always_inline)) void adam_body(long n, float *restrict p, const float *restrict g,
                                                            float *restrict m, float *restrict v, float weight, int small,
                                                            float complement, float beta2, float oneMinusBeta2,
                                                            float epsilon, float decay, int l2, float stepSize, float root) {
    for (long i = 0; i < n; i++) {
        float gi = l2 ? g[i] + decay * p[i] : g[i];
        float mi = small ? m[i] + weight * (gi - m[i]) : gi - (gi - m[i]) * complement;
        m[i] = mi;
        float vi = v[i] * beta2;
        vi = vi + oneMinusBeta2 * gi * gi;
        v[i] = vi;
        p[i] = p[i] + stepSize * mi / (__builtin_sqrtf(vi) / root + epsilon);
    }
}

// One instance per switch combination, so each loop is branch-free.
#define RK_ADAM_VARIANTS(suffix, attribute)                                                                       \
    attribute static void adam_##suffix(long n, float *p, const float *g, float *m, float *v, float weight,       \
                                        int small, float complement, float beta2, float oneMinusBeta2,            \
                                        float epsilon, float decay, int l2, float stepSize, float root) {         \
        if (l2) {                                                                                                 \
            if (small) adam_body(n, p, g, m, v, weight, 1, complement, beta2, oneMinusBeta2, epsilon, decay, 1,   \
                                 stepSize, root);                                                                 \
            else adam_body(n, p, g, m, v, weight, 0, complement, beta2, oneMinusBeta2, epsilon, decay, 1,         \
                           stepSize, root);                                                                       \
        } else {                                                                                                  \
            if (small) adam_body(n, p, g, m, v, weight, 1, complement, beta2, oneMinusBeta2, epsilon, decay, 0,   \
                                 stepSize, root);                                                                 \
            else adam_body(n, p, g, m, v, weight, 0, complement, beta2, oneMinusBeta2, epsilon, decay, 0,         \
                           stepSize, root);                                                                       \
        }                                                                                                         \
    }

RK_ADAM_VARIANTS(base, )
#if defined(__x86_64__)
#include <immintrin.h>
int rk_cpu_has_avx2_fma(void);
static int adam_choice = -1;

// Eight elements at a time with explicit intrinsics (the compiler keeps sqrtf scalar for errno's sake),
// the tail with the scalar loop; the operations and their order are the scalar loop's.
__attribute__((target("avx2")))
static void adam_avx2(long n, float *p, const float *g, float *m, float *v, float weight, int small, float complement,
                      float beta2, float oneMinusBeta2, float epsilon, float decay, int l2, float stepSize, float root) {
    const __m256 vw = _mm256_set1_ps(weight), vc = _mm256_set1_ps(complement), vb2 = _mm256_set1_ps(beta2);
    const __m256 vob2 = _mm256_set1_ps(oneMinusBeta2), veps = _mm256_set1_ps(epsilon), vd = _mm256_set1_ps(decay);
    const __m256 vs = _mm256_set1_ps(stepSize), vr = _mm256_set1_ps(root);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 pi = _mm256_loadu_ps(p + i), gi = _mm256_loadu_ps(g + i), mi = _mm256_loadu_ps(m + i);
        if (l2) gi = _mm256_add_ps(gi, _mm256_mul_ps(vd, pi));
        __m256 diff = _mm256_sub_ps(gi, mi);
        mi = small ? _mm256_add_ps(mi, _mm256_mul_ps(vw, diff)) : _mm256_sub_ps(gi, _mm256_mul_ps(diff, vc));
        _mm256_storeu_ps(m + i, mi);
        __m256 vi = _mm256_mul_ps(_mm256_loadu_ps(v + i), vb2);
        vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_mul_ps(vob2, gi), gi));
        _mm256_storeu_ps(v + i, vi);
        __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vr), veps);
        _mm256_storeu_ps(p + i, _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(vs, mi), denominator)));
    }
    adam_base(n - i, p + i, g + i, m + i, v + i, weight, small, complement, beta2, oneMinusBeta2, epsilon, decay, l2,
              stepSize, root);
}
#endif

void rk_adam_step(long n, float *p, const float *g, float *m, float *v, float weight, int small, float complement,
                  float beta2, float oneMinusBeta2, float epsilon, float decay, int l2, float stepSize, float root) {
#if defined(__x86_64__)
    // Relaxed atomics: parallel first calls would otherwise race on the cache (see RK_CALL in gates.c).
    int choice = __atomic_load_n(&adam_choice, __ATOMIC_RELAXED);
    if (choice < 0) {
        choice = rk_cpu_has_avx2_fma();
        __atomic_store_n(&adam_choice, choice, __ATOMIC_RELAXED);
    }
    if (choice) {
        adam_avx2(n, p, g, m, v, weight, small, complement, beta2, oneMinusBeta2, epsilon, decay, l2, stepSize, root);
        return;
    }
#endif
    adam_base(n, p, g, m, v, weight, small, complement, beta2, oneMinusBeta2, epsilon, decay, l2, stepSize, root);
}
