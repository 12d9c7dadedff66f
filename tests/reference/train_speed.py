"""Eager PyTorch training loop of the prompt classifier: the peer of the C# `train-speed` benchmark.

Trains the same model as the C# loop (ERNIE masked LM from a checkpoint folder, hard template with [MASK] slots, soft
verbalizer = the MLM head transform + a hidden->label layer initialised from the label words' decoder rows, cross-entropy)
with the same optimiser recipe (AdamW in two parameter groups: PLM at lr, verbalizer layer at head_lr; linear decay;
global gradient-norm clip) on exactly the batches the C# side lists, each padded to its longest row the way PaddleNLP's
PromptDataCollatorWithPadding pads ([PAD] ids, zero segment/position ids, attention mask 1 on real tokens).

Usage (the benchmark drives it; by hand for a check):
    /usr/bin/python3 tests/reference/train_speed.py SPEC.json
then one command per line on stdin: `run VARIANT` trains a fresh copy of the model for the spec's steps and prints one
JSON line {variant, steps, samples, seconds, samples_per_s, phases_s{data,forward,backward,clip,optimizer}, first_loss,
last_loss, losses}; `quit` ends. VARIANT is `full` (every layer at every position, as PaddleNLP computes it) or `masks` (the last
layer only at the [MASK] slots, as the C# model computes it). Thread counts come from the spec.

SPEC.json: {checkpoint, threads, pad_id, steps, lr, head_lr, weight_decay, max_grad_norm, warmup_steps, seed, dropout,
            label_token_ids: [[ids of each label's first word]], examples: [{input_ids, token_type_ids, position_ids|null,
            mask_positions, label}], batches: [[example index, ...] per step]}
"""
import copy
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ernie_reference import load_checkpoint  # noqa: E402


class PromptModel(nn.Module):
    """PLM encoder -> hidden states at the [MASK] slots -> MLM head transform -> hidden->label layer, mean over masks."""

    def __init__(self, plm, label_token_ids):
        super().__init__()
        self.plm = plm
        enc = getattr(plm, plm.prefix)
        words = enc.embeddings.word_embeddings.weight
        self.verbalizer = nn.Linear(words.shape[1], len(label_token_ids))
        with torch.no_grad():
            self.verbalizer.weight.copy_(torch.stack([words[torch.tensor(ids)].mean(0) for ids in label_token_ids]))
            self.verbalizer.bias.zero_()

    def forward(self, ids, types, positions, mask, mask_positions, last_layer_at_masks):
        enc = getattr(self.plm, self.plm.prefix)
        x = enc.embeddings(ids, types, positions, torch.zeros_like(ids))  # [B, T, H]
        ext = (1.0 - mask.float())[:, None, None, :] * torch.finfo(torch.float32).min
        layers = enc.encoder.layer
        index = mask_positions.unsqueeze(-1).expand(-1, -1, x.shape[-1])  # [B, M, H]
        for layer in layers[:-1] if last_layer_at_masks else layers:
            x = layer(x, ext)
        hidden = layer_at(layers[-1], x, ext, x.gather(1, index)) if last_layer_at_masks else x.gather(1, index)  # [B, M, H]
        p = self.plm.cls.predictions
        h = p.transform.LayerNorm(self.plm.act(p.transform.dense(hidden)))
        return self.verbalizer(h).mean(1)  # [B, C]


def layer_at(layer, x, ext, queries):
    """One encoder layer evaluated only for `queries` [B, Q, H], attending over all of `x` [B, T, H]."""
    sa = layer.attention.self
    B, T, H = x.shape
    nh, hd = sa.n_head, H // sa.n_head
    q = sa.query(queries).view(B, -1, nh, hd).transpose(1, 2)
    k = sa.key(x).view(B, T, nh, hd).transpose(1, 2)
    v = sa.value(x).view(B, T, nh, hd).transpose(1, 2)
    att = sa.dropout(F.softmax((q @ k.transpose(-1, -2)) / (hd ** 0.5) + ext, dim=-1))
    a = layer.attention.output((att @ v).transpose(1, 2).reshape(B, -1, H), queries)
    return layer.output(layer.act(layer.intermediate.dense(a)), a)


