"""Check that a checkpoint folder written by another implementation loads in the reference model.

Usage: /usr/bin/python3 tests/reference/check_roundtrip.py FOLDER [--expected DIR] [--atol 1e-4]
FOLDER holds config.json + model.safetensors (or pytorch_model.bin). The expected outputs are
read from --expected (default: FOLDER itself): expected.json + expected.safetensors as written
by make_fixtures.py. Prints the max abs logit difference per case; exit code 0 = all within
atol and top-10 ids equal, 1 = mismatch or load failure.
"""
import argparse
import json
import os
import sys

import torch

import ernie_reference as ref
import safetensors_io


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--expected", default=None, help="folder with expected.json/.safetensors")
    ap.add_argument("--atol", type=float, default=1e-4)
    args = ap.parse_args()
    try:
        model, config = ref.load_checkpoint(args.folder)
    except Exception as e:  # missing/unexpected keys, bad shapes, unreadable file
        print(f"FAIL: cannot load {args.folder}: {e}")
        return 1
    n_params = sum(p.numel() for p in model.parameters())
    print(f"loaded {args.folder}: model_type={config.get('model_type')} params={n_params}")

    exp_dir = args.expected or args.folder
    exp_json, exp_st = os.path.join(exp_dir, "expected.json"), os.path.join(exp_dir, "expected.safetensors")
    if not (os.path.exists(exp_json) and os.path.exists(exp_st)):
        with torch.no_grad():  # nothing to compare against: just prove a forward pass works
            logits = model(torch.tensor([[1, 2]]))[0]
        ok = bool(torch.isfinite(logits).all())
        print(f"no expected.json/expected.safetensors in {exp_dir}; forward finite: {ok}")
        return 0 if ok else 1

    with open(exp_json, encoding="utf-8") as f:
        expected = json.load(f)
    tensors = safetensors_io.load(exp_st)
    worst, ok = 0.0, True
    for c in expected["cases"]:
        t = lambda key: None if c.get(key) is None else torch.tensor([c[key]])
        with torch.no_grad():
            logits, last, pooled, _ = model(t("input_ids"), t("attention_mask"), t("token_type_ids"),
                                            t("position_ids"), t("task_type_ids"))
        d = (logits[0] - tensors[c["name"] + ".logits"]).abs().max().item()
        top_ok = all([e["id"] for e in top] == torch.topk(logits[0, p], 10).indices.tolist()
                      for p, top in zip(c["mask_positions"], c["top10"]))
        worst = max(worst, d)
        good = d <= args.atol and top_ok
        ok &= good
        print(f"  {c['name']:20s} max|dlogits|={d:.3e} top10 {'same' if top_ok else 'DIFFERENT'}"
              f"{'' if good else '  <-- FAIL'}")
    print(f"max abs logit difference: {worst:.3e} (atol {args.atol}) -> {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
