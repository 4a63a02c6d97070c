#!/usr/bin/env python3
"""The job of `vblora train` done with Hugging Face PEFT in a plain PyTorch loop, timed end to end.

For docs/benchmarks.md (time to result): the same data file, held-out fraction, epochs, batch size, max length,
VB-LoRA settings (query and value, h, b, r, k), learning rates per group, warmup and decay, on a randomly
initialized BERT-base (no network: BertConfig() is BERT-base's shape) with the model's own vocab.txt. Each
batch is padded to its longest example (PyTorch's eager kernels take any shape at no cost), the validation
split is scored after every epoch, and the run ends with the artifacts `vblora train` leaves: the adapter
(save_pretrained), the merged model (merge_and_unload + save_pretrained) and metrics.json. Wall time counts
from the process start (as the kernel recorded it) to metrics.json, imports included.

  python3 scripts/peft_time_to_result.py --train sst2/train.tsv --label-column 0 --text-column 1 \
      --vocab MODEL/assets/vocab.txt --out /tmp/peft-sst2 [--epochs 10 --max-length 64 --precision bf16]
"""
import os
import time


def seconds_since_process_start():
    """Wall seconds since this process started, from /proc (clock ticks since boot)."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


START_WALL = time.time() - seconds_since_process_start()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402

import torch  # noqa: E402
from peft import VBLoRAConfig, get_peft_model  # noqa: E402
from transformers import (BertConfig, BertForSequenceClassification, BertTokenizerFast,  # noqa: E402
                          get_linear_schedule_with_warmup)


class Phases:
    def __init__(self):
        self.seconds = {"startup": time.time() - START_WALL}
        self.mark = time.time()

    def book(self, phase):
        now = time.time()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self.mark
        self.mark = now


def read_rows(path, text_column, label_column):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r]
    return [(r[text_column], r[label_column]) for r in rows]


def batches(encoded, labels, order, batch_size, tokenizer, device):
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        padded = tokenizer.pad({"input_ids": [encoded["input_ids"][i] for i in idx],
                                "token_type_ids": [encoded["token_type_ids"][i] for i in idx],
                                "attention_mask": [encoded["attention_mask"][i] for i in idx]},
                               return_tensors="pt")
        yield ({k: v.to(device, non_blocking=True) for k, v in padded.items()},
               torch.tensor([labels[i] for i in idx], device=device))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--text-column", type=int, default=1)
    ap.add_argument("--label-column", type=int, default=0)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--valid-fraction", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--num-vectors", type=int, default=90)
    ap.add_argument("--vector-length", type=int, default=256)
    ap.add_argument("--rank", type=int, default=4)
    ap.add_argument("--topk", type=int, default=2)
    ap.add_argument("--lr-bank", type=float, default=1e-3)
    ap.add_argument("--lr-logits", type=float, default=1e-2)
    ap.add_argument("--lr-head", type=float, default=4e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup-ratio", type=float, default=0.06)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="fp32 (TF32 matmuls, as vblora's fp32 on the GPU) or bf16 autocast")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (dynamic shapes)")
    args = ap.parse_args()
    phases = Phases()
    device = "cuda"
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(args.seed)

    rows = read_rows(args.train, args.text_column, args.label_column)
    names = sorted({label for _, label in rows})
    order = list(range(len(rows)))
    random.Random(args.seed).shuffle(order)
    n_valid = int(round(len(rows) * args.valid_fraction))
    valid_idx, train_idx = order[:n_valid], order[n_valid:]
    tokenizer = BertTokenizerFast(vocab_file=args.vocab, do_lower_case=True)
    encoded = tokenizer([text for text, _ in rows], truncation=True, max_length=args.max_length)
    labels = [names.index(label) for _, label in rows]
    phases.book("data")

    model = BertForSequenceClassification(BertConfig(num_labels=len(names)))
    config = VBLoRAConfig(task_type="SEQ_CLS", r=args.rank, num_vectors=args.num_vectors,
                          vector_length=args.vector_length, topk=args.topk, target_modules=["query", "value"],
                          vblora_dropout=0.0, save_only_topk_weights=True)
    model = get_peft_model(model, config).to(device)
    groups = {"bank": [], "logits": [], "head": []}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        groups["bank" if "vector_bank" in name else "logits" if "logits" in name else "head"].append(p)
    optimizer = torch.optim.AdamW([
        {"params": groups["bank"], "lr": args.lr_bank, "weight_decay": 0.0},
        {"params": groups["logits"], "lr": args.lr_logits, "weight_decay": 0.0},
        {"params": groups["head"], "lr": args.lr_head, "weight_decay": args.weight_decay}])
    steps_per_epoch = (len(train_idx) + args.batch_size - 1) // args.batch_size
    total = steps_per_epoch * args.epochs
    schedule = get_linear_schedule_with_warmup(optimizer, int(args.warmup_ratio * total), total)
    forward = torch.compile(model, dynamic=True) if args.compile else model
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.precision == "bf16")
    torch.cuda.synchronize()
    phases.book("load")

    best, step_times = None, []
    for epoch in range(args.epochs):
        model.train()
        epoch_order = list(train_idx)
        random.Random(args.seed * 1000 + epoch).shuffle(epoch_order)
        for inputs, y in batches(encoded, labels, epoch_order, args.batch_size, tokenizer, device):
            t = time.time()
            with autocast:
                loss = forward(**inputs, labels=y).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            loss.item()  # as vblora reads its loss every step
            step_times.append(time.time() - t)
        phases.book("train")
        model.eval()
        correct = 0
        with torch.no_grad(), autocast:
            for inputs, y in batches(encoded, labels, valid_idx, args.batch_size, tokenizer, device):
                correct += (forward(**inputs).logits.argmax(-1) == y).sum().item()
        accuracy = correct / len(valid_idx)
        best = accuracy if best is None else max(best, accuracy)
        phases.book("eval")

    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(os.path.join(args.out, "adapter"))
    model.merge_and_unload().save_pretrained(os.path.join(args.out, "merged"))
    step_times.sort()
    metrics = {"best": {"accuracy": best}, "steps": total, "step_ms": 1000 * step_times[len(step_times) // 2],
               "precision": args.precision, "compile": args.compile,
               "peft": __import__("peft").__version__, "torch": torch.__version__}
    phases.book("export")
    metrics["timings"] = {"total_s": time.time() - START_WALL, "phases_s": phases.seconds}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
