"""Generate tests/fixtures/tiny-ernie and tests/fixtures/tiny-bert (deterministic).

Run: /usr/bin/python3 tests/reference/make_fixtures.py   (Debian python3-torch python3-numpy)
Each folder gets an HF-layout checkpoint (config.json, vocab.txt, weights) and the expected
outputs of ernie_reference.py on fixed test cases (expected.json, expected.safetensors).
"""
import collections
import json
import os
import unicodedata

import torch

import bert_tokenizer as tok
import ernie_reference as ref
import safetensors_io

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
VOCABS = "/work/shared/data/vocab"
UNK_CHAR = "榴"  # in both real vocabs, deliberately left out of the trimmed ones -> [UNK]

# (name, text, text_pair, extra) ; extra: "task_ones" | "pos_offset" | None
CASES = [
    ("title_one_mask", "北京冬奥会开幕式[MASK]利举行", None, None),
    ("title_two_masks", "国家统计局：[MASK][MASK]经济运行总体平稳", None, None),
    ("english_digits", "iPhone12发布会定于9月[MASK]日举行", None, None),
    ("gpu_wordpiece", "GPU训练速度提升3倍，模型效果[MASK]好", None, None),
    ("punctuation", "《流浪地球2》票房破40亿！网友：\"太[MASK]了...\"(ok)", None, None),
    ("text_pair", "这部电影怎么样？", "剧情[MASK]彩，演员演技在线。", None),
    ("clean_accents", "  Café\tNAÏVE  深度学习\u3000模型训[MASK]完\u200b成  ", None, None),
    ("unk_tokens", "夏天最爱吃榴莲和[MASK]瓜 snow☃man " + "supercalifragilistic" * 6, None, None),
]
ERNIE_ONLY = [
    ("task_type_ones", "北京冬奥会开幕式[MASK]利举行", None, "task_ones"),
    ("position_offset", "北京冬奥会开幕式[MASK]利举行", None, "pos_offset"),
]
BATCH = ("padded_batch", ["title_one_mask", "text_pair"])  # different lengths, padded with [PAD]

H, L, NH, I, MAXPOS = 64, 2, 4, 128, 64


def read_lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")  # '\n' only (U+2028 tokens exist)
    return lines[:-1] if lines[-1] == "" else lines


def trim_vocab(full_lines, keep_ids, texts):
    """Keep keep_ids + every token the texts need (full-vocab tokenization) minus UNK_CHAR."""
    full = {t: i for i, t in enumerate(full_lines)}  # duplicates ('$' in ERNIE): last id wins, as HF
    keep = set(keep_ids)
    for text, pair in texts:
        for t in tok.tokenize(text, full) + (tok.tokenize(pair, full) if pair else []):
            if t != UNK_CHAR:
                keep.add(full[t])
    lines = [full_lines[i] for i in sorted(keep)]
    assert len(set(lines)) == len(lines), "duplicate token in trimmed vocab"
    return lines, full


