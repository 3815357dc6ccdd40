#!/usr/bin/python3
"""engine_oracle.py -- float64 PyTorch reference fixtures for grpo4j's decoder engine.

Writes one directory per fixture (see FIXTURES) under --out, each with the file layout of the shared
peer's ORACLE OUTPUT (../shared/bench/grpo_ref.py) but tiny shapes, so that all fixtures together stay
well under 2 MB. tools/oracle/README.md documents every file, tensor and convention; this docstring is
the short form.

Run:   /usr/bin/python3 tools/oracle/engine_oracle.py --out runtime/src/test/resources/oracle
Needs: Debian's python3-torch (1.13) + python3-numpy. Deterministic: fixed seeds, CPU, float64.

Model (HF Llama / Qwen2 / Qwen3 conventions, computed in float64 throughout, RoPE tables included):
  x = embed_tokens[ids]
  per layer:  h = rms(x; input_layernorm)
              q,k,v = h Wq^T (+bq), h Wk^T (+bk), h Wv^T (+bv)        split into heads of head_dim
              qwen3: q = rms_head(q; q_norm), k = rms_head(k; k_norm)  (over head_dim, BEFORE RoPE)
              q,k = rope(q), rope(k)   rotate_half, inv_freq[i] = theta^(-2i/hd), positions 0..len-1
              a = softmax(q k^T / sqrt(hd) + causal) v ; GQA: query head h reads kv head h // (nH/nKV)
              x = x + a Wo^T ; x = x + down(silu(gate(h2)) * up(h2)), h2 = rms(x; post_attention_layernorm)
  logits = rms(x; norm) W^T, W = embed_tokens (tied) or lm_head
  rms(x; w) = w * x / sqrt(mean(x^2) + rms_norm_eps)
Sequences: no padding semantics -- each row b is its own sequence ids[b, :lengths[b]] (positions restart
at 0); the prompt is ids[b, :prompt_lengths[b]], the completion the rest. Completion token j of row b
(ids[b, P_b + j]) is predicted by the logits at position P_b + j - 1. Everything per completion token is
stored left-aligned in (B, C) tensors, C = max_b (lengths[b] - prompt_lengths[b]); cells past a row's
completion hold 0 and have completion_mask 0.
"""
import argparse
import copy
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import dump_json, load_safetensors, save_safetensors  # noqa: E402

DT = torch.float64

BASE = dict(vocab=32, d=16, layers=2, heads=4, kv_heads=2, head_dim=4, ffn=32, arch="llama", tied=True,
            bias=False, qk_norm=False, theta=10000.0, eps=1e-5, temperature=1.0, loss="grpo",
            # (prompt_len, completion_len, completion tokens inside the loss mask) per sequence
            rows=[(4, 8, 8), (1, 7, 4), (6, 5, 5)],
            advantages=[1.25, -0.75, 0.4], beta=0.04, lr=1e-3, betas=(0.9, 0.999), adam_eps=1e-8,
            weight_decay=0.01, embed_std=0.5, matrix_std=0.3, bias_std=0.1, norm_noise=0.1, ref_noise=0.01,
            dtype_files=False, sharded=False, seed=0)

FIXTURES = {
    # (a) Llama, tied, no biases, ragged, temperature 0.7; also BF16/F16 weight files and a sharded copy
    "llama-tied-f64": dict(seed=11, temperature=0.7, dtype_files=True, sharded=True),
    # (b) Qwen2: q/k/v biases, tied, Qwen2's rope_theta and eps
    "qwen2-bias-f64": dict(seed=12, arch="qwen2", bias=True, theta=1000000.0, eps=1e-6,
                           rows=[(3, 9, 6), (5, 6, 6), (2, 4, 4)], advantages=[-1.1, 0.3, 0.9]),
    # (c) Llama with a separate lm_head.weight
    "llama-untied-f64": dict(seed=13, tied=False, theta=500000.0, rows=[(2, 10, 10), (7, 5, 2), (4, 3, 3)],
                             advantages=[0.6, 1.4, -0.9]),
    # (d) Qwen3: per-head q/k RMSNorm before RoPE, head_dim 8 != hidden/heads = 4, tied (as Qwen3-0.6B)
    "qwen3-f64": dict(seed=14, arch="qwen3", qk_norm=True, head_dim=8, theta=1000000.0, eps=1e-6,
                      rows=[(3, 8, 5), (6, 6, 6), (1, 9, 9)], advantages=[0.8, -1.3, 0.2]),
    # (e) plain masked NLL (SFT) loss, temperature 1
    "nll-f64": dict(seed=15, loss="nll", rows=[(1, 11, 11), (5, 6, 3), (3, 8, 8)]),
}


