#ifndef RECURRENT_OPTIMIZERS_H
#define RECURRENT_OPTIMIZERS_H

/// One Adam step over `n` elements (no AMSGrad): with `l2`, g += decay·p; m moves toward g by `weight`
/// (`small`) or as g − (g − m)·complement; v = beta2·v + (1 − beta2)·g²; p += stepSize·m / (√v / root + ε).
/// `stepSize` is −lr / (1 − β₁ᵗ) and `root` √(1 − β₂ᵗ). Identical numbers to the portable Swift loop.
void rk_adam_step(long n, float *p, const float *g, float *m, float *v, float weight, int small, float complement,
                  float beta2, float oneMinusBeta2, float epsilon, float decay, int l2, float stepSize, float root);

#endif
