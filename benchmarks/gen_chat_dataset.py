"""Generate a large, realistic chat SFT JSONL file for benchmarks (written to a temp dir, never committed).

Text comes from the real sample datasets in ../shared/fixtures/foundry-samples (split into sentences), so the
tokenizer sees real English, maths, legal text and some French, not random letters. Examples mix what real
datasets hold: a system prompt from a small pool, one to three user/assistant turns, ~8 % tool-calling
examples with `tools`, ~5 % multi-turn examples with `weight: 0` on an earlier assistant turn, and ~0.1 %
very long examples (40-90 kB; those over 64 kB, ~1 % of the bytes, take the exact count path). Lines are
written with json.dumps defaults, like the sample files. Average line: ~2 kB.

    python benchmarks/gen_chat_dataset.py OUT.jsonl --mb 200
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "fixtures" / "foundry-samples"

SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "Reply user's question as accurately as possible.",
    "You are an expert financial analyst. Answer concisely and cite the figures you use.",
    "You are a customer support agent for Contoso Electronics. Be polite, precise and brief.",
    "You are a legal assistant. Quote the exact clause when you can and never invent text.",
    "You are a math tutor. Show your reasoning step by step and give the final answer on its own line.",
    "Don't make assumptions about what values to plug into functions. Ask for clarification if needed.",
    "You are a travel planner. Suggest itineraries with times, costs and alternatives.",
    "You are a sarcastic assistant who still gives correct answers.",
    "You translate between English and French, keeping names and numbers unchanged.",
    "Summarise the user's text in at most three sentences.",
    "You are a senior Python reviewer. Point out bugs first, style last.",
]

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_stock_price",
            "description": "Get the current stock price",
            "parameters": {
                "type": "object",
                "properties": {"symbol": {"type": "string", "description": "The stock symbol"}},
                "required": ["symbol"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather forecast for a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer", "minimum": 1, "maximum": 10},
                },
                "required": ["city"],
            },
        },
    },
]

_FALLBACK_WORDS = (
    *("the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "on", "by", "this", "from"),
    *("data", "model", "training", "example", "answer", "question", "value", "number", "result", "report"),
    *("contract", "clause", "party", "agreement", "price", "market", "stock", "city", "weather", "total"),
)


def corpus_sentences(limit: int = 60_000) -> list[str]:
    """Sentences from the sample datasets' message texts (or synthetic ones if the samples are absent)."""
    out: list[str] = []
    if SAMPLES.is_dir():
        for path in sorted(SAMPLES.rglob("*.jsonl")):
            for line in path.read_text("utf-8").splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                for text in _texts(row):
                    out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 8 <= len(s.strip()) <= 600)
                if len(out) >= limit:
                    break
    if len(out) < 1000:
        rng = random.Random(1)
        out = [" ".join(rng.choice(_FALLBACK_WORDS) for _ in range(rng.randint(6, 30))) + "." for _ in range(20000)]
    return out


def _texts(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


class Generator:
    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.sentences = corpus_sentences()

    def text(self, lo: int, hi: int) -> str:
        rng = self.rng
        return " ".join(rng.choice(self.sentences) for _ in range(rng.randint(lo, hi)))

    def example(self) -> dict[str, object]:
        rng = self.rng
        roll = rng.random()
        msgs: list[dict[str, object]] = []
        if rng.random() < 0.9:
            msgs.append({"role": "system", "content": rng.choice(SYSTEM_PROMPTS)})
        if roll < 0.08:
            city = rng.choice(["Paris", "Oslo", "Lima", "Pune", "Austin"])
            msgs.append({"role": "user", "content": f"What's the weather in {city}? " + self.text(0, 2)})
            msgs.append(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": json.dumps({"city": city, "days": 3})},
                        }
                    ],
                }
            )
            msgs.append({"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"temp_c": 21})})
            msgs.append({"role": "assistant", "content": self.text(1, 4)})
            return {"messages": msgs, "tools": TOOLS}
        if roll < 0.081:  # a very long document task
            msgs.append({"role": "user", "content": "Summarise this document: " + self.text(250, 600)})
            msgs.append({"role": "assistant", "content": self.text(3, 8)})
            return {"messages": msgs}
        turns = rng.choice((1, 1, 1, 2, 2, 3))
        weighted = turns > 1 and rng.random() < 0.15
        for t in range(turns):
            msgs.append({"role": "user", "content": self.text(1, 6)})
            m: dict[str, object] = {"role": "assistant", "content": self.text(2, 10)}
            if weighted and t == 0:
                m["weight"] = 0
            msgs.append(m)
        return {"messages": msgs}


def generate(path: Path, size_bytes: int, seed: int = 0) -> int:
    """Write examples until the file reaches `size_bytes`; return the number of lines."""
    gen = Generator(seed)
    n = written = 0
    with path.open("w", encoding="utf-8") as fh:
        buf: list[str] = []
        while written < size_bytes:
            line = json.dumps(gen.example()) + "\n"
            buf.append(line)
            written += len(line.encode("utf-8")) if not line.isascii() else len(line)
            n += 1
            if len(buf) >= 2000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--mb", type=float, default=200)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    n = generate(a.out, int(a.mb * 1_000_000), a.seed)
    print(f"wrote {n:,} lines, {a.out.stat().st_size / 1e6:.1f} MB to {a.out}")


if __name__ == "__main__":
    main()