class Cfg:
    def __init__(self, name, over):
        c = dict(BASE)
        c.update(over)
        self.name = name
        self.__dict__.update(c)


# ----------------------------------------------------------------------------------------------
# model (functional over a dict of HF-named tensors)
# ----------------------------------------------------------------------------------------------
def param_shapes(c):
    s = {"model.embed_tokens.weight": (c.vocab, c.d)}
    for l in range(c.layers):
        p = f"model.layers.{l}."
        s[p + "input_layernorm.weight"] = (c.d,)
        s[p + "self_attn.q_proj.weight"] = (c.heads * c.head_dim, c.d)
        s[p + "self_attn.k_proj.weight"] = (c.kv_heads * c.head_dim, c.d)
        s[p + "self_attn.v_proj.weight"] = (c.kv_heads * c.head_dim, c.d)
        if c.bias:
            s[p + "self_attn.q_proj.bias"] = (c.heads * c.head_dim,)
            s[p + "self_attn.k_proj.bias"] = (c.kv_heads * c.head_dim,)
            s[p + "self_attn.v_proj.bias"] = (c.kv_heads * c.head_dim,)
        s[p + "self_attn.o_proj.weight"] = (c.d, c.heads * c.head_dim)
        if c.qk_norm:
            s[p + "self_attn.q_norm.weight"] = (c.head_dim,)
            s[p + "self_attn.k_norm.weight"] = (c.head_dim,)
        s[p + "post_attention_layernorm.weight"] = (c.d,)
        s[p + "mlp.gate_proj.weight"] = (c.ffn, c.d)
        s[p + "mlp.up_proj.weight"] = (c.ffn, c.d)
        s[p + "mlp.down_proj.weight"] = (c.d, c.ffn)
    s["model.norm.weight"] = (c.d,)
    if not c.tied:
        s["lm_head.weight"] = (c.vocab, c.d)
    return s


def init_params(c, g):
    """Drawn in float32 (so every weight is exactly representable in f32: BF16/F16 rounding is then the
    single f32 -> 16-bit rounding torch does) and cast to float64."""
    out = {}
    for name, shape in param_shapes(c).items():
        if name.endswith("norm.weight"):
            t = 1.0 + c.norm_noise * torch.randn(shape, generator=g)
        elif name.endswith(".bias"):
            t = c.bias_std * torch.randn(shape, generator=g)
        elif "embed_tokens" in name or name == "lm_head.weight":
            t = c.embed_std * torch.randn(shape, generator=g)
        else:
            t = c.matrix_std * torch.randn(shape, generator=g)
        out[name] = t.float().to(DT)
    return out


def rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope_tables(c, n):
    inv_freq = 1.0 / (c.theta ** (torch.arange(0, c.head_dim, 2, dtype=DT) / c.head_dim))
    ang = torch.outer(torch.arange(n, dtype=DT), inv_freq)
    emb = torch.cat((ang, ang), dim=-1)
    return emb.cos(), emb.sin()


def rope(x, cos, sin):  # x: (heads, T, hd)
    h = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., h:], x[..., :h]), dim=-1) * sin


