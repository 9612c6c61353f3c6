"""Writes PyTorch golden cases for the layer modules and their composition (Tests/RecurrentNNTests/Golden/layers_*).

Each file holds `param.<state_dict key>`, `input.*`, `output.y`, `upstream.y` and `grad.param.<key>` /
`grad.input.x` for L = sum(upstream.y * output.y). Run: python3 scripts/make_layer_golden.py
"""
import os
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "RecurrentNNTests", "Golden")


def save(name, module, inputs, output, note):
    upstream = torch.randn_like(output)
    (output * upstream).sum().backward()
    tensors = {}
    for key, value in module.state_dict().items():
        tensors["param." + key] = value.detach().clone().contiguous()
    for key, parameter in module.named_parameters():
        tensors["grad.param." + key] = parameter.grad.detach().clone().contiguous()
    for key, value in inputs.items():
        tensors["input." + key] = value.detach().clone().contiguous()
        if value.requires_grad:
            tensors["grad.input." + key] = value.grad.detach().clone().contiguous()
    tensors["output.y"] = output.detach().contiguous()
    tensors["upstream.y"] = upstream.contiguous()
    save_file(tensors, os.path.join(OUT, name + ".safetensors"), metadata={"note": note, "torch": torch.__version__})


class Tagger(torch.nn.Module):
    """A named composition: encoder.embedding, encoder.lstm, encoder.norm, head."""

    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Module()
        self.encoder.embedding = torch.nn.Embedding(10, 6, padding_idx=0)
        self.encoder.lstm = torch.nn.LSTM(6, 8, batch_first=True)
        self.encoder.norm = torch.nn.LayerNorm(8)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, ids):
        hidden, _ = self.encoder.lstm(self.encoder.embedding(ids))
        return self.head(self.encoder.norm(hidden))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(7)
    mlp = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.LayerNorm(7), torch.nn.Dropout(0.5),
                              torch.nn.Linear(7, 3, bias=False))
    mlp.eval()  # dropout off: the values are deterministic
    with torch.no_grad():
        mlp[2].weight.uniform_(0.5, 1.5)
        mlp[2].bias.uniform_(-0.5, 0.5)
    x = torch.randn(4, 5, requires_grad=True)
    save("layers_sequential", mlp, {"x": x}, mlp(x),
         "Sequential(Linear(5,7), ReLU, LayerNorm(7), Dropout(0.5) in eval, Linear(7,3,bias=False))")

    torch.manual_seed(8)
    model = Tagger()
    with torch.no_grad():
        model.encoder.embedding.weight[0].uniform_(-1, 1)  # a non-zero padding row: looked up, never trained
        model.encoder.norm.weight.uniform_(0.5, 1.5)
    ids = torch.tensor([[2, 5, 9, 0], [7, 0, 0, 0]])
    save("layers_named", model, {"ids": ids}, model(ids),
         "encoder.embedding (10x6, padding_idx 0), encoder.lstm (6->8, batch_first), encoder.norm, head (8->3)")

    torch.manual_seed(9)
    norm = torch.nn.LayerNorm([3, 4], eps=1e-3)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
    x = torch.randn(2, 3, 4, requires_grad=True)
    save("layers_layernorm_2d", norm, {"x": x}, norm(x), "LayerNorm([3, 4], eps=1e-3) over [2, 3, 4]")


if __name__ == "__main__":
    main()
