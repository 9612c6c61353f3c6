// Fused recurrent gate arithmetic; see RecurrentGates.h.
#include "RecurrentGates.h"

#define RK_INLINE static inline __attribute__((always_inline))

// tanh as a rational function of x (odd numerator of degree 13, even denominator of degree 6) after
// clamping to [-9, 9], where float tanh is ±1 to the last bit. Maximum error a few ulps.
RK_INLINE float rk_fast_tanh(float x) {
    const float bound = 9.0f;
    x = x > bound ? bound : x;
    x = x < -bound ? -bound : x;
    const float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return p / q;
}

// sigmoid(x) = (1 + tanh(x / 2)) / 2, exactly.
RK_INLINE float rk_fast_sigmoid(float x) { return 0.5f + 0.5f * rk_fast_tanh(0.5f * x); }

// ---- bodies, inlined into a baseline and an AVX2+FMA wrapper each ----

RK_INLINE void tanh_body(long n, const float *x, float *out) {
    for (long i = 0; i < n; i++) out[i] = rk_fast_tanh(x[i]);
}

RK_INLINE void sigmoid_body(long n, const float *x, float *out) {
    for (long i = 0; i < n; i++) out[i] = rk_fast_sigmoid(x[i]);
}

RK_INLINE void lstm_forward_body(long n, long as, const float *restrict a, long rs, const float *restrict r,
                                 float *restrict c, float *restrict h, long gs, float *restrict gates) {
    for (long j = 0; j < n; j++) {
        float i = rk_fast_sigmoid(a[j] + r[j]);
        float f = rk_fast_sigmoid(a[as + j] + r[rs + j]);
        float g = rk_fast_tanh(a[2 * as + j] + r[2 * rs + j]);
        float o = rk_fast_sigmoid(a[3 * as + j] + r[3 * rs + j]);
        float cn = f * c[j] + i * g;
        c[j] = cn;
        h[j] = o * rk_fast_tanh(cn);
        if (gates) { gates[j] = i; gates[gs + j] = f; gates[2 * gs + j] = g; gates[3 * gs + j] = o; }
    }
}

// Explicit unswitching on the optional outputs, so the inference instances store nothing extra (left to
// the compiler, the AVX2 loop kept the branch as masked stores, which are slow on AMD cores).
RK_INLINE void lstm_forward_split_body(long n, long as, const float *restrict a, long rs, const float *restrict r,
                                  float *restrict c, float *restrict h, long gs, float *restrict gates) {
    if (gates) lstm_forward_body(n, as, a, rs, r, c, h, gs, gates);
    else lstm_forward_body(n, as, a, rs, r, c, h, gs, (float *)0);
}

RK_INLINE void gru_forward_body(long n, long as, const float *restrict a, long rs, const float *restrict r,
                                const float *restrict bhn, const float *hprev, float *h,
                                long gs, float *restrict gates, float *restrict hnOut) {
    for (long j = 0; j < n; j++) {
        float reset = rk_fast_sigmoid(a[j] + r[j]);
        float update = rk_fast_sigmoid(a[as + j] + r[rs + j]);
        float hn = r[2 * rs + j] + (bhn ? bhn[j] : 0.0f);
        float nn = rk_fast_tanh(a[2 * as + j] + reset * hn);
        h[j] = (1.0f - update) * nn + update * hprev[j];
        if (gates) { gates[j] = reset; gates[gs + j] = update; gates[2 * gs + j] = nn; }
        if (hnOut) hnOut[j] = hn;
    }
}

RK_INLINE void gru_forward_split_body(long n, long as, const float *restrict a, long rs, const float *restrict r,
                                 const float *restrict bhn, const float *hprev, float *h,
                                 long gs, float *restrict gates, float *restrict hnOut) {
    if (gates && hnOut) gru_forward_body(n, as, a, rs, r, bhn, hprev, h, gs, gates, hnOut);
    else if (!gates && !hnOut) gru_forward_body(n, as, a, rs, r, bhn, hprev, h, gs, (float *)0, (float *)0);
    else gru_forward_body(n, as, a, rs, r, bhn, hprev, h, gs, gates, hnOut);
}