def forward_seq(c, W, ids, collect=None):
    """One sequence (T,) -> logits (T, V); collect gets hidden_states.0..L and final_norm."""
    T = ids.shape[0]
    cos, sin = rope_tables(c, T)
    x = W["model.embed_tokens.weight"][ids]
    if collect is not None:
        collect.append(x)
    rep = c.heads // c.kv_heads
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)
    for l in range(c.layers):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], c.eps)
        q = F.linear(h, W[p + "self_attn.q_proj.weight"], W.get(p + "self_attn.q_proj.bias"))
        k = F.linear(h, W[p + "self_attn.k_proj.weight"], W.get(p + "self_attn.k_proj.bias"))
        v = F.linear(h, W[p + "self_attn.v_proj.weight"], W.get(p + "self_attn.v_proj.bias"))
        q = q.view(T, c.heads, c.head_dim).transpose(0, 1)
        k = k.view(T, c.kv_heads, c.head_dim).transpose(0, 1)
        v = v.view(T, c.kv_heads, c.head_dim).transpose(0, 1)
        if c.qk_norm:
            q = rms(q, W[p + "self_attn.q_norm.weight"], c.eps)
            k = rms(k, W[p + "self_attn.k_norm.weight"], c.eps)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        k = k.repeat_interleave(rep, dim=0)  # HF repeat_kv: head h uses kv head h // rep
        v = v.repeat_interleave(rep, dim=0)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(c.head_dim)
        s = s.masked_fill(causal, float("-inf"))
        a = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, c.heads * c.head_dim)
        x = x + F.linear(a, W[p + "self_attn.o_proj.weight"])
        h2 = rms(x, W[p + "post_attention_layernorm.weight"], c.eps)
        x = x + F.linear(F.silu(F.linear(h2, W[p + "mlp.gate_proj.weight"])) * F.linear(h2, W[p + "mlp.up_proj.weight"]),
                         W[p + "mlp.down_proj.weight"])
        if collect is not None:
            collect.append(x)
    hn = rms(x, W["model.norm.weight"], c.eps)
    if collect is not None:
        collect.append(hn)
    lm = W["model.embed_tokens.weight"] if c.tied else W["lm_head.weight"]
    return F.linear(hn, lm)


def batch_forward(c, W, ids, lengths, collect=None):
    """Per-row forward; returns logits (B, T, V) with zeros past each row's length."""
    B, T = ids.shape
    rows, per_row = [], []
    for b in range(B):
        col = [] if collect is not None else None
        lg = forward_seq(c, W, ids[b, :lengths[b]], col)
        rows.append(F.pad(lg, (0, 0, 0, T - lengths[b])))
        per_row.append(col)
    if collect is not None:
        n = len(per_row[0])
        for i in range(n):
            collect.append(torch.stack([F.pad(per_row[b][i], (0, 0, 0, T - lengths[b])) for b in range(B)]))
    return torch.stack(rows)


def completion_stats(c, logits, ids, plen, clen, C, temperature):
    """logps (B, C) of the completion tokens on logits / temperature, and entropy (B, C) of the same
    distributions; zeros past each row's completion."""
    B = ids.shape[0]
    lp_rows, ent_rows = [], []
    for b in range(B):
        P, n = plen[b], clen[b]
        z = logits[b, P - 1:P - 1 + n] / temperature
        logp_all = torch.log_softmax(z, dim=-1)
        tgt = ids[b, P:P + n]
        lp = logp_all.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
        ent = -(logp_all.exp() * logp_all).sum(-1)
        lp_rows.append(F.pad(lp, (0, C - n)))
        ent_rows.append(F.pad(ent, (0, C - n)))
    return torch.stack(lp_rows), torch.stack(ent_rows)


def grpo_loss(logp, ref_logp, adv, mask, beta):
    """TRL loss_type "grpo", num_iterations 1 (old = sg(logp)), GA 1."""
    ratio = torch.exp(logp - logp.detach())
    d = ref_logp - logp
    kl = torch.exp(d) - d - 1.0
    ptl = -ratio * adv.unsqueeze(1) + beta * kl
    loss = ((ptl * mask).sum(1) / mask.sum(1).clamp(min=1.0)).mean()
    return loss, kl, ptl


def nll_loss(logp, mask):
    ptl = -logp
    return (ptl * mask).sum() / mask.sum().clamp(min=1.0), ptl


