"""Reference PyTorch implementation of HF ErnieForMaskedLM / BertForMaskedLM (plus pooler).

Parameter names are exactly the Hugging Face ones, with prefix `ernie.` or `bert.`:
  {p}.embeddings.{word,position,token_type,task_type}_embeddings.weight, {p}.embeddings.LayerNorm.*
  {p}.encoder.layer.{i}.attention.self.{query,key,value}.*, ...attention.output.{dense,LayerNorm}.*
  {p}.encoder.layer.{i}.intermediate.dense.*, {p}.encoder.layer.{i}.output.{dense,LayerNorm}.*
  {p}.pooler.dense.*, cls.predictions.transform.{dense,LayerNorm}.*, cls.predictions.bias,
  cls.predictions.decoder.weight (tied to word embeddings)
Note: HF's *ForMaskedLM classes are built without the pooler; real checkpoints still carry it,
so it is included here (pooled = tanh(dense(h[:, 0]))).
"""
import json
import math
import os
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

import safetensors_io

ACT = {"gelu": F.gelu,  # exact erf GELU
       "relu": F.relu,
       "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
       "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh")}


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], H, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], H)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], H)
        self.use_task_id = bool(c.get("use_task_id", False))
        if self.use_task_id:
            self.task_type_embeddings = nn.Embedding(c["task_type_vocab_size"], H)
        self.LayerNorm = nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, input_ids, token_type_ids, position_ids, task_type_ids):
        # same summation order as HF: word + token_type, + position, + task_type
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)  # [B, T, H]
        x = x + self.position_embeddings(position_ids)
        if self.use_task_id:
            x = x + self.task_type_embeddings(task_type_ids)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.n_head = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def forward(self, x, ext_mask):
        B, T, H = x.shape
        hd = H // self.n_head
        q = self.query(x).view(B, T, self.n_head, hd).transpose(1, 2)  # [B, nh, T, hd]
        k = self.key(x).view(B, T, self.n_head, hd).transpose(1, 2)
        v = self.value(x).view(B, T, self.n_head, hd).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)  # [B, nh, T, T]
        att = att + ext_mask  # [B, 1, 1, T]: 0 for real keys, finfo.min for padding
        att = self.dropout(F.softmax(att, dim=-1))
        y = att @ v  # [B, nh, T, hd]
        return y.transpose(1, 2).reshape(B, T, H)


class DenseLayerNorm(nn.Module):  # HF *SelfOutput / *Output: dense -> dropout -> LN(x + residual)
    def __init__(self, c, n_in):
        super().__init__()
        self.dense = nn.Linear(n_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = nn.Module()
        self.attention.self = SelfAttention(c)
        self.attention.output = DenseLayerNorm(c, c["hidden_size"])
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.output = DenseLayerNorm(c, c["intermediate_size"])
        self.act = ACT[c["hidden_act"]]

    def forward(self, x, ext_mask):
        a = self.attention.output(self.attention.self(x, ext_mask), x)  # [B, T, H]
        h = self.act(self.intermediate.dense(a))  # [B, T, I]
        return self.output(h, a)  # [B, T, H]


class MaskedLM(nn.Module):
    def __init__(self, c, prefix):
        super().__init__()
        self.config, self.prefix = c, prefix
        H, V = c["hidden_size"], c["vocab_size"]
        enc = nn.Module()
        enc.embeddings = Embeddings(c)
        enc.encoder = nn.Module()
        enc.encoder.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        enc.pooler = nn.Module()
        enc.pooler.dense = nn.Linear(H, H)
        setattr(self, prefix, enc)  # self.ernie or self.bert
        self.cls = nn.Module()
        self.cls.predictions = p = nn.Module()
        p.transform = nn.Module()
        p.transform.dense = nn.Linear(H, H)
        p.transform.LayerNorm = nn.LayerNorm(H, eps=c["layer_norm_eps"])
        p.decoder = nn.Linear(H, V, bias=False)
        p.decoder.weight = enc.embeddings.word_embeddings.weight  # tied
        p.bias = nn.Parameter(torch.zeros(V))
        self.act = ACT[c["hidden_act"]]

    def forward(self, input_ids, attention_mask=None, token_type_ids=None,
                position_ids=None, task_type_ids=None):
        B, T = input_ids.shape
        zeros = torch.zeros(B, T, dtype=torch.long)
        token_type_ids = zeros if token_type_ids is None else token_type_ids
        task_type_ids = zeros if task_type_ids is None else task_type_ids
        position_ids = torch.arange(T).expand(B, T) if position_ids is None else position_ids
        attention_mask = torch.ones(B, T) if attention_mask is None else attention_mask
        ext = (1.0 - attention_mask.float())[:, None, None, :] * torch.finfo(torch.float32).min
        enc = getattr(self, self.prefix)
        x = enc.embeddings(input_ids, token_type_ids, position_ids, task_type_ids)  # [B, T, H]
        hidden_states = [x]
        for layer in enc.encoder.layer:
            x = layer(x, ext)
            hidden_states.append(x)
        pooled = torch.tanh(enc.pooler.dense(x[:, 0]))  # [B, H]
        p = self.cls.predictions
        h = p.transform.LayerNorm(self.act(p.transform.dense(x)))  # [B, T, H]
        logits = p.decoder(h) + p.bias  # [B, T, V]
        return logits, x, pooled, hidden_states


# keys found in real checkpoints that a masked-LM model does not use
IGNORED_SUFFIXES = ("embeddings.position_ids", "cls.seq_relationship.weight",
                    "cls.seq_relationship.bias", "cls.predictions.decoder.bias")


def read_state_dict(folder):
    st = os.path.join(folder, "model.safetensors")
    if os.path.exists(st):
        return safetensors_io.load(st)
    return torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu")


def load_checkpoint(folder):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    sd = read_state_dict(folder)
    # old TF-converted checkpoints use LayerNorm.gamma/beta
    sd = {k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias"): v
          for k, v in sd.items()}
    prefix = "ernie" if config.get("model_type") == "ernie" else "bert"
    model = MaskedLM(config, prefix)
    expected = model.state_dict()
    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected and not k.endswith(IGNORED_SUFFIXES)]
    tied = "cls.predictions.decoder.weight"
    optional = [tied] + [k for k in missing if k.startswith(prefix + ".pooler.")]
    required_missing = [k for k in missing if k not in optional]
    if required_missing or unexpected:
        raise ValueError(f"checkpoint mismatch: missing={required_missing} unexpected={unexpected}")
    if any(k.startswith(prefix + ".pooler.") for k in missing):
        warnings.warn("checkpoint has no pooler weights: pooled output is meaningless")
    if tied in sd and not torch.equal(sd[tied].float(), sd[prefix + ".embeddings.word_embeddings.weight"].float()):
        warnings.warn("cls.predictions.decoder.weight differs from word embeddings; using the embeddings (tied)")
    with torch.no_grad():
        for k, v in expected.items():
            if k in sd and k != tied:
                if tuple(sd[k].shape) != tuple(v.shape):
                    raise ValueError(f"{k}: shape {tuple(sd[k].shape)} != {tuple(v.shape)}")
                v.copy_(sd[k].float())
    model.eval()
    return model, config
