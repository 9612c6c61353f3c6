#!/usr/bin/env python3
"""Export a parity case from your own PyTorch RNN / LSTM / GRU (or cell) so you can check, before deploying,
that Recurrent computes the same outputs and gradients:

    import torch, export_parity_case as epc
    lstm = torch.nn.LSTM(32, 64, num_layers=2, bidirectional=True)      # your trained module
    x = torch.randn(20, 4, 32)                                           # an input like yours
    epc.export_case(lstm, x, "my_lstm.safetensors", lengths=[20, 17, 9, 3])

    $ recurrent parity my_lstm.safetensors

The file holds `param.*` (your state_dict), `input.*`, `output.*`, random `upstream.*` gradients and the
resulting `grad.*`, in the format of ../shared/golden (see its README). Needs `torch` and `safetensors`.
Without a state, the zeros PyTorch uses are written as the initial state; unbatched input ([seq, input] to a
layer, [input] to a cell) is kept unbatched, as `recurrent parity` runs it the way PyTorch does.
Command line (random weights, for a quick check):  python export_parity_case.py OUT.safetensors lstm 8 16 [layers] [--bidirectional]
"""
import json
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors.torch import save_file


def _is_layer(module):
    return isinstance(module, (nn.RNN, nn.LSTM, nn.GRU))


def _is_unbatched(module, x):
    """PyTorch's unbatched input: [seq, input] for a layer (whatever batch_first says), [input] for a cell."""
    return x.dim() == (2 if _is_layer(module) else 1)


def _describe(module, x, lengths):
    kind = type(module).__name__
    cfg = {"module": kind, "input_size": module.input_size, "hidden_size": module.hidden_size}
    unbatched = _is_unbatched(module, x)
    if _is_layer(module):
        cfg.update(num_layers=module.num_layers, bias=module.bias, batch_first=module.batch_first,
                   bidirectional=module.bidirectional)
        if unbatched:
            cfg.update(seq_len=x.shape[0], unbatched=True)
        else:
            cfg.update(seq_len=x.shape[1] if module.batch_first else x.shape[0],
                       batch=x.shape[0] if module.batch_first else x.shape[1])
        if isinstance(module, nn.LSTM):
            cfg["proj_size"] = module.proj_size
    else:
        cfg.update(bias=module.bias)
        cfg.update(unbatched=True) if unbatched else cfg.update(batch=x.shape[0])
    if isinstance(module, (nn.RNN, nn.RNNCell)):
        cfg["nonlinearity"] = module.nonlinearity
    if lengths is not None:
        cfg["lengths"] = list(lengths)
    return cfg


def _zero_state(module, x):
    """The all-zeros initial state PyTorch uses when none is given, shaped as PyTorch's own state argument:
    h0 [layers*D, batch, proj or hidden] (c0 [layers*D, batch, hidden]) for a layer, h (c) [batch, hidden]
    for a cell, without the batch axis for unbatched input."""
    unbatched = _is_unbatched(module, x)
    if _is_layer(module):
        stack = module.num_layers * (2 if module.bidirectional else 1)
        batch = () if unbatched else (x.shape[0] if module.batch_first else x.shape[1],)
        out = getattr(module, "proj_size", 0) or module.hidden_size
        h = torch.zeros((stack,) + batch + (out,))
        c = torch.zeros((stack,) + batch + (module.hidden_size,))
    else:
        shape = (module.hidden_size,) if unbatched else (x.shape[0], module.hidden_size)
        h, c = torch.zeros(shape), torch.zeros(shape)
    return (h, c) if isinstance(module, (nn.LSTM, nn.LSTMCell)) else h


def export_case(module, x, path, state=None, lengths=None, seed=0):
    """Run `module` on `x` (and optional initial `state`, `lengths`), differentiate a random projection of
    every output, and write everything to `path` as a parity case.

    `x` may be batched or unbatched, as PyTorch takes it ([seq, input] for a layer, [input] for a cell); the
    case keeps PyTorch's shapes and `recurrent parity` runs it the same way. Without `state`, the zeros PyTorch
    would use are written as `input.h0`/`input.c0` (layers) or `input.h`/`input.c` (cells), so the case also
    checks the gradient with respect to the initial state."""
    torch.manual_seed(seed)
    module = module.float().train(False)
    x = x.detach().float().clone().requires_grad_(True)
    inputs = {"x": x}
    is_layer = _is_layer(module)
    if lengths is not None and (not is_layer or _is_unbatched(module, x)):
        raise ValueError("lengths need a batched input to an RNN, LSTM or GRU")
    if state is None:
        state = _zero_state(module, x)
    if isinstance(state, tuple):
        h, c = (s.detach().float().clone().requires_grad_(True) for s in state)
        inputs.update({"h0": h, "c0": c} if is_layer else {"h": h, "c": c})
        state = (h, c)
    else:
        state = state.detach().float().clone().requires_grad_(True)
        inputs["h0" if is_layer else "h"] = state
    if is_layer:
        if lengths is not None:
            packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=module.batch_first, enforce_sorted=False)
            out, hn = module(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=module.batch_first,
                                         total_length=x.shape[1] if module.batch_first else x.shape[0])
        else:
            out, hn = module(x, state)
        outputs = {"output": out}
        if isinstance(module, nn.LSTM):
            outputs["h_n"], outputs["c_n"] = hn
        else:
            outputs["h_n"] = hn
    else:
        result = module(x, state)
        outputs = {"h": result[0], "c": result[1]} if isinstance(module, nn.LSTMCell) else {"h": result}
    upstream = {k: torch.randn_like(v) for k, v in outputs.items()}
    sum((outputs[k] * upstream[k]).sum() for k in outputs).backward()
    tensors = {}
    params = dict(module.named_parameters())
    for k, v in params.items():
        tensors["param." + k] = v.detach().contiguous()
        tensors["grad.param." + k] = (v.grad if v.grad is not None else torch.zeros_like(v)).contiguous()
    for k, v in inputs.items():
        tensors["input." + k] = v.detach().contiguous()
        tensors["grad.input." + k] = v.grad.contiguous()
    if lengths is not None:
        tensors["input.lengths"] = torch.tensor(lengths, dtype=torch.int64)
    for k, v in outputs.items():
        tensors["output." + k] = v.detach().contiguous()
        tensors["upstream." + k] = upstream[k].contiguous()
    save_file(tensors, path, metadata={"case": json.dumps(_describe(module, x, lengths))})


if __name__ == "__main__":
    if len(sys.argv) < 5:
        print(__doc__)
        sys.exit(2)
    out, kind, inp, hid = sys.argv[1], sys.argv[2].lower(), int(sys.argv[3]), int(sys.argv[4])
    layers = int(sys.argv[5]) if len(sys.argv) > 5 and not sys.argv[5].startswith("--") else 1
    bidir = "--bidirectional" in sys.argv
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    torch.manual_seed(1)
    m = cls(inp, hid, layers, bidirectional=bidir)
    export_case(m, torch.randn(7, 3, inp), out, lengths=[7, 4, 2])
    print("wrote", out)