RK_INLINE void rnn_forward_body(long H, const float *a, const float *r, int relu, float *h) {
    if (relu) {
        for (long j = 0; j < H; j++) { float v = a[j] + r[j]; h[j] = v > 0.0f ? v : 0.0f; }
    } else {
        for (long j = 0; j < H; j++) h[j] = rk_fast_tanh(a[j] + r[j]);
    }
}

RK_INLINE void lstm_backward_body(long H, const float *restrict gates, const float *restrict c,
                                  const float *restrict cprev, const float *restrict dm, float *restrict dc,
                                  float *restrict dg) {
    for (long j = 0; j < H; j++) {
        float i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j];
        float tc = rk_fast_tanh(c[j]);
        float dct = dc[j] + dm[j] * o * (1.0f - tc * tc);
        dg[j] = dct * g * i * (1.0f - i);
        dg[H + j] = dct * cprev[j] * f * (1.0f - f);
        dg[2 * H + j] = dct * i * (1.0f - g * g);
        dg[3 * H + j] = dm[j] * tc * o * (1.0f - o);
        dc[j] = dct * f;
    }
}

RK_INLINE void gru_backward_body(long H, const float *restrict gates, const float *restrict hprev,
                                 const float *restrict hn, float *restrict dh, float *restrict dg,
                                 float *restrict dgh) {
    for (long j = 0; j < H; j++) {
        float reset = gates[j], update = gates[H + j], n = gates[2 * H + j];
        float d = dh[j];
        float dn = d * (1.0f - update) * (1.0f - n * n);
        float dr = dn * hn[j] * reset * (1.0f - reset);
        float dz = d * (hprev[j] - n) * update * (1.0f - update);
        dg[j] = dr; dg[H + j] = dz; dg[2 * H + j] = dn;
        dgh[j] = dr; dgh[H + j] = dz; dgh[2 * H + j] = dn * reset;
        dh[j] = d * update;
    }
}

RK_INLINE void rnn_backward_body(long H, const float *restrict h, const float *restrict dh, int relu,
                                 float *restrict dg) {
    if (relu) {
        for (long j = 0; j < H; j++) dg[j] = h[j] > 0.0f ? dh[j] : 0.0f;
    } else {
        for (long j = 0; j < H; j++) dg[j] = dh[j] * (1.0f - h[j] * h[j]);
    }
}

// A few rows times packed panels: C[i, panel columns] = alpha * sum_p A[i, p] * panel[p*16 + j] + beta * C.
// For products whose rows are fewer than the micro-kernel's (a batch of one), where a 6-row tile would
// waste most of its work. Panels hold 16 columns; `cols` of them are stored (the rest is padding).
RK_INLINE void panel_rows_body(long m, long kc, const float *restrict a, long lda, const float *restrict panel,
                               long cols, float *restrict c, long ldc, float alpha, float beta) {
    for (long i = 0; i < m; i++) {
        float acc[16] = {0};
        const float *row = a + i * lda;
        for (long p = 0; p < kc; p++) {
            const float x = row[p];
            const float *b = panel + p * 16;
            for (int j = 0; j < 16; j++) acc[j] += x * b[j];
        }
        float *out = c + i * ldc;
        if (beta == 0.0f) {
            for (long j = 0; j < cols; j++) out[j] = alpha * acc[j];
        } else {
            for (long j = 0; j < cols; j++) out[j] = alpha * acc[j] + beta * out[j];
        }
    }
}