# ----------------------------------------------------------------------------------------------
# HF config.json
# ----------------------------------------------------------------------------------------------
def hf_config(c, grpo):
    arch = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}[c.arch]
    d = {"architectures": [arch], "model_type": c.arch, "vocab_size": c.vocab, "hidden_size": c.d,
         "intermediate_size": c.ffn, "num_hidden_layers": c.layers, "num_attention_heads": c.heads,
         "num_key_value_heads": c.kv_heads, "head_dim": c.head_dim, "max_position_embeddings": 64,
         "rms_norm_eps": c.eps, "rope_theta": c.theta, "rope_scaling": None, "hidden_act": "silu",
         "tie_word_embeddings": c.tied, "torch_dtype": "float64", "bos_token_id": 1, "eos_token_id": 2}
    if c.arch == "qwen2":
        # real Qwen2 configs carry no attention_bias key: q/k/v biases are implied by model_type
        d.update(use_sliding_window=False, sliding_window=None, max_window_layers=c.layers, attention_dropout=0.0)
    else:
        d.update(attention_bias=c.bias, attention_dropout=0.0)
        if c.arch == "llama":
            d["mlp_bias"] = False
    d["grpo"] = grpo
    return d


# ----------------------------------------------------------------------------------------------
# one fixture
# ----------------------------------------------------------------------------------------------
def make_fixture(name, over, out_root):
    c = Cfg(name, over)
    out = os.path.join(out_root, name)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    g = torch.Generator().manual_seed(c.seed)
    W0 = init_params(c, g)
    ref_W = {k: (v.float() + c.ref_noise * torch.randn(v.shape, generator=g)).to(DT) for k, v in W0.items()}

    B = len(c.rows)
    plen = [r[0] for r in c.rows]
    clen = [r[1] for r in c.rows]
    mlen = [r[2] for r in c.rows]
    lengths = [p + n for p, n in zip(plen, clen)]
    T, C = max(lengths), max(clen)
    ids = torch.zeros(B, T, dtype=torch.int64)
    for b in range(B):
        # ids 0..2 are left to "pad/bos/eos" by the config; the random tokens use the whole vocab anyway
        ids[b, :lengths[b]] = torch.randint(0, c.vocab, (lengths[b],), generator=g)
    mask = torch.zeros(B, C, dtype=DT)
    for b in range(B):
        mask[b, :mlen[b]] = 1.0
    adv = torch.tensor(c.advantages, dtype=DT)
    temperature = c.temperature if c.loss == "grpo" else 1.0

    W = {k: v.clone().requires_grad_(True) for k, v in W0.items()}
    coll = []
    logits = batch_forward(c, W, ids, lengths, coll)
    logp, entropy = completion_stats(c, logits, ids, plen, clen, C, temperature)
    io = {"input_ids": ids, "lengths": torch.tensor(lengths, dtype=torch.int64),
          "prompt_lengths": torch.tensor(plen, dtype=torch.int64), "completion_mask": mask}
    summary = {}
    if c.loss == "grpo":
        with torch.no_grad():
            ref_logits = batch_forward(c, ref_W, ids, lengths)
            ref_logp, _ = completion_stats(c, ref_logits, ids, plen, clen, C, temperature)
        loss, kl, ptl = grpo_loss(logp, ref_logp, adv, mask, c.beta)
        io.update(advantages=adv, ref_logps=ref_logp, per_token_kl=kl.detach())
        summary["mean_kl_masked"] = ((kl * mask).sum() / mask.sum()).item()
    else:
        loss, ptl = nll_loss(logp, mask)
    loss.backward()
    grads = {k: v.grad.detach().clone() for k, v in W.items()}

    opt = torch.optim.AdamW(list(W.values()), lr=c.lr, betas=c.betas, eps=c.adam_eps, weight_decay=c.weight_decay)
    opt.step()
    W1 = {k: v.detach().clone() for k, v in W.items()}
    check_adamw(c, W0, grads, W1)

    cos, sin = rope_tables(c, T)
    io.update(logits=logits.detach(), logps=logp.detach(), entropy=entropy.detach(),
              per_token_loss=ptl.detach(), loss=loss.detach().reshape(1))
    L = c.layers
    for i in range(L + 1):
        io[f"hidden_states.{i}"] = coll[i].detach()
    io["final_norm"] = coll[L + 1].detach()
    io["rope_cos"], io["rope_sin"] = cos, sin

    files = {}
    if c.dtype_files:
        for tag, dt in (("bf16", torch.bfloat16), ("f16", torch.float16)):
            Wr = {k: v.float().to(dt) for k, v in W0.items()}  # exact f64 -> f32, then torch's RNE rounding
            files[f"weights.{tag}.safetensors"] = Wr
            with torch.no_grad():
                io[f"logits_{tag}"] = batch_forward(c, {k: v.to(DT) for k, v in Wr.items()}, ids, lengths)
        files["dtype_cases.safetensors"] = dtype_cases()

    meta = {"format": "pt", "fixture": name, "generator": "tools/oracle/engine_oracle.py"}
    save_safetensors(os.path.join(out, "weights.safetensors"), W0, meta)
    if c.loss == "grpo":
        save_safetensors(os.path.join(out, "ref_weights.safetensors"), ref_W, meta)
    save_safetensors(os.path.join(out, "grads.safetensors"), grads, meta)
    save_safetensors(os.path.join(out, "weights_after_adamw.safetensors"), W1, meta)
    save_safetensors(os.path.join(out, "io.safetensors"), io, meta)
    for fn, t in files.items():
        save_safetensors(os.path.join(out, fn), t, meta)

    grpo = {"loss": c.loss, "loss_type": "grpo" if c.loss == "grpo" else None,
            "beta": c.beta if c.loss == "grpo" else 0.0, "temperature": temperature,
            "num_iterations": 1, "old_logps": "detached current logps (ratio == 1)" if c.loss == "grpo" else None,
            "gradient_accumulation_steps": 1, "batch_size": B, "prompt_lengths": plen,
            "completion_lengths": clen, "loss_mask_lengths": mlen, "lengths": lengths,
            "advantages": c.advantages if c.loss == "grpo" else None,
            "optimizer": "AdamW", "lr": c.lr, "adam_betas": list(c.betas), "adam_eps": c.adam_eps,
            "weight_decay": c.weight_decay, "weight_decay_applies_to": "all parameters",
            "adam_state": "zero (first step, t = 1)", "seed": c.seed, "dtype": "float64",
            "init": {"embed_std": c.embed_std, "matrix_std": c.matrix_std, "bias_std": c.bias_std,
                     "norm": f"1 + {c.norm_noise} * N(0,1)", "ref": f"policy + {c.ref_noise} * N(0,1)",
                     "drawn_in": "float32"},
            "rope": "rotate_half (HF, non-interleaved), tables computed in float64"}
    dump_json(os.path.join(out, "config.json"), hf_config(c, grpo))
    summary.update({"loss": loss.item(), "mean_logp_masked": ((logp * mask).sum() / mask.sum()).item(),
                    "grad_global_norm": math.sqrt(sum(float((v ** 2).sum()) for v in grads.values())),
                    "n_params": sum(v.numel() for v in W0.values()), "torch": torch.__version__})
    dump_json(os.path.join(out, "summary.json"), summary)

    verify(c, out, ids, lengths, plen, clen, C, W0, grads, W1, io)
    if c.sharded:
        write_sharded(c, out_root, name + "-sharded", W0, meta)
    return out


