#!/usr/bin/env python3
"""Loads an adapter folder that vblora wrote with Hugging Face PEFT and fails if PEFT warns about its config.

PEFT reads adapter_config.json into its config class and warns about any key it does not know ("Unexpected
keyword arguments [...] for class VBLoRAConfig, these are ignored ..."). vblora keeps its own metadata in
vblora_metadata.json beside the config, so a user who loads our adapter in Python sees no warning; this script
checks that, without network: it builds a tiny random BERT whose shapes match the adapter (hidden size, layers,
intermediate size, classes: read from the adapter's own tensors), loads the adapter onto it with
PeftModel.from_pretrained, runs one forward pass, and captures every Python warning and every log record of
WARNING or above while doing so.

    python3 scripts/peft_load_check.py vblora-demo/adapter            # exit 0: no warning about the config
    python3 scripts/peft_load_check.py old-adapter --expect-config-warning   # the control: an adapter of the
                                                                     # older layout ("vblora_java" inside)

Exit status: 0 when no warning mentions the config (with --expect-config-warning: when one does), 1 otherwise,
2 when the adapter cannot be loaded at all. --strict also fails on any other warning.
Needs torch, transformers, peft and safetensors.
"""
import argparse
import json
import logging
import re
import sys
import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertForSequenceClassification, BertModel

from peft import PeftConfig, PeftModel

MODULE = re.compile(r"^base_model\.model\.(?P<path>.+?)\.(?P<tensor>vblora_logits_[AB]|lora_[AB]\.weight)")
LAYER = re.compile(r"\.layer\.(\d+)\.")
CONFIG_WORDS = ("config", "unexpected keyword", "vblora_java", "upgrade the peft")


class Captured(logging.Handler):
    """Keeps every log record of WARNING or above, from any logger (PEFT and transformers log through logging)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(f"log {record.name}: {record.getMessage()}")


def shapes(adapter_dir, config):
    """(hidden, layers, intermediate, classes) of the BERT the adapter was trained on, from its tensors."""
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    b = config.get("vector_length")
    hidden = intermediate = None
    layers = 0
    for key, tensor in tensors.items():
        m = MODULE.match(key)
        if not m:
            continue
        path, kind = m.group("path"), m.group("tensor")
        if not path.startswith("bert."):
            sys.exit(f"{key}: not a BERT module; this check builds a BERT and knows no other model")
        layer = LAYER.search(path)
        layers = max(layers, int(layer.group(1)) + 1 if layer else 0)
        # Top-k files keep ..._topk_indices / _topk_weights instead: the same leading dimensions.
        if kind == "vblora_logits_A":  # [r, in / b, h]
            size, side = tensor.shape[1] * b, "in"
        elif kind == "vblora_logits_B":  # [out / b, r, h]
            size, side = tensor.shape[0] * b, "out"
        elif kind == "lora_A.weight":  # [r, in]
            size, side = tensor.shape[1], "in"
        else:  # lora_B.weight [out, r]
            size, side = tensor.shape[0], "out"
        if path.endswith("intermediate.dense"):
            intermediate = size if side == "out" else intermediate
            hidden = size if side == "in" else hidden
        elif path.endswith(".output.dense") and "attention" not in path:
            intermediate = size if side == "in" else intermediate
            hidden = size if side == "out" else hidden
        else:
            hidden = size
    head = tensors.get("base_model.model.classifier.weight")
    if hidden is None:
        sys.exit(f"{adapter_dir}: no adapted module found in adapter_model.safetensors")
    return hidden, max(layers, 1), intermediate or 4 * hidden, None if head is None else head.shape[0]


def base_model(hidden, layers, intermediate, classes):
    heads = next(h for h in (12, 8, 4, 2, 1) if hidden % h == 0)
    config = BertConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=intermediate, vocab_size=128, max_position_embeddings=64)
    torch.manual_seed(0)
    if classes is None:
        return BertModel(config)
    config.num_labels = classes
    return BertForSequenceClassification(config)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("adapter", type=Path, help="adapter folder (adapter_config.json + safetensors)")
    parser.add_argument("--expect-config-warning", action="store_true",
                        help="the control run: succeed only if PEFT does warn about the config")
    parser.add_argument("--strict", action="store_true", help="fail on any warning, not only the config's")
    args = parser.parse_args()

    config = json.loads((args.adapter / "adapter_config.json").read_text())
    print(f"adapter_config.json keys: {sorted(config)}")
    metadata = args.adapter / "vblora_metadata.json"
    print(f"vblora_metadata.json: {json.loads(metadata.read_text()) if metadata.exists() else 'absent'}")
    hidden, layers, intermediate, classes = shapes(args.adapter, config)
    print(f"tiny random BERT: hidden {hidden}, {layers} layers, intermediate {intermediate}, classes {classes}")
    model = base_model(hidden, layers, intermediate, classes)

    handler = Captured()
    logging.getLogger().addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            PeftConfig.from_pretrained(str(args.adapter))
            peft_model = PeftModel.from_pretrained(model, str(args.adapter))
            peft_model.eval()
            with torch.no_grad():
                ids = torch.randint(0, 128, (2, 16))
                peft_model(input_ids=ids, attention_mask=torch.ones_like(ids))
    except Exception as e:  # noqa: BLE001 - any failure to load is the answer
        print(f"FAILED to load {args.adapter} with PEFT: {type(e).__name__}: {e}")
        return 2
    finally:
        logging.getLogger().removeHandler(handler)

    found = [f"warning {w.category.__name__}: {w.message}" for w in caught] + handler.records
    about_config = [w for w in found if any(word in w.lower() for word in CONFIG_WORDS)]
    for w in found:
        print(("CONFIG " if w in about_config else "other  ") + w)
    print(f"{len(found)} warnings, {len(about_config)} about the config")
    if args.expect_config_warning:
        return 0 if about_config else 1
    if about_config or (args.strict and found):
        return 1
    print("OK: PEFT loaded the adapter without a warning about its config")
    return 0


if __name__ == "__main__":
    sys.exit(main())
