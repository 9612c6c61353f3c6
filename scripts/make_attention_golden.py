#!/usr/bin/env python3
"""Golden cases from PyTorch for the attention paths beyond ../shared/golden: float (additive) masks and
MultiheadAttention's kdim/vdim. Same file format as ../shared/golden/make_golden.py (see its README):
param.*, input.*, output.*, upstream.*, grad.param.*, grad.input.* and __metadata__ {"case": JSON}.

Masks are constants (no grad.input.* for them). A float mask is stored as float32 and added to the scaled
scores; a boolean mask is stored as uint8 (SDPA: 1 = may attend; MultiheadAttention: 1 = ignore / not allowed).

    pip install torch safetensors
    python scripts/make_attention_golden.py Tests/RecurrentNNTests/Golden [SEED]     (default seed 1234)
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

NEG_INF = float("-inf")


def save(path, cfg, params, inputs, constants, outputs):
    """Draws an upstream gradient per output, back-propagates L = sum(upstream * output), writes the case."""
    upstream = {k: torch.randn_like(v) for k, v in outputs.items()}
    sum((outputs[k] * upstream[k]).sum() for k in outputs).backward()
    t = {}
    for k, v in params.items():
        t["param." + k] = v.detach().contiguous()
        t["grad.param." + k] = v.grad.contiguous()
    for k, v in inputs.items():
        t["input." + k] = v.detach().contiguous()
        t["grad.input." + k] = v.grad.contiguous()
    for k, v in constants.items():
        t["input." + k] = v.contiguous()
    for k, v in outputs.items():
        t["output." + k] = v.detach().contiguous()
        t["upstream." + k] = upstream[k].contiguous()
    cfg["torch"] = torch.__version__
    save_file(t, path, metadata={"case": json.dumps(cfg)})


def float_mask(shape, masked_fraction=0.3):
    """Random additive values in [-2, 2) with about `masked_fraction` of the entries -inf (key 0 never)."""
    m = torch.rand(shape) * 4 - 2
    m[torch.rand(shape) < masked_fraction] = NEG_INF
    m[..., 0] = torch.where(torch.isinf(m[..., 0]), torch.zeros_like(m[..., 0]), m[..., 0])
    return m


def sdpa_float_mask(path):
    """scaled_dot_product_attention with a float mask [b, 1, Lq, Lk] broadcast over heads, a custom scale,
    and one query row fully masked (-inf everywhere: PyTorch 2.x returns zeros there, and zero gradients)."""
    b, h, lq, lk, d = 2, 2, 3, 5, 4
    q, k, v = (torch.randn(b, h, n, d, requires_grad=True) for n in (lq, lk, lk))
    mask = float_mask((b, 1, lq, lk))
    mask[1, 0, 2, :] = NEG_INF
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.6)
    assert torch.all(out[1, :, 2] == 0), "expected PyTorch to give zeros on a fully masked row"
    cfg = dict(module="scaled_dot_product_attention", is_causal=False, scale=0.6,
               attn_mask="float, added to the scores; row [1, :, 2] fully -inf")
    save(path, cfg, {}, {"query": q, "key": k, "value": v}, {"attn_mask": mask}, {"output": out})


def mha_float_mask_padding(path):
    """MultiheadAttention (batch_first) with a float attn_mask [L, S] (some -inf) plus a boolean
    key_padding_mask [N, S] (True = ignore); no query loses every key (PyTorch gives NaN there with
    need_weights=True)."""
    e, heads, n, lq, lk = 8, 2, 2, 3, 5
    m = nn.MultiheadAttention(e, heads, batch_first=True)
    with torch.no_grad():
        m.in_proj_bias.normal_(0, 0.1)
        m.out_proj.bias.normal_(0, 0.1)
    q, k, v = (torch.randn(n, s, e, requires_grad=True) for s in (lq, lk, lk))
    attn = float_mask((lq, lk))
    padding = torch.zeros(n, lk, dtype=torch.bool)
    padding[0, 4:] = True
    padding[1, 2:] = True
    out, w = m(q, k, v, key_padding_mask=padding, attn_mask=attn)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    cfg = dict(module="MultiheadAttention", embed_dim=e, num_heads=heads, batch_first=True, need_weights=True,
               average_attn_weights=True, attn_mask="float, added to the scores",
               key_padding_mask="bool, True = ignore")
    save(path, cfg, dict(m.named_parameters()), {"query": q, "key": k, "value": v},
         {"attn_mask": attn, "key_padding_mask": padding.to(torch.uint8)}, {"output": out, "attn_weights": w})


def mha_kdim_vdim(path):
    """MultiheadAttention (sequence-first) with kdim=5, vdim=3 (separate q/k/v_proj_weight), a float
    key_padding_mask [N, S] and per-head weights (average_attn_weights=False)."""
    e, heads, n, lq, lk, kdim, vdim = 6, 3, 2, 4, 3, 5, 3
    m = nn.MultiheadAttention(e, heads, kdim=kdim, vdim=vdim)
    with torch.no_grad():
        m.in_proj_bias.normal_(0, 0.1)
        m.out_proj.bias.normal_(0, 0.1)
    q = torch.randn(lq, n, e, requires_grad=True)
    k = torch.randn(lk, n, kdim, requires_grad=True)
    v = torch.randn(lk, n, vdim, requires_grad=True)
    padding = torch.tensor([[0.0, 0.5, NEG_INF], [-1.0, 0.0, 0.25]])
    out, w = m(q, k, v, key_padding_mask=padding, average_attn_weights=False)
    cfg = dict(module="MultiheadAttention", embed_dim=e, num_heads=heads, kdim=kdim, vdim=vdim, batch_first=False,
               need_weights=True, average_attn_weights=False, key_padding_mask="float, added to the scores")
    save(path, cfg, dict(m.named_parameters()), {"query": q, "key": k, "value": v},
         {"key_padding_mask": padding}, {"output": out, "attn_weights": w})


def main(out, seed):
    os.makedirs(out, exist_ok=True)
    for name, make in [("sdpa_float_mask", sdpa_float_mask), ("mha_float_mask_padding", mha_float_mask_padding),
                       ("mha_kdim_vdim", mha_kdim_vdim)]:
        torch.manual_seed(seed)
        path = os.path.join(out, name + ".safetensors")
        make(path)
        print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/RecurrentNNTests/Golden", int(sys.argv[2]) if len(sys.argv) > 2 else 1234)