def check_adamw(c, W0, grads, W1):
    """The documented closed form of one AdamW step from zero state must equal torch's result."""
    b1, b2 = c.betas
    for k in W0:
        g = grads[k]
        m_hat = ((1 - b1) * g) / (1 - b1)
        v_hat = ((1 - b2) * g * g) / (1 - b2)
        exp = W0[k] * (1 - c.lr * c.weight_decay) - c.lr * m_hat / (v_hat.sqrt() + c.adam_eps)
        err = (exp - W1[k]).abs().max().item()
        assert err < 1e-14, (k, err)


def verify(c, out, ids, lengths, plen, clen, C, W0, grads, W1, io):
    """Reload what was written and check it is bit-identical; re-run the forward from the file."""
    Wf = load_safetensors(os.path.join(out, "weights.safetensors"))
    assert all(torch.equal(Wf[k], W0[k]) for k in W0)
    Gf = load_safetensors(os.path.join(out, "grads.safetensors"))
    assert all(torch.equal(Gf[k], grads[k]) for k in grads)
    IOf = load_safetensors(os.path.join(out, "io.safetensors"))
    assert all(torch.equal(IOf[k], io[k]) for k in io)
    with torch.no_grad():
        lg = batch_forward(c, Wf, IOf["input_ids"], IOf["lengths"].tolist())
    assert torch.equal(lg, IOf["logits"])
    if c.dtype_files:
        for tag, dt in (("bf16", torch.bfloat16), ("f16", torch.float16)):
            Wr = load_safetensors(os.path.join(out, f"weights.{tag}.safetensors"))
            for k in W0:
                assert Wr[k].dtype == dt and torch.equal(Wr[k], W0[k].float().to(dt)), k