// y[j] = (accumulate ? y[j] : bias[j] or 0) + sum_k w[j*ldw + k] x[k], four rows at a time with sixteen partial
// sums each (vectorized by the compiler; the order of the sums is fixed, so results are repeatable).
RK_INLINE void gemv_rows_body(long m, long n, const float *restrict w, long ldw, const float *restrict x,
                              const float *restrict bias, float *restrict y, int accumulate) {
    long j = 0;
    for (; j + 3 < m; j += 4) {
        const float *w0 = w + j * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        float s0[16] = {0}, s1[16] = {0}, s2[16] = {0}, s3[16] = {0};
        long k = 0;
        for (; k + 15 < n; k += 16) {
            for (int l = 0; l < 16; l++) {
                float xv = x[k + l];
                s0[l] += w0[k + l] * xv; s1[l] += w1[k + l] * xv; s2[l] += w2[k + l] * xv; s3[l] += w3[k + l] * xv;
            }
        }
        float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (int l = 0; l < 16; l++) { t0 += s0[l]; t1 += s1[l]; t2 += s2[l]; t3 += s3[l]; }
        for (; k < n; k++) { float xv = x[k]; t0 += w0[k] * xv; t1 += w1[k] * xv; t2 += w2[k] * xv; t3 += w3[k] * xv; }
        float b0 = accumulate ? y[j] : (bias ? bias[j] : 0), b1 = accumulate ? y[j + 1] : (bias ? bias[j + 1] : 0);
        float b2 = accumulate ? y[j + 2] : (bias ? bias[j + 2] : 0), b3 = accumulate ? y[j + 3] : (bias ? bias[j + 3] : 0);
        y[j] = b0 + t0; y[j + 1] = b1 + t1; y[j + 2] = b2 + t2; y[j + 3] = b3 + t3;
    }
    for (; j < m; j++) {
        const float *row = w + j * ldw;
        float s[16] = {0};
        long k = 0;
        for (; k + 15 < n; k += 16)
            for (int l = 0; l < 16; l++) s[l] += row[k + l] * x[k + l];
        float t = 0;
        for (int l = 0; l < 16; l++) t += s[l];
        for (; k < n; k++) t += row[k] * x[k];
        y[j] = (accumulate ? y[j] : (bias ? bias[j] : 0)) + t;
    }
}

// ---- dispatch ----

#if defined(__x86_64__)
int rk_cpu_has_avx2_fma(void);
#define RK_AVX2 __attribute__((target("avx2,fma")))
#define RK_DISPATCH(name, params, args)                                   \
    static void name##_base params { name##_body args; }                  \
    RK_AVX2 static void name##_avx2 params { name##_body args; }          \
    static int name##_choice = -1;
// The cached choice is read and filled with relaxed atomics: threads of a team may all make their first
// call at once, and plain accesses would be a data race (undefined behaviour, reported by ThreadSanitizer)
// even though every thread stores the same value.
#define RK_CALL(name, args)                                                               \
    do {                                                                                  \
        int choice_ = __atomic_load_n(&name##_choice, __ATOMIC_RELAXED);                  \
        if (choice_ < 0) {                                                                \
            choice_ = rk_cpu_has_avx2_fma();                                              \
            __atomic_store_n(&name##_choice, choice_, __ATOMIC_RELAXED);                  \
        }                                                                                 \
        if (choice_) name##_avx2 args; else name##_base args;                             \
    } while (0)
#else
#define RK_DISPATCH(name, params, args) static void name##_base params { name##_body args; }
#define RK_CALL(name, args) name##_base args
#endif

RK_DISPATCH(tanh, (long n, const float *x, float *out), (n, x, out))
#if defined(__x86_64__)
#include <immintrin.h>
static void panel_rows_base(long m, long kc, const float *a, long lda, const float *panel, long cols, float *c, long ldc,
                            float alpha, float beta) {
    panel_rows_body(m, kc, a, lda, panel, cols, c, ldc, alpha, beta);
}
// Hand-written: two depths per iteration into four accumulators, so the FMA latency is hidden.
RK_AVX2 static void panel_rows_avx2(long m, long kc, const float *a, long lda, const float *panel, long cols,
                                    float *c, long ldc, float alpha, float beta) {
    for (long i = 0; i < m; i++) {
        const float *row = a + i * lda;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
        const float *b = panel;
        long p = 0;
        for (; p + 1 < kc; p += 2, b += 32) {
            __m256 x0 = _mm256_broadcast_ss(row + p), x1 = _mm256_broadcast_ss(row + p + 1);
            acc0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b), acc0);
            acc1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b + 8), acc1);
            acc2 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b + 16), acc2);
            acc3 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b + 24), acc3);
        }
        if (p < kc) {
            __m256 x0 = _mm256_broadcast_ss(row + p);
            acc0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b), acc0);
            acc1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b + 8), acc1);
        }
        float sum[16];
        _mm256_storeu_ps(sum, _mm256_add_ps(acc0, acc2));
        _mm256_storeu_ps(sum + 8, _mm256_add_ps(acc1, acc3));
        float *out = c + i * ldc;
        if (beta == 0.0f) {
            for (long j = 0; j < cols; j++) out[j] = alpha * sum[j];
        } else {
            for (long j = 0; j < cols; j++) out[j] = alpha * sum[j] + beta * out[j];
        }
    }
}
static int panel_rows_choice = -1;
#else
RK_DISPATCH(panel_rows, (long m, long kc, const float *a, long lda, const float *panel, long cols, float *c, long ldc,
                         float alpha, float beta), (m, kc, a, lda, panel, cols, c, ldc, alpha, beta))
