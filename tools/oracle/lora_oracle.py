#!/usr/bin/python3
"""lora_oracle.py -- float64 PyTorch reference for grpo4j's LoRA path (torch only; PEFT is not needed).

One fixture, `lora-qwen2-f64/`: the Qwen2 model of engine_oracle.py's `qwen2-bias-f64` shape (q/k/v biases, GQA,
tied) with LoRA adapters on every linear layer of every decoder layer (PEFT's all-linear), r = 2,
lora_alpha = 3 (scale alpha / r = 1.5), no dropout. Each adapted layer computes
    y = x W^T (+ b) + scale * (x A^T) B^T                 A: (r, in), B: (out, r)
which is the same function (and the same gradient for A and B) as x (W + scale B A)^T, the form used below.
A is PEFT's init (U(-1/sqrt(in), 1/sqrt(in))); B is N(0, 0.2^2) instead of PEFT's zeros, so the gradient
of A is not zero. The base weights are frozen: only A and B get gradients.

Loss: TRL GRPO (loss_type "grpo", beta 0.04, num_iterations 1) as in engine_oracle.py, with the reference
log-probs computed by the same base weights with the adapters switched off (TRL's disable_adapter()).
Then one torch.optim.AdamW step over the adapter parameters only (lr 1e-3, betas (0.9, 0.999), eps 1e-8,
weight_decay 0.01).

Files (safetensors F64; names of adapter tensors are PEFT's, e.g.
base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight):
  config.json                     HF config + "grpo" and "lora" blocks
  weights.safetensors             the frozen base (HF names)
  adapter/adapter_config.json     PEFT LoraConfig (peft_type LORA, r, lora_alpha, target_modules, ...)
  adapter/adapter_model.safetensors   the adapters before the step
  grads.safetensors               d loss / d A, d loss / d B (PEFT names)
  adapter_after_adamw.safetensors the adapters after one AdamW step
  io.safetensors                  input_ids, lengths, prompt_lengths, completion_mask, advantages, logps
                                  (with adapters), ref_logps (adapters off), loss
  summary.json                    loss, grad_global_norm (adapters), n_adapter_params

Run: /usr/bin/python3 tools/oracle/lora_oracle.py --out runtime/src/test/resources/oracle
"""
import argparse
import json
import math
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import dump_json, load_safetensors, save_safetensors  # noqa: E402
import engine_oracle as eo  # noqa: E402

