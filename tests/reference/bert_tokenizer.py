"""BERT basic tokenizer + WordPiece, reproducing HF BertTokenizer (slow) with
do_lower_case=True, tokenize_chinese_chars=True, strip_accents=None (follows lowercase).

Special tokens ([PAD] [UNK] [CLS] [SEP] [MASK]) are split out of the raw text first, as HF's
added-tokens trie does, so "北[MASK]京" gives 北 / [MASK] / 京 without needing spaces.
"""
import re
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def load_vocab(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")  # '\n' only: bert vocab contains U+2028 tokens
    if lines and lines[-1] == "":
        lines.pop()
    return {tok: i for i, tok in enumerate(lines)}  # duplicates: last id wins, as HF


def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text):
    # clean: drop NUL / U+FFFD / control chars, map whitespace to ' '; pad CJK chars with spaces
    out = []
    for ch in text:
        if ord(ch) == 0 or ord(ch) == 0xFFFD or is_control(ch):
            continue
        if is_whitespace(ch):
            out.append(" ")
        elif is_chinese_char(ord(ch)):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = unicodedata.normalize("NFC", "".join(out))
    tokens = []
    for word in text.split():  # str.split(): also splits on U+2028, U+001C..U+001F, ...
        word = word.lower()
        word = "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
        piece = ""
        for ch in word:  # every punctuation char becomes its own token
            if is_punctuation(ch):
                tokens += [piece, ch] if piece else [ch]
                piece = ""
            else:
                piece += ch
        if piece:
            tokens.append(piece)
    return tokens


def wordpiece(word, vocab, unk="[UNK]", max_chars=100):
    if len(word) > max_chars:  # counted in code points
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:  # greedy longest match first
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                break
            end -= 1
        if end == start:
            return [unk]  # one unknown piece makes the whole word [UNK]
        pieces.append(sub)
        start = end
    return pieces


def tokenize(text, vocab):
    tokens = []
    for part in re.split("(" + "|".join(re.escape(s) for s in SPECIALS) + ")", text):
        if part in SPECIALS:
            tokens.append(part)
        else:
            for word in basic_tokenize(part):
                tokens += wordpiece(word, vocab)
    return tokens


def encode(text, vocab, text_pair=None):
    """Returns (tokens, input_ids, token_type_ids) for [CLS] a [SEP] (b [SEP])."""
    tokens = ["[CLS]"] + tokenize(text, vocab) + ["[SEP]"]
    types = [0] * len(tokens)
    if text_pair is not None:
        b = tokenize(text_pair, vocab) + ["[SEP]"]
        tokens += b
        types += [1] * len(b)
    unk = vocab["[UNK]"]
    return tokens, [vocab.get(t, unk) for t in tokens], types
