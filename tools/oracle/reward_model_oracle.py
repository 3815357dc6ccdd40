#!/usr/bin/python3
"""reward_model_oracle.py -- float64 PyTorch fixtures for Hugging Face sequence-classification reward models.

A `Qwen2ForSequenceClassification` / `LlamaForSequenceClassification` folder is the decoder (same tensors as
the causal LM, without lm_head) plus `score.weight` of shape (num_labels, hidden). TRL's reward is
logits[:, 0], the score head applied to the final-norm hidden state at the last non-pad token of each row:
HF takes the rightmost position whose token is not pad_token_id (position 0 when every token is pad).

The decoder is engine_oracle.py's float64 model (which mirrors HF's layer code); the score head is one
matrix-vector product, written here. Rows are padded on the right with pad_token_id, as TRL's tokenizer
call does; a row may also END with pad tokens inside its text (Qwen's <|endoftext|> is both EOS and pad),
which HF then skips -- the fixture has such a row.

Run:   /usr/bin/python3 tools/oracle/reward_model_oracle.py --out dsl/src/test/resources/oracle/reward-model
Writes per fixture: config.json, model.safetensors (float32 weights), expected.json
  {"input_ids": [[...]] (padded), "pad_token_id": p, "last_index": [...], "rewards": [...]}
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_oracle import Cfg, forward_seq, hf_config, init_params  # noqa: E402
from oracle_io import dump_json, load_safetensors, save_safetensors  # noqa: E402

DT = torch.float64
PAD = 0
FIXTURES = {
    "qwen2-rm": dict(seed=21, arch="qwen2", bias=True, tied=False, theta=1000000.0, eps=1e-6),
    "llama-rm": dict(seed=22, arch="llama", tied=False),
}
ROWS = [[5, 9, 3, 17, 2], [7, 7, 30, 1, 4, 11, 25, 6], [12, 3, 8, PAD, PAD], [19]]


def make(name, over, out_root):
    c = Cfg(name, over)
    g = torch.Generator().manual_seed(c.seed)
    W = init_params(c, g)  # f32-representable values in float64
    score = (0.5 * torch.randn((1, c.d), generator=g)).float().to(DT)
    T = max(len(r) for r in ROWS)
    ids = torch.full((len(ROWS), T), PAD, dtype=torch.long)
    for b, r in enumerate(ROWS):
        ids[b, :len(r)] = torch.tensor(r)
    rewards, last = [], []
    for b in range(len(ROWS)):
        non_pad = (ids[b] != PAD).long()
        j = int((torch.arange(T) * non_pad).argmax())  # HF: rightmost non-pad token
        collect = []
        forward_seq(c, W, ids[b, :T], collect)  # right padding is causal-masked away from position j
        hn = collect[-1]
        rewards.append(float((hn[j] @ score[0]).item()))
        last.append(j)
    out = os.path.join(out_root, name)
    os.makedirs(out, exist_ok=True)
    cfg = hf_config(c, None)
    del cfg["grpo"]
    cfg["architectures"] = [{"qwen2": "Qwen2ForSequenceClassification", "llama": "LlamaForSequenceClassification"}[c.arch]]
    cfg.update(num_labels=1, id2label={"0": "LABEL_0"}, label2id={"LABEL_0": 0}, pad_token_id=PAD, torch_dtype="float32")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    tensors = {k: v.float() for k, v in W.items()}
    tensors["score.weight"] = score.float()
    save_safetensors(os.path.join(out, "model.safetensors"), tensors)
    back = load_safetensors(os.path.join(out, "model.safetensors"))
    assert all(torch.equal(torch.as_tensor(back[k]).to(DT), tensors[k].to(DT)) for k in tensors), "round trip"
    dump_json(os.path.join(out, "expected.json"), {"input_ids": ids.tolist(), "pad_token_id": PAD, "last_index": last, "rewards": rewards})
    return rewards


def main():
    ap = argparse.ArgumentParser(description="sequence-classification reward model fixtures")
    ap.add_argument("--out", default="dsl/src/test/resources/oracle/reward-model")
    a = ap.parse_args()
    torch.set_num_threads(1)
    for name, over in FIXTURES.items():
        print(name, make(name, over, a.out))


if __name__ == "__main__":
    main()
