#!/usr/bin/env python3
"""Golden rows for vblora's WordPiece tokenizer: Hugging Face's BertTokenizer on the vocabularies of the
built-in models, over sentences chosen to exercise accents, CJK, mixed scripts, cased text and odd
characters. Run where transformers is installed (the lent GPU machine has it; it needs only the vocab file):

    python3 scripts/tokenizer_golden.py VOCAB_TXT LOWER_CASE(true|false) MODEL_NAME > golden.jsonl

Each line: model, lower_case, text (and text_pair for pairs), tokens, input_ids, token_type_ids, and the
transformers version that made it.
"""
import json
import sys

from transformers import BertTokenizer
import transformers

SENTENCES = [
    "Hello World! This is Cased Text, with CAPITALS and camelCase.",
    "The Eiffel Tower is in Paris; Ça va? naïve café résumé Übermensch.",
    "Héllo, WÖRLD! Ångström, façade, jalapeño, crème brûlée, São Paulo, Zürich.",
    "Dvořák, Łódź, Øresund, Mañana, Ærø, straße, İstanbul, ĳssel.",
    "我爱北京天安门。今天天气很好！",
    "東京は日本の首都です。ひらがなとカタカナ、漢字。",
    "한국어 문장도 포함됩니다. 서울특별시.",
    "Привет, мир! Москва — столица России.",
    "Γειά σου Κόσμε! Αθήνα.",
    "مرحبا بالعالم! هذه جملة عربية.",
    "שלום עולם, זה משפט בעברית.",
    "नमस्ते दुनिया! यह हिन्दी में एक वाक्य है।",
    "สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่าง",
    "Mixed: English 中文 русский العربية 日本語 한국어 ελληνικά in one line.",
    "iPhone 15 Pro costs $999.99 (USD) — 20% off at Apple's store on 2023-09-22!",
    "Emoji 😀👍🏽 and symbols ©®™ ½ ¼ → ⇒ ∑ ∞ ≠ ≤",
    "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＳＣＩＩ and ｶﾀｶﾅ half-width.",
    "e\u0301 combining acute vs é precomposed; Å vs A\u030a",
    "tabs\tand\nnewlines\r\nand\u00a0non-breaking\u2003spaces\u200bzero-width",
    "control\u0000chars\u0007here\ufffdreplacement",
    "don't won't can't I'm you're it's O'Neill rock'n'roll",
    "unbelievablyantidisestablishmentarianism supercalifragilisticexpialidocious",
    "a" * 120 + " short",
    "URLs like https://example.com/path?q=1&r=2 and e-mails like someone@example.org",
    "C++ and C# and F# ... --flag=value x_y_z __init__",
    "Ünïcödé ÜBER ALLES naïveté coöperate",
    "It's a charming and often affecting journey.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "El niño comió piña en la montaña.",
    "Tiếng Việt có nhiều dấu: Hà Nội, Sài Gòn, phở.",
    "",
    "   ",
]

PAIRS = [
    ("Who wrote Faust?", "Johann Wolfgang von Goethe schrieb Faust."),
    ("北京是中国的首都。", "Beijing is the capital of China."),
]


def row(tokenizer, model, lower_case, text, pair=None):
    tokens = tokenizer.tokenize(text) if pair is None else tokenizer.tokenize(text) + tokenizer.tokenize(pair)
    enc = tokenizer(text, pair) if pair is not None else tokenizer(text)
    out = {"model": model, "lower_case": lower_case, "text": text}
    if pair is not None:
        out["text_pair"] = pair
    out["tokens"] = tokens
    out["input_ids"] = enc["input_ids"]
    out["token_type_ids"] = enc["token_type_ids"]
    out["transformers"] = transformers.__version__
    return out


def main():
    vocab, lower, model = sys.argv[1], sys.argv[2] == "true", sys.argv[3]
    tokenizer = BertTokenizer(vocab, do_lower_case=lower)
    for text in SENTENCES:
        print(json.dumps(row(tokenizer, model, lower, text), ensure_ascii=False))
    for text, pair in PAIRS:
        print(json.dumps(row(tokenizer, model, lower, text, pair), ensure_ascii=False))


if __name__ == "__main__":
    main()
