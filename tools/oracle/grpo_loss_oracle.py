#!/usr/bin/python3
"""grpo_loss_oracle.py -- float64 cases of TRL's GRPO loss for every loss_type (grpo, bnpo, dr_grpo, dapo,
cispo, sapo), token- and sequence-level importance sampling, beta 0 / 0.04, clipping inactive
(old == logp) / active (|logp - old| up to 0.5), epsilon_high, delta, gradient accumulation,
max_completion_length and num_items_in_batch.

Run:   /usr/bin/python3 tools/oracle/grpo_loss_oracle.py --out runtime/src/test/resources/oracle/grpo-loss
Writes cases.json: every number is a float64 printed with Python's repr (exact round trip).

The loss follows TRL GRPOTrainer._compute_loss (docs/grpo-semantics.md, "Per-token loss" and
"Aggregation"); tools/oracle/README.md states each formula, its stop-gradients and its denominators.
The gradient d loss / d logp is torch autograd of trl_loss() below.
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import dump_json  # noqa: E402

DT = torch.float64
LOSS_TYPES = ["grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo"]


def trl_loss(logp, old, ref, adv, mask, s):
    """Returns loss, per_token_loss (B, T) before masking, importance weights (B, T) before any
    clamp, metrics. logp requires grad; old/ref/adv/mask are constants."""
    log_ratio = logp - old
    if s["importance_sampling_level"] == "token":
        liw = log_ratio
    else:  # GSPO: one weight per sequence, the masked mean of the token log-ratios
        liw = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
    coef_1 = torch.exp(liw)
    w_raw = coef_1
    beta = s["beta"]
    if beta != 0.0:
        d = ref - logp
        per_token_kl = torch.exp(d) - d - 1.0
    A = adv.unsqueeze(1)
    lt = s["loss_type"]
    eps_low, eps_high = s["epsilon"], s["epsilon_high"]
    if lt == "cispo":
        clamped = torch.clamp(coef_1, max=eps_high).detach()
        ptl = -clamped * A * logp
    elif lt in ("grpo", "bnpo", "dr_grpo", "dapo"):
        coef_2 = torch.clamp(coef_1, 1 - eps_low, 1 + eps_high)
        if s["delta"] is not None:
            coef_1 = torch.clamp(coef_1, max=s["delta"])  # TRL reassigns coef_1: the clip metrics see this
        ptl = -torch.min(coef_1 * A, coef_2 * A)
    elif lt == "sapo":
        tau = torch.where(A > 0, torch.tensor(s["sapo_temperature_pos"], dtype=DT),
                          torch.tensor(s["sapo_temperature_neg"], dtype=DT))
        ptl = -(torch.sigmoid(tau * (coef_1 - 1)) * 4 / tau) * A
    else:
        raise ValueError(lt)
    if beta != 0.0:
        ptl = ptl + beta * per_token_kl
    ptl = ptl.expand_as(logp)  # sequence level: the same policy term on every token of the row

    GA = s["gradient_accumulation_steps"]
    if lt in ("grpo", "sapo"):
        loss = ((ptl * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean() / GA
    elif lt == "bnpo":
        loss = (ptl * mask).sum() / mask.sum().clamp(min=1.0) / GA
    elif lt == "dr_grpo":
        loss = (ptl * mask).sum() / (ptl.size(0) * s["max_completion_length"]) / GA
    else:  # dapo, cispo: normalised by the active tokens of the whole generation batch, no / GA
        loss = (ptl * mask).sum() / s["num_items_in_batch"]

    tokens = mask.sum().clamp(min=1.0)

    def masked_batch_mean(x):
        if x.shape[1] == 1:  # sequence level: plain mean over rows (rows with an empty mask included)
            return x.mean()
        return (x * mask).sum() / tokens

    metrics = {}
    with torch.no_grad():
        if beta != 0.0:
            metrics["kl"] = masked_batch_mean(per_token_kl).item()
        if lt in ("grpo", "bnpo", "dr_grpo", "dapo"):
            low = (coef_1 < 1 - eps_low) & (A < 0)
            high = (coef_1 > 1 + eps_high) & (A > 0)
            metrics["clip_ratio/low_mean"] = masked_batch_mean(low.to(DT)).item()
            metrics["clip_ratio/high_mean"] = masked_batch_mean(high.to(DT)).item()
            metrics["clip_ratio/region_mean"] = masked_batch_mean((low | high).to(DT)).item()
        elif lt == "cispo":
            metrics["cispo_clip_ratio"] = masked_batch_mean(((coef_1 > eps_high) & (A > 0)).to(DT)).item()
    return loss, ptl, w_raw.expand_as(logp), metrics


def by_formula(s, inp):
    """The README's closed forms in plain Python floats (no autograd): loss and d loss / d logp.
    Checked against trl_loss() for every case, so the document the Java code follows is the oracle."""
    logp, old, mask, adv = inp["logp"], inp["old_logp"], inp["mask"], inp["advantages"]
    ref = inp["ref_logp"]
    B, T = len(logp), len(logp[0])
    lt, beta, GA = s["loss_type"], s["beta"], s["gradient_accumulation_steps"]
    lo, hi, delta = 1 - s["epsilon"], 1 + s["epsilon_high"], s["delta"]
    n_b = [max(1.0, sum(mask[b])) for b in range(B)]
    n_all = max(1.0, sum(map(sum, mask)))

    def alpha(b):  # weight of one masked token's loss in the total
        if lt in ("grpo", "sapo"):
            return 1.0 / (B * n_b[b] * GA)
        if lt == "bnpo":
            return 1.0 / (n_all * GA)
        if lt == "dr_grpo":
            return 1.0 / (B * s["max_completion_length"] * GA)
        return 1.0 / s["num_items_in_batch"]

    def policy(w, a, lp):
        """policy term and its derivative with respect to the ratio w (cispo: to logp, w is constant)"""
        if lt == "cispo":
            cap = min(w, s["epsilon_high"])
            return -cap * a * lp, -cap * a
        if lt == "sapo":
            tau = s["sapo_temperature_pos"] if a > 0 else s["sapo_temperature_neg"]
            sig = 1.0 / (1.0 + math.exp(-tau * (w - 1)))
            return -(4.0 / tau) * sig * a, -4.0 * sig * (1 - sig) * a
        c = min(max(w, lo), hi)
        dc = 1.0 if lo <= w <= hi else 0.0
        u, du = (w, 1.0) if delta is None or w <= delta else (delta, 0.0)
        if u * a < c * a:
            return -u * a, -a * du
        if u * a > c * a:
            return -c * a, -a * dc
        return -u * a, -a * (du + dc) / 2  # tie: torch.minimum splits the gradient

    loss, grad = 0.0, [[0.0] * T for _ in range(B)]
    for b in range(B):
        a = adv[b]
        sw = sum(mask[b][t] * (logp[b][t] - old[b][t]) for t in range(T)) / n_b[b]
        for t in range(T):
            if beta != 0.0:
                dref = ref[b][t] - logp[b][t]
                kl, dkl = math.exp(dref) - dref - 1, 1 - math.exp(dref)
            else:
                kl = dkl = 0.0
            if s["importance_sampling_level"] == "token":
                w = math.exp(logp[b][t] - old[b][t])
                p, dp = policy(w, a, logp[b][t])
                if lt != "cispo":
                    dp *= w  # d w / d logp = w
                grad[b][t] += alpha(b) * mask[b][t] * (dp + beta * dkl)
            else:
                w = math.exp(sw)
                p, dp = policy(w, a, logp[b][t])
                if lt == "cispo":
                    grad[b][t] += alpha(b) * mask[b][t] * (dp + beta * dkl)
                else:  # every token's term depends on w_b = exp(mean masked log-ratio of the row)
                    grad[b][t] += alpha(b) * mask[b][t] * beta * dkl
                    for t2 in range(T):
                        grad[b][t2] += alpha(b) * mask[b][t] * dp * w * mask[b][t2] / n_b[b]
            loss += alpha(b) * mask[b][t] * (p + beta * kl)
    return loss, grad


def settings(lt, level, beta, **over):
    s = dict(loss_type=lt, importance_sampling_level=level, beta=beta, epsilon=0.2,
             epsilon_high=0.28 if lt == "dapo" else (1.2 if lt == "cispo" else 0.2), delta=None,
             sapo_temperature_pos=1.0, sapo_temperature_neg=1.05, gradient_accumulation_steps=1,
             max_completion_length=None, num_items_in_batch=None)
    s.update(over)
    return s


MASKS = [
    # full row, short row, EOS-truncated row, row removed from the loss (mask_truncated_completions)
    [[1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0]],
    [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]],
    [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0], [1, 1, 0, 0, 0, 0]],
]


def make_inputs(g, mask_rows, active):
    mask = torch.tensor(mask_rows, dtype=DT)
    B, T = mask.shape
    logp = -(0.05 + 4.0 * torch.rand(B, T, generator=g, dtype=DT))
    if active:
        # a per-row shift (so that sequence-level weights get clipped too) plus per-token noise:
        # |logp - old| < 0.3 + 0.2 = 0.5
        shift = 0.6 * (torch.rand(B, 1, generator=g, dtype=DT) - 0.5)
        old = logp + shift + 0.4 * (torch.rand(B, T, generator=g, dtype=DT) - 0.5)
    else:
        old = logp.clone()  # num_iterations == 1: old == current, every ratio exactly 1
    ref = logp + 0.6 * (torch.rand(B, T, generator=g, dtype=DT) - 0.5)
    adv = torch.randn(B, generator=g, dtype=DT)
    adv[1] = -abs(adv[1]) - 0.1  # at least one negative and one positive advantage per case
    adv[0] = abs(adv[0]) + 0.1
    if B > 3:
        adv[3] = 0.0  # a zero advantage (e.g. a group whose rewards are all equal)
    return logp, old, ref, adv, mask


def build_cases(seed):
    g = torch.Generator().manual_seed(seed)
    cases = []
    k = 0

    def add(name, s, active, mask_idx, require_clip=True):
        nonlocal k
        mask_rows = MASKS[mask_idx]
        T = len(mask_rows[0])
        if s["max_completion_length"] is None:
            s["max_completion_length"] = T
        if s["num_items_in_batch"] is None:
            s["num_items_in_batch"] = float(sum(map(sum, mask_rows))) * s["gradient_accumulation_steps"]
        # "clip-active" cases are re-drawn until clipping (and delta, where set) changes the loss
        without = []
        if active and require_clip and s["loss_type"] in ("grpo", "bnpo", "dr_grpo", "dapo", "cispo"):
            without.append(dict(epsilon=1e9, epsilon_high=1e9, delta=None))
        if s["delta"] is not None:
            without.append(dict(delta=None))
        for attempt in range(1000):
            logp, old, ref, adv, mask = make_inputs(g, mask_rows, active)
            inp = {"logp": logp.tolist(), "old_logp": old.tolist(), "ref_logp": ref.tolist(),
                   "advantages": adv.tolist(), "mask": mask.tolist()}
            base, _ = by_formula(s, inp)
            if all(abs(by_formula({**s, **o}, inp)[0] - base) > 1e-4 for o in without):
                break
        else:
            raise RuntimeError(f"{name}: no input draw where clipping matters")
        lp = logp.clone().requires_grad_(True)
        loss, ptl, w, metrics = trl_loss(lp, old, ref if s["beta"] != 0.0 else None, adv, mask, s)
        loss.backward()
        inp = {"logp": logp.tolist(), "old_logp": old.tolist(), "ref_logp": ref.tolist() if s["beta"] != 0.0 else None,
               "advantages": adv.tolist(), "mask": mask.tolist()}
        f_loss, f_grad = by_formula(s, inp)
        scale = max(1e-3, lp.grad.abs().max().item())
        g_err = max(abs(x - y) for rx, ry in zip(f_grad, lp.grad.tolist()) for x, y in zip(rx, ry)) / scale
        assert abs(f_loss - loss.item()) < 1e-13 * max(1.0, abs(f_loss)) and g_err < 1e-13, (name, f_loss, loss.item(), g_err)
        cases.append({
            "name": name,
            "settings": s,
            "inputs": {"logp": logp.tolist(), "old_logp": old.tolist(),
                       "ref_logp": ref.tolist() if s["beta"] != 0.0 else None,
                       "advantages": adv.tolist(), "mask": mask.tolist()},
            "outputs": {"loss": loss.item(), "grad_logp": lp.grad.tolist(),
                        "per_token_loss": ptl.detach().tolist(), "importance_weight": w.detach().tolist(),
                        "metrics": metrics},
        })
        k += 1

    # the full grid: loss_type x level x beta x clipping
    for lt in LOSS_TYPES:
        for level in ("token", "sequence"):
            for beta in (0.0, 0.04):
                for active in (False, True):
                    name = f"{lt}/{level}/beta={beta}/{'clip-active' if active else 'ratio-1'}"
                    add(name, settings(lt, level, beta), active, (k % len(MASKS)))
    # variants
    add("grpo/token/epsilon_high=0.28", settings("grpo", "token", 0.04, epsilon_high=0.28), True, 0)
    add("grpo/token/delta=1.3", settings("grpo", "token", 0.0, delta=1.3), True, 2)
    add("grpo/token/delta=1.1<1+epsilon_high", settings("grpo", "token", 0.04, delta=1.1, epsilon_high=0.28), True, 0)
    add("dapo/sequence/delta=1.15", settings("dapo", "sequence", 0.04, delta=1.15), True, 2)
    add("bnpo/token/delta=1.4", settings("bnpo", "token", 0.0, delta=1.4), True, 1)
    add("grpo/token/GA=2", settings("grpo", "token", 0.04, gradient_accumulation_steps=2), True, 0)
    add("bnpo/token/GA=4", settings("bnpo", "token", 0.04, gradient_accumulation_steps=4), True, 2)
    add("sapo/token/GA=2", settings("sapo", "token", 0.0, gradient_accumulation_steps=2), True, 1)
    add("dr_grpo/token/L=10/GA=2", settings("dr_grpo", "token", 0.04, max_completion_length=10,
                                            gradient_accumulation_steps=2), True, 0)
    add("dr_grpo/sequence/L=16", settings("dr_grpo", "sequence", 0.0, max_completion_length=16), True, 2)
    add("dapo/token/num_items=37/GA=3", settings("dapo", "token", 0.04, num_items_in_batch=37.0,
                                                 gradient_accumulation_steps=3), True, 0)
    add("dapo/token/epsilon=epsilon_high=0.2", settings("dapo", "token", 0.0, epsilon_high=0.2), True, 1)
    add("cispo/token/num_items=50", settings("cispo", "token", 0.04, num_items_in_batch=50.0), True, 2)
    add("cispo/token/epsilon_high=5.0", settings("cispo", "token", 0.0, epsilon_high=5.0), True, 0,
        require_clip=False)  # the cap is never reached: plain -w*A*logp
    add("cispo/sequence/epsilon_high=1.05", settings("cispo", "sequence", 0.04, epsilon_high=1.05), True, 1)
    add("sapo/token/tau_pos=0.5/tau_neg=2.0", settings("sapo", "token", 0.04, sapo_temperature_pos=0.5,
                                                       sapo_temperature_neg=2.0), True, 0)
    add("sapo/sequence/GA=2", settings("sapo", "sequence", 0.04, gradient_accumulation_steps=2), True, 2)
    return cases


def main():
    ap = argparse.ArgumentParser(description="GRPO loss cases for grpo4j")
    ap.add_argument("--out", default="runtime/src/test/resources/oracle/grpo-loss")
    ap.add_argument("--seed", type=int, default=4242)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cases = build_cases(a.seed)
    doc = {
        "description": "TRL GRPOTrainer._compute_loss in float64, one process; see tools/oracle/README.md "
                       "(GRPO loss cases) for the formulas. grad_logp = d loss / d logp (autograd).",
        "generator": "tools/oracle/grpo_loss_oracle.py --seed %d" % a.seed,
        "torch": torch.__version__,
        "cases": cases,
    }
    path = os.path.join(a.out, "cases.json")
    dump_json(path, doc)
    import json
    back = json.load(open(path))
    assert back["cases"][5]["outputs"]["grad_logp"] == cases[5]["outputs"]["grad_logp"]  # exact round trip
    print(f"wrote {len(cases)} cases to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