def init_weights(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # tied decoder weight is listed once
            if name.endswith("_embeddings.weight"):
                p.normal_(0.0, 1.0)
            elif "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.normal_(0.0, 0.2)


def printable_json(obj, ind=0):
    """Compact-but-readable JSON: scalar-only containers on one line."""
    s = json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    children = list(obj.values()) if isinstance(obj, dict) else obj if isinstance(obj, list) else []
    if len(s) <= 100 or not any(isinstance(c, (list, dict)) for c in children):
        return s
    pad = " " * (ind + 2)
    if isinstance(obj, dict):
        body = [pad + json.dumps(k) + ": " + printable_json(v, ind + 2) for k, v in obj.items()]
        return "{\n" + ",\n".join(body) + "\n" + " " * ind + "}"
    return "[\n" + ",\n".join(pad + printable_json(v, ind + 2) for v in obj) + "\n" + " " * ind + "]"


def escape_invisible(s):  # \t, U+3000, U+200B... written as \uXXXX so they stay visible
    return "".join(c if c in "\n " or unicodedata.category(c)[0] not in "CZ" else "\\u%04x" % ord(c)
                   for c in s)


def top10(logits_row, vocab_lines):  # logits_row: [V]
    probs = torch.softmax(logits_row.double(), dim=-1)
    vals, ids = torch.sort(logits_row, descending=True)
    gaps = vals[:10] - vals[1:11]  # includes the gap to the 11th so the top-10 set is unambiguous
    assert gaps.min().item() > 1e-3, f"top-10 logits too close: {gaps.tolist()}"
    return [{"id": int(i), "token": vocab_lines[i], "logit": float(vals[k]),
             "probability": float(probs[i])} for k, i in enumerate(ids[:10].tolist())]


def run(model, c):
    t = lambda x: None if x is None else torch.tensor([x])
    with torch.no_grad():
        logits, last, pooled, hs = model(t(c["input_ids"]), None, t(c["token_type_ids"]),
                                         t(c.get("position_ids")), t(c.get("task_type_ids")))
    return logits[0], last[0], pooled[0], torch.stack([h[0] for h in hs])


def make(kind, seed):
    ernie = kind == "ernie"
    out_dir = os.path.join(FIXTURES, "tiny-" + kind)
    os.makedirs(out_dir, exist_ok=True)
    cases = CASES + (ERNIE_ONLY if ernie else [])
    if ernie:
        full_lines = read_lines(f"{VOCABS}/ernie-3.0-base-zh/vocab.txt")
        keep_ids = list(range(300)) + [len(full_lines) - 1]  # most frequent 300 + [UNK] (last)
    else:
        full_lines = read_lines(f"{VOCABS}/bert-base-chinese/vocab.txt")
        keep_ids = [0, 1] + list(range(100, 400))  # [PAD] [unused1] [UNK] [CLS] [SEP] [MASK] <S> <T> ! ...
    lines, full = trim_vocab(full_lines, keep_ids, [(c[1], c[2]) for c in cases])
    vocab = {t: i for i, t in enumerate(lines)}
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines) + "\n")
    assert tok.load_vocab(os.path.join(out_dir, "vocab.txt")) == vocab

    config = {"architectures": ["ErnieForMaskedLM" if ernie else "BertForMaskedLM"],
              "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
              "hidden_size": H, "initializer_range": 0.02, "intermediate_size": I,
              "layer_norm_eps": 1e-5 if ernie else 1e-12, "max_position_embeddings": MAXPOS,
              "model_type": kind, "num_attention_heads": NH, "num_hidden_layers": L, "pad_token_id": 0,
              "position_embedding_type": "absolute", "torch_dtype": "float32",
              "type_vocab_size": 4 if ernie else 2, "vocab_size": len(lines)}
    if ernie:
        config.update({"task_type_vocab_size": 3, "use_task_id": True})
    else:  # extra keys as in the real bert-base-chinese config.json (must be ignored)
        config.update({"directionality": "bidi", "pooler_fc_size": H, "pooler_num_attention_heads": NH,
                       "pooler_num_fc_layers": 3, "pooler_size_per_head": 128,
                       "pooler_type": "first_token_transform"})
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None,
                   "model_max_length": MAXPOS, "tokenizer_class": "BertTokenizer"}, f, indent=2)
        f.write("\n")

    model = ref.MaskedLM(config, kind)
    init_weights(model, seed)
    model.eval()
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    if ernie:  # HF safetensors exports drop the tied decoder weight
        del sd["cls.predictions.decoder.weight"]
        safetensors_io.save(sd, os.path.join(out_dir, "model.safetensors"), {"format": "pt"})
    else:  # like real bert-base-chinese: decoder copy + NSP head in pytorch_model.bin
        g = torch.Generator().manual_seed(seed + 1)
        sd["cls.seq_relationship.weight"] = 0.2 * torch.randn(2, H, generator=g)
        sd["cls.seq_relationship.bias"] = 0.1 * torch.randn(2, generator=g)
        torch.save(collections.OrderedDict(sd), os.path.join(out_dir, "pytorch_model.bin"))

    records, tensors = [], {}
    for name, text, pair, extra in cases:
        tokens, ids, types = tok.encode(text, vocab, pair)
        full_tokens = tok.encode(text, full, pair)[0]
        assert [t if t != UNK_CHAR else "[UNK]" for t in full_tokens] == tokens, (full_tokens, tokens)
        assert len(ids) <= MAXPOS - 2
        T = len(ids)
        c = {"name": name, "text": text, "text_pair": pair, "tokens": tokens, "input_ids": ids,
             "token_type_ids": types, "attention_mask": [1] * T}
        if ernie:
            c["task_type_ids"] = [1] * T if extra == "task_ones" else None
        c["position_ids"] = [i + 2 for i in range(T)] if extra == "pos_offset" else None
        c["mask_positions"] = [i for i, t in enumerate(tokens) if t == "[MASK]"]
        assert c["mask_positions"]
        logits, last, pooled, hs = run(model, c)
        c["top10"] = [top10(logits[p], lines) for p in c["mask_positions"]]
        records.append(c)
        tensors.update({f"{name}.logits": logits, f"{name}.last_hidden": last,
                        f"{name}.pooled": pooled, f"{name}.hidden_states": hs})

    # padded batch: real-token outputs must match the unpadded single runs
    bname, members = BATCH
    rows = [next(c for c in records if c["name"] == m) for m in members]
    T = max(len(r["input_ids"]) for r in rows)
    padn = lambda x, v: x + [v] * (T - len(x))
    batch = {"name": bname, "cases": members,
             "input_ids": [padn(r["input_ids"], vocab["[PAD]"]) for r in rows],
             "token_type_ids": [padn(r["token_type_ids"], 0) for r in rows],
             "attention_mask": [padn(r["attention_mask"], 0) for r in rows]}
    with torch.no_grad():
        logits, last, pooled, hs = model(torch.tensor(batch["input_ids"]), torch.tensor(batch["attention_mask"]),
                                         torch.tensor(batch["token_type_ids"]))
    for b, r in enumerate(rows):
        n = len(r["input_ids"])
        for key, val in (("logits", logits[b, :n]), ("last_hidden", last[b, :n]), ("pooled", pooled[b])):
            d = (val - tensors[f"{r['name']}.{key}"]).abs().max().item()
            assert d < 1e-4, f"padded batch differs from single run: {r['name']}.{key} {d}"
    tensors.update({f"{bname}.logits": logits, f"{bname}.last_hidden": last, f"{bname}.pooled": pooled})

    expected = {"model_type": kind, "vocab_size": len(lines), "cases": records, "batches": [batch]}
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        f.write(escape_invisible(printable_json(expected)) + "\n")
    safetensors_io.save({k: v.contiguous().float() for k, v in tensors.items()},
                        os.path.join(out_dir, "expected.safetensors"), {"format": "pt", "generator": "make_fixtures.py"})

    # self-check: reload everything from disk through the public loaders
    m2, _ = ref.load_checkpoint(out_dir)
    exp = safetensors_io.load(os.path.join(out_dir, "expected.safetensors"))
    with open(os.path.join(out_dir, "expected.json"), encoding="utf-8") as f:
        assert json.load(f) == json.loads(json.dumps(expected))
    for c in records:
        d = (run(m2, c)[0] - exp[f"{c['name']}.logits"]).abs().max().item()
        assert d == 0.0, f"reloaded model differs on {c['name']}: {d}"
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"{out_dir}: V={len(lines)} cases={len(records)} size={size / 1e6:.2f} MB")
    for c in records:
        best = [f"{e['token']}({e['probability']:.3f})" for e in c["top10"][0][:3]]
        print(f"  {c['name']:16s} T={len(c['input_ids']):2d} masks={c['mask_positions']} top3={best}")
    assert size < 1.5e6


if __name__ == "__main__":
    make("ernie", seed=1234)
    make("bert", seed=5678)
