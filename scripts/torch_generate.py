"""PyTorch reference for `recurrent bench` lstm_generate_b1: the shipped language model's shape (embedding 64,
2 x 512 LSTM, 65 characters), one character per step at batch 1 with sampling (temperature 0.8), the loop a
PyTorch user writes. Loads Models/lm-shakespeare/model.safetensors (torch_charlm.py's keys) when given.

Usage: python scripts/torch_generate.py [--model Models/lm-shakespeare/model.safetensors] [--chars 2000] [--threads 2]
"""
import argparse, time, torch, torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("--model"); ap.add_argument("--chars", type=int, default=2000); ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(1)

class CharLM(nn.Module):
    def __init__(s, v=65):
        super().__init__()
        s.embedding = nn.Embedding(v, 64); s.lstm = nn.LSTM(64, 512, 2, dropout=0.25)
        s.drop = nn.Dropout(0.25); s.decoder = nn.Linear(512, v)
    def forward(s, x, state=None):
        y, state = s.lstm(s.embedding(x), state)
        return s.decoder(s.drop(y)), state

model = CharLM()
if a.model:
    from safetensors.torch import load_file
    model.load_state_dict(load_file(a.model))
model.eval()
with torch.inference_mode():
    x, state = torch.zeros(1, 1, dtype=torch.long), None
    for _ in range(50):
        logits, state = model(x, state)
    t0 = time.perf_counter()
    for _ in range(a.chars):
        logits, state = model(x, state)
        x = torch.multinomial(torch.softmax(logits[-1, 0] / 0.8, -1), 1).view(1, 1)
    s = time.perf_counter() - t0
print({"chars_per_s": a.chars / s, "median_s_per_char": s / a.chars})