def dtype_cases():
    """Edge cases of f32 -> BF16 / F16 rounding: ties (to even), carries into the exponent, subnormals,
    overflow to inf, signed zero, NaN. src is F32; bf16/f16 are torch's conversions of it."""
    import struct as st
    bits = [0x00000000, 0x80000000, 0x3F800000, 0xBF800000,
            0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001,  # bf16 ties: 1+2^-8 (to even: down), 1+3*2^-8 (up)
            0x3FFF8000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000,
            0x00000001, 0x00800000, 0x007FFFFF, 0x3EAAAAAB, 0x40490FDB,
            0x3F801000, 0x3F803000, 0x33800000, 0x33000000, 0x33C00000, 0x387FC000,  # f16 ties/subnormals
            0x477FE000, 0x477FF000, 0x47800000, 0x38800000, 0xC2F6E979, 0x3DCCCCCD]
    src = torch.tensor([st.unpack("<f", st.pack("<I", b))[0] for b in bits], dtype=torch.float32)
    g = torch.Generator().manual_seed(99)
    src = torch.cat([src, torch.randn(34, generator=g) * torch.pow(10.0, torch.randint(-6, 5, (34,), generator=g).float())])
    return {"src": src, "bf16": src.to(torch.bfloat16), "f16": src.to(torch.float16)}


def write_sharded(c, out_root, name, W0, meta):
    """The policy weights split into two shards + model.safetensors.index.json, as HF save_pretrained does
    (embeddings and the first half of the layers in shard 1, the rest in shard 2)."""
    out = os.path.join(out_root, name)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    half = c.layers // 2
    s1, s2 = {}, {}
    for k, v in W0.items():
        first = k == "model.embed_tokens.weight" or (k.startswith("model.layers.") and int(k.split(".")[2]) < half)
        (s1 if first else s2)[k] = v
    f1, f2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    n1 = save_safetensors(os.path.join(out, f1), s1, {"format": "pt"})
    n2 = save_safetensors(os.path.join(out, f2), s2, {"format": "pt"})
    weight_map = {k: (f1 if k in s1 else f2) for k in sorted(W0)}
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": n1 + n2}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_root, c.name, "config.json")) as f:
        cfg = json.load(f)
    cfg.pop("grpo")
    dump_json(os.path.join(out, "config.json"), cfg)
    back = {**load_safetensors(os.path.join(out, f1)), **load_safetensors(os.path.join(out, f2))}
    assert set(back) == set(W0) and all(torch.equal(back[k], W0[k]) for k in W0)


def main():
    ap = argparse.ArgumentParser(description="float64 engine fixtures for grpo4j")
    ap.add_argument("--out", default="runtime/src/test/resources/oracle")
    ap.add_argument("--only", nargs="*", default=None, help="fixture names (default: all)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    for name, over in FIXTURES.items():
        if a.only and name not in a.only:
            continue
        d = make_fixture(name, over, a.out)
        s = json.load(open(os.path.join(d, "summary.json")))
        print(f"{name:20s} loss {s['loss']:.17g}  |grad| {s['grad_global_norm']:.6g}  params {s['n_params']}")


if __name__ == "__main__":
    main()
