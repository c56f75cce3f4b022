#!/usr/bin/python3
"""Trains the three heads of data/ and writes them with their example inputs.

    /usr/bin/python3 data/train_heads.py    # needs Debian's python3-torch

Each head is one attention head (Wq, Wk, Wv; no Wo, no biases) of width 8,
trained with PyTorch on random sequences of an 8-word vocabulary to put its
weight on the key a pattern names (the cross-entropy of each query's
weights against that key) and to copy that key's word (the squared error of
its output against the word's one-hot row):

  prev-token   causal; query i attends to key i - 1 (i >= 1).  A row is
               the word's one-hot (8) then the position's one-hot (8).
  same-token   not causal; query i attends to key i, among repeated words.
               Rows as prev-token.
  induction    causal; sequences of 5 different words, then the same 5
               again; query i whose word occurred before at p attends to
               key p + 1, the word that followed it there.  A row is the
               word's one-hot (8) then the previous word's one-hot (8, zero
               for the first): what a previous-token head gives the second
               layer of an induction circuit.

The seeds are fixed (torch.manual_seed, and the data's generator), the
weights are rounded to 4 significant digits, and the rule each head must
meet on its example input (data/README.md) is checked here in float64 on
the rounded weights; `make check` checks it on selfattn's output.
"""
import json
import os

import numpy as np
import torch

VOCAB = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran"]
V = len(VOCAB)
L = 8          # positions of prev-token and same-token
DH = 8         # head width: the output is a word's one-hot
HERE = os.path.dirname(os.path.abspath(__file__))


def positional(words):
    """Rows of word one-hot then position one-hot: (n, V + L)."""
    x = np.zeros((len(words), V + L))
    for i, w in enumerate(words):
        x[i, w] = 1
        x[i, V + i] = 1
    return x


def with_previous(words):
    """Rows of word one-hot then the previous word's one-hot: (n, 2V)."""
    x = np.zeros((len(words), 2 * V))
    for i, w in enumerate(words):
        x[i, w] = 1
        if i > 0:
            x[i, V + words[i - 1]] = 1
    return x


def induction_targets(words):
    """Key p + 1 for each query whose word occurred before at p, else -1."""
    return [next((p + 1 for p in range(i - 1, -1, -1) if words[p] == words[i]), -1)
            for i in range(len(words))]


def batch(kind, rng, size=64):
    """Inputs (size, n, d), targets (size, n) of key indices (-1: none)."""
    xs, ts = [], []
    for _ in range(size):
        if kind == "induction":
            half = list(rng.permutation(V)[:5])
            words = half + half
            xs.append(with_previous(words))
            ts.append(induction_targets(words))
        else:
            words = list(rng.integers(0, V, L))
            xs.append(positional(words))
            ts.append([i - 1 if kind == "prev-token" else i for i in range(L)])
    return np.array(xs), np.array(ts)


def attention(x, wq, wk, wv, causal, lib):
    """Weights (B, n, n) and output (B, n, DH) of one head, scale 1/sqrt(dh)."""
    s = (x @ wq) @ (x @ wk).transpose(-1, -2) / DH ** 0.5
    n = x.shape[-2]
    if causal:
        hidden = lib.triu(lib.ones((n, n)), 1) > 0
        s = lib.where(hidden, -lib.inf * lib.ones_like(s), s) if lib is torch \
            else np.where(hidden, -np.inf, s)
    if lib is torch:
        p = torch.softmax(s, dim=-1)
    else:
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
    return p, p @ (x @ wv)


def train(kind, causal, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    d = 2 * V if kind == "induction" else V + L
    w = [(0.1 * torch.randn(d, DH, dtype=torch.float64)).requires_grad_()
         for _ in range(3)]
    opt = torch.optim.Adam(w, lr=0.05)
    for _ in range(400):
        x, t = batch(kind, rng)
        x, t = torch.tensor(x), torch.tensor(t)
        p, out = attention(x, *w, causal, torch)
        valid = t >= 0
        picked = torch.gather(p, 2, t.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        words = x[..., :V].argmax(-1)   # the word of each row
        target_word = torch.gather(words, 1, t.clamp(min=0))
        want = torch.nn.functional.one_hot(target_word, V).double()
        loss = -torch.log(picked[valid]).mean() + \
            ((out - want) ** 2).sum(-1)[valid].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [np.array([[float("%.4g" % v) for v in row] for row in m.detach().numpy()])
            for m in w], loss.item()


def rule_margin(kind, words, p):
    """The smallest weight the rule needs to be >= 0.5, over its cells."""
    if kind == "prev-token":
        cells = [(i, i - 1) for i in range(1, len(words))]
    elif kind == "same-token":
        cells = [(i, i) for i in range(len(words))]
    else:
        cells = [(i, t) for i, t in enumerate(induction_targets(words)) if t >= 0]
    return min(p[i, j] for i, j in cells)


def main():
    examples = {
        "prev-token": ("the cat sat on the mat".split(), True),
        "same-token": ("the cat sat on the mat".split(), False),
        "induction": ("cat sat on a mat cat sat on a mat".split(), True),
    }
    for seed, (kind, (sentence, causal)) in enumerate(examples.items()):
        (wq, wk, wv), loss = train(kind, causal, seed)
        words = [VOCAB.index(w) for w in sentence]
        x = with_previous(words) if kind == "induction" else positional(words)
        p, _ = attention(x, wq, wk, wv, causal, np)
        margin = rule_margin(kind, words, p)
        print(f"{kind}: loss {loss:.4f}, the rule's smallest weight {margin:.4f}")
        assert margin >= 0.5, kind
        config = {"heads": 1, "causal": causal}
        weights = {"config": config, "Wq": wq.tolist(), "Wk": wk.tolist(),
                   "Wv": wv.tolist()}
        with open(os.path.join(HERE, f"{kind}.weights.json"), "w") as f:
            f.write(dumps(weights))
        with open(os.path.join(HERE, f"{kind}.json"), "w") as f:
            f.write(dumps({"tokens": sentence,
                           "embeddings": [[int(v) for v in r] for r in x]}))


def dumps(obj):
    """JSON with a matrix row per line."""
    parts = []
    for key, value in obj.items():
        if isinstance(value, list) and value and isinstance(value[0], list):
            rows = ",\n    ".join(json.dumps(r) for r in value)
            parts.append(f'  "{key}": [\n    {rows}\n  ]')
        else:
            parts.append(f'  "{key}": {json.dumps(value)}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


if __name__ == "__main__":
    main()
