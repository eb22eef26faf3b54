"""Re-create fontgen/assets/gb2312_frequency.txt: the 6,763 GB2312 hanzi, most frequent first.

The counts come from the word list of jieba 0.42.1 (PyPI, MIT licence), `jieba/dict.txt`: each line
is a word and how often it occurs in jieba's segmented corpus. Every character token of that corpus
belongs to exactly one word token, so a character's count is the sum over the words that contain it
of the word's count times the times it appears in the word. Hanzi the list never contains follow in
GB2312 order. `fontgen make-font --web` orders its unicode-range chunks by this file.

    pip download jieba==0.42.1 --no-deps -d /tmp/jieba && tar xzf /tmp/jieba/jieba-0.42.1.tar.gz -C /tmp/jieba
    python scripts/char_frequency.py /tmp/jieba/jieba-0.42.1/jieba/dict.txt
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from fontgen import charsets

OUT = Path(__file__).resolve().parent.parent / "fontgen" / "assets" / "gb2312_frequency.txt"
PER_LINE = 50


def character_counts(dict_txt: Path) -> Counter:
    counts: Counter = Counter()
    for line in dict_txt.read_text(encoding="utf-8").splitlines():
        word, count = line.split()[:2]
        for ch in word:
            counts[ch] += int(count)
    return counts


def main(dict_txt: str) -> None:
    counts = character_counts(Path(dict_txt))
    hanzi = charsets.resolve("gb2312")
    order = sorted(hanzi, key=lambda c: -counts[c])  # stable: uncounted hanzi keep GB2312 order
    unseen = sum(1 for c in hanzi if not counts[c])
    header = [
        "# GB2312 hanzi, most frequent first (scripts/char_frequency.py).",
        "# Counts: jieba 0.42.1 dict.txt (PyPI, MIT): a character's count is the sum of the counts of the",
        f"# words containing it; the last {unseen} never occur there and follow in GB2312 order.",
    ]
    lines = ["".join(order[i:i + PER_LINE]) for i in range(0, len(order), PER_LINE)]
    OUT.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(order)} hanzi, {unseen} not in the word list")


if __name__ == "__main__":
    main(sys.argv[1])
