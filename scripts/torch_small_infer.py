"""PyTorch reference for the small batch-1 inference cases of `recurrent bench` (bilstm_small_infer_b1,
gru_small_infer_b1, lstm_h128_infer_b1): the same shapes, timed by ../shared/bench/torch_bench.py's own
`rnn_bench` (median of calls under torch.inference_mode).

Usage: python scripts/torch_small_infer.py [--threads 2]   (RECURRENT_SHARED: the shared folder, ../shared by default)
"""
import argparse, json, os, sys

shared = os.environ.get("RECURRENT_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
sys.path.insert(0, os.path.join(shared, "bench"))
import torch
from torch_bench import rnn_bench

CASES = {
    "bilstm_small_infer_b1": dict(kind="lstm", seq=40, batch=1, inp=32, hid=64, layers=1, bidir=True, train=False),
    "gru_small_infer_b1": dict(kind="gru", seq=40, batch=1, inp=32, hid=64, layers=1, train=False),
    "lstm_h128_infer_b1": dict(kind="lstm", seq=40, batch=1, inp=64, hid=128, layers=1, train=False),
}

ap = argparse.ArgumentParser(); ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args(); torch.set_num_threads(a.threads); torch.manual_seed(0)
print(json.dumps({"torch": torch.__version__, "threads": a.threads, **{n: rnn_bench(**c) for n, c in CASES.items()}}, indent=1))