def collate(examples, pad_id):
    """Pads to the longest row of the batch (PaddleNLP PromptDataCollatorWithPadding, padding=True)."""
    t = max(len(e["input_ids"]) for e in examples)
    ids, types, positions, mask = [], [], [], []
    for e in examples:
        n = len(e["input_ids"])
        pad = t - n
        ids.append(e["input_ids"] + [pad_id] * pad)
        types.append(e["token_type_ids"] + [0] * pad)
        positions.append((e["position_ids"] if e.get("position_ids") is not None else list(range(n))) + [0] * pad)
        mask.append([1] * n + [0] * pad)
    as_long = lambda rows: torch.tensor(rows, dtype=torch.long)  # noqa: E731
    return (as_long(ids), as_long(types), as_long(positions), as_long(mask),
            as_long([e["mask_positions"] for e in examples]), as_long([e["label"] for e in examples]))


def decays(name):
    return not (name.endswith("bias") or "LayerNorm" in name)


def train(spec, plm_state, plm, variant):
    plm.load_state_dict(plm_state)
    torch.manual_seed(spec["seed"])
    model = PromptModel(plm, spec["label_token_ids"])
    head = list(model.verbalizer.named_parameters())
    body = list(model.plm.named_parameters())
    groups = []
    for params, lr in ((head, spec["head_lr"]), (body, spec["lr"])):
        for decay in (True, False):
            ps = [p for n, p in params if decays(n) == decay]
            if ps:
                groups.append({"params": ps, "lr": lr, "initial_lr": lr, "weight_decay": spec["weight_decay"] if decay else 0.0})
    optimizer = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8)
    steps, warmup = spec["steps"], spec["warmup_steps"]
    phases = dict(data=0.0, forward=0.0, backward=0.0, clip=0.0, optimizer=0.0)
    losses, samples = [], 0
    model.train(spec.get("dropout", True))
    start = time.perf_counter()
    for step in range(steps):
        factor = (step + 1.0) / warmup if warmup > 0 and step < warmup else max(0.0, 1 - (step - warmup) / max(1, steps - warmup))
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"] * factor
        t0 = time.perf_counter()
        batch = [spec["examples"][i] for i in spec["batches"][step % len(spec["batches"])]]
        ids, types, positions, mask, mask_positions, labels = collate(batch, spec["pad_id"])
        t1 = time.perf_counter()
        loss = F.cross_entropy(model(ids, types, positions, mask, mask_positions, variant == "masks"), labels)
        t2 = time.perf_counter()
        optimizer.zero_grad()
        loss.backward()
        t3 = time.perf_counter()
        if spec["max_grad_norm"] > 0:
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], spec["max_grad_norm"])
        t4 = time.perf_counter()
        optimizer.step()
        losses.append(loss.item())
        t5 = time.perf_counter()
        for name, a, b in (("data", t0, t1), ("forward", t1, t2), ("backward", t2, t3), ("clip", t3, t4), ("optimizer", t4, t5)):
            phases[name] += b - a
        samples += len(batch)
    seconds = time.perf_counter() - start
    return {"variant": variant, "steps": steps, "samples": samples, "seconds": seconds, "samples_per_s": samples / seconds,
            "phases_s": phases, "first_loss": losses[0], "last_loss": losses[-1], "losses": losses}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    torch.set_num_threads(spec["threads"])
    plm, _ = load_checkpoint(spec["checkpoint"])
    plm_state = copy.deepcopy(plm.state_dict())
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "parameters": sum(p.numel() for p in plm.parameters())}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] != "run" or len(words) != 2 or words[1] not in ("full", "masks"):
            print(json.dumps({"error": f"unknown command {line.strip()!r}: use 'run full', 'run masks' or 'quit'"}), flush=True)
            continue
        print(json.dumps(train(spec, plm_state, plm, words[1])), flush=True)


if __name__ == "__main__":
    main()
