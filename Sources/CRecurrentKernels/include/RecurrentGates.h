#ifndef RECURRENT_GATES_H
#define RECURRENT_GATES_H

/// Fused gate arithmetic of the recurrent layers, one batch row at a time, with fast vectorizable
/// tanh and sigmoid (a rational approximation accurate to a few float ulps, clamped to |x| <= 9).
/// Each function is compiled twice, for baseline x86-64/arm64 and for AVX2+FMA, and picks one at run time.
///
/// Layout (PyTorch's): the pre-activation rows `a` (input side, biases folded in) and `r` (hidden side)
/// hold G blocks of H values: LSTM i f g o, GRU r z n, RNN one block.

/// Elementwise tanh: out[i] = tanh(x[i]) for i < n (x and out may alias).
void rk_tanh(long n, const float *x, float *out);
/// Elementwise logistic sigmoid.
void rk_sigmoid(long n, const float *x, float *out);

/// LSTM step for one row. c: [H] cell in/out. h: [H] output o*tanh(c). gates: [4H] activated i f g o, or NULL.
void rk_lstm_forward_row(long H, const float *a, const float *r, float *c, float *h, float *gates);
/// GRU step for one row. bhn: [H] b_hn or NULL. h: [H] hidden in/out. gates: [3H] r z n or NULL.
/// hn: [H] receives W_hn h + b_hn, or NULL.
void rk_gru_forward_row(long H, const float *a, const float *r, const float *bhn, float *h, float *gates, float *hn);
/// The same on n columns of a row whose gate blocks lie `as` (in a), `rs` (in r) and `gs` (in gates)
/// floats apart: the hidden units one thread owns when a step is split across threads.
void rk_lstm_forward_columns(long n, long as, const float *a, long rs, const float *r, float *c, float *h,
                             long gs, float *gates);
/// GRU on n columns with strided gate blocks; reads the previous state from hprev, writes h (they may alias).
void rk_gru_forward_columns(long n, long as, const float *a, long rs, const float *r, const float *bhn,
                            const float *hprev, float *h, long gs, float *gates, float *hn);
/// Matrix-vector product for one row of input: y[j] = base[j] + sum_k w[j*ldw + k] * x[k] for j < m, where base is
/// y itself when accumulate != 0, else bias (or 0 when bias is NULL). w: [m, ldw] row-major, x: [n].
void rk_gemv_rows(long m, long n, const float *w, long ldw, const float *x, const float *bias, float *y, int accumulate);
/// RNN step for one row: h = act(a + r); relu != 0 selects relu, else tanh.
void rk_rnn_forward_row(long H, const float *a, const float *r, int relu, float *h);

/// LSTM backward for one row. gates: [4H] i f g o; c, cprev: [H]; dm: [H] gradient of o*tanh(c);
/// dc: [H] in (from the next step) / out (to the previous step); dg: [4H] pre-activation gradients.
void rk_lstm_backward_row(long H, const float *gates, const float *c, const float *cprev, const float *dm,
                          float *dc, float *dg);
/// GRU backward for one row. gates: [3H] r z n; hprev, hn: [H]; dh: [H] in / out (the direct z*dh path);
/// dg: [3H] input-side pre-activation gradients; dgh: [3H] hidden-side ones.
void rk_gru_backward_row(long H, const float *gates, const float *hprev, const float *hn, float *dh,
                         float *dg, float *dgh);
/// RNN backward for one row: dg = dh * act'(h), with h the step's output.
void rk_rnn_backward_row(long H, const float *h, const float *dh, int relu, float *dg);

/// C[i, j] = alpha * sum_p A[i, p] * panel[p*16 + j] + beta * C[i, j] for i < m, j < cols (<= 16): a few
/// rows against one packed 16-column panel of depth kc (beta == 0 never reads C).
void rk_panel_rows(long m, long kc, const float *a, long lda, const float *panel, long cols, float *c, long ldc,
                   float alpha, float beta);

#endif