#endif
RK_DISPATCH(gemv_rows, (long m, long n, const float *w, long ldw, const float *x, const float *bias, float *y, int accumulate),
            (m, n, w, ldw, x, bias, y, accumulate))
RK_DISPATCH(sigmoid, (long n, const float *x, float *out), (n, x, out))
RK_DISPATCH(lstm_forward_split, (long n, long as, const float *a, long rs, const float *r, float *c, float *h, long gs, float *gates),
            (n, as, a, rs, r, c, h, gs, gates))
RK_DISPATCH(gru_forward_split, (long n, long as, const float *a, long rs, const float *r, const float *bhn, const float *hprev,
                          float *h, long gs, float *gates, float *hn),
            (n, as, a, rs, r, bhn, hprev, h, gs, gates, hn))
RK_DISPATCH(rnn_forward, (long H, const float *a, const float *r, int relu, float *h), (H, a, r, relu, h))
RK_DISPATCH(lstm_backward, (long H, const float *gates, const float *c, const float *cprev, const float *dm, float *dc, float *dg),
            (H, gates, c, cprev, dm, dc, dg))
RK_DISPATCH(gru_backward, (long H, const float *gates, const float *hprev, const float *hn, float *dh, float *dg, float *dgh),
            (H, gates, hprev, hn, dh, dg, dgh))
RK_DISPATCH(rnn_backward, (long H, const float *h, const float *dh, int relu, float *dg), (H, h, dh, relu, dg))

void rk_tanh(long n, const float *x, float *out) { RK_CALL(tanh, (n, x, out)); }
void rk_panel_rows(long m, long kc, const float *a, long lda, const float *panel, long cols, float *c, long ldc,
                   float alpha, float beta) {
    RK_CALL(panel_rows, (m, kc, a, lda, panel, cols, c, ldc, alpha, beta));
}
void rk_sigmoid(long n, const float *x, float *out) { RK_CALL(sigmoid, (n, x, out)); }
void rk_lstm_forward_row(long H, const float *a, const float *r, float *c, float *h, float *gates) {
    RK_CALL(lstm_forward_split, (H, H, a, H, r, c, h, H, gates));
}
void rk_lstm_forward_columns(long n, long as, const float *a, long rs, const float *r, float *c, float *h,
                             long gs, float *gates) {
    RK_CALL(lstm_forward_split, (n, as, a, rs, r, c, h, gs, gates));
}
void rk_gru_forward_row(long H, const float *a, const float *r, const float *bhn, float *h, float *gates, float *hn) {
    RK_CALL(gru_forward_split, (H, H, a, H, r, bhn, h, h, H, gates, hn));
}
void rk_gru_forward_columns(long n, long as, const float *a, long rs, const float *r, const float *bhn,
                            const float *hprev, float *h, long gs, float *gates, float *hn) {
    RK_CALL(gru_forward_split, (n, as, a, rs, r, bhn, hprev, h, gs, gates, hn));
}
void rk_rnn_forward_row(long H, const float *a, const float *r, int relu, float *h) {
    RK_CALL(rnn_forward, (H, a, r, relu, h));
}
void rk_lstm_backward_row(long H, const float *gates, const float *c, const float *cprev, const float *dm, float *dc, float *dg) {
    RK_CALL(lstm_backward, (H, gates, c, cprev, dm, dc, dg));
}
void rk_gru_backward_row(long H, const float *gates, const float *hprev, const float *hn, float *dh, float *dg, float *dgh) {
    RK_CALL(gru_backward, (H, gates, hprev, hn, dh, dg, dgh));
}
void rk_rnn_backward_row(long H, const float *h, const float *dh, int relu, float *dg) {
    RK_CALL(rnn_backward, (H, h, dh, relu, dg));
}
void rk_gemv_rows(long m, long n, const float *w, long ldw, const float *x, const float *bias, float *y, int accumulate) {
    RK_CALL(gemv_rows, (m, n, w, ldw, x, bias, y, accumulate));
}