DT = torch.float64
NAME = "lora-qwen2-f64"
R, ALPHA = 2, 3.0
MODULES = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runtime/src/test/resources/oracle")
    a = ap.parse_args()
    torch.set_num_threads(1)
    c = eo.Cfg(NAME, dict(seed=31, arch="qwen2", bias=True, theta=1000000.0, eps=1e-6,
                          rows=[(3, 9, 6), (5, 6, 6), (2, 4, 4)], advantages=[-1.1, 0.3, 0.9]))
    out = os.path.join(a.out, NAME)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "adapter"))
    g = torch.Generator().manual_seed(c.seed)
    W0 = eo.init_params(c, g)
    shapes = eo.param_shapes(c)
    scale = ALPHA / R

    # adapters, drawn in float32 and widened (exact in both engines' precision)
    lora = {}
    for l in range(c.layers):
        for m in MODULES:
            out_dim, in_dim = shapes[f"model.layers.{l}.{m}.weight"]
            bound = 1.0 / math.sqrt(in_dim)
            A = ((torch.rand((R, in_dim), generator=g) * 2 - 1) * bound).float().to(DT)
            B = (0.2 * torch.randn((out_dim, R), generator=g)).float().to(DT)
            p = f"base_model.model.model.layers.{l}.{m}"
            lora[p + ".lora_A.weight"] = A
            lora[p + ".lora_B.weight"] = B
    P = {k: v.clone().requires_grad_(True) for k, v in lora.items()}

    def effective(adapters_on):
        W = dict(W0)
        if adapters_on:
            for l in range(c.layers):
                for m in MODULES:
                    p = f"base_model.model.model.layers.{l}.{m}"
                    W[f"model.layers.{l}.{m}.weight"] = W0[f"model.layers.{l}.{m}.weight"] + scale * P[p + ".lora_B.weight"] @ P[p + ".lora_A.weight"]
        return W

    B_ = len(c.rows)
    plen = [r[0] for r in c.rows]
    clen = [r[1] for r in c.rows]
    mlen = [r[2] for r in c.rows]
    lengths = [p + n for p, n in zip(plen, clen)]
    T, C = max(lengths), max(clen)
    ids = torch.zeros(B_, T, dtype=torch.int64)
    for b in range(B_):
        ids[b, :lengths[b]] = torch.randint(0, c.vocab, (lengths[b],), generator=g)
    mask = torch.zeros(B_, C, dtype=DT)
    for b in range(B_):
        mask[b, :mlen[b]] = 1.0
    adv = torch.tensor(c.advantages, dtype=DT)

    logits = eo.batch_forward(c, effective(True), ids, lengths)
    logp, _ = eo.completion_stats(c, logits, ids, plen, clen, C, 1.0)
    with torch.no_grad():
        ref_logits = eo.batch_forward(c, effective(False), ids, lengths)
        ref_logp, _ = eo.completion_stats(c, ref_logits, ids, plen, clen, C, 1.0)
    loss, kl, ptl = eo.grpo_loss(logp, ref_logp, adv, mask, c.beta)
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in P.items()}
    opt = torch.optim.AdamW(list(P.values()), lr=c.lr, betas=c.betas, eps=c.adam_eps, weight_decay=c.weight_decay)
    opt.step()
    after = {k: v.detach().clone() for k, v in P.items()}

    meta = {"format": "pt", "fixture": NAME, "generator": "tools/oracle/lora_oracle.py"}
    save_safetensors(os.path.join(out, "weights.safetensors"), W0, meta)
    save_safetensors(os.path.join(out, "adapter", "adapter_model.safetensors"), lora, meta)
    save_safetensors(os.path.join(out, "grads.safetensors"), grads, meta)
    save_safetensors(os.path.join(out, "adapter_after_adamw.safetensors"), after, meta)
    io = {"input_ids": ids, "lengths": torch.tensor(lengths, dtype=torch.int64),
          "prompt_lengths": torch.tensor(plen, dtype=torch.int64), "completion_mask": mask, "advantages": adv,
          "logps": logp.detach(), "ref_logps": ref_logp, "loss": loss.detach().reshape(1)}
    save_safetensors(os.path.join(out, "io.safetensors"), io, meta)
    dump_json(os.path.join(out, "adapter", "adapter_config.json"),
              {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": R, "lora_alpha": ALPHA, "lora_dropout": 0.0,
               "target_modules": [m.split(".")[1] for m in MODULES], "use_rslora": False, "bias": "none",
               "fan_in_fan_out": False, "init_lora_weights": True, "inference_mode": True, "use_dora": False,
               "modules_to_save": None, "layers_to_transform": None, "base_model_name_or_path": ".."})
    grpo = {"loss": "grpo", "beta": c.beta, "temperature": 1.0, "advantages": c.advantages, "lr": c.lr,
            "adam_betas": list(c.betas), "adam_eps": c.adam_eps, "weight_decay": c.weight_decay,
            "reference": "the base weights with the adapters off", "trained": "adapter parameters only"}
    cfg = eo.hf_config(c, grpo)
    cfg["lora"] = {"r": R, "lora_alpha": ALPHA, "scale": scale, "target_modules": "all-linear", "dropout": 0.0}
    dump_json(os.path.join(out, "config.json"), cfg)
    dump_json(os.path.join(out, "summary.json"),
              {"loss": loss.item(), "grad_global_norm": math.sqrt(sum(float((v ** 2).sum()) for v in grads.values())),
               "n_adapter_params": sum(v.numel() for v in lora.values()), "torch": torch.__version__})

    # read back bit for bit
    for fn, want in (("weights.safetensors", W0), ("grads.safetensors", grads), ("adapter_after_adamw.safetensors", after),
                     (os.path.join("adapter", "adapter_model.safetensors"), lora)):
        got = load_safetensors(os.path.join(out, fn))
        assert set(got) == set(want) and all(torch.equal(got[k], want[k]) for k in want), fn
    print(f"{NAME}: loss {loss.item():.17g}  adapter params {sum(v.numel() for v in lora.values())}")


if __name__ == "__main__":
    main()
