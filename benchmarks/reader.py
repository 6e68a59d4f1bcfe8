"""Reader speed: characters per second for extraction over the corpus repeated to >= 5 MB,
next to the cost of just decoding and normalising the same text (baseline, same run).

Budget (DESIGN.md): >= 1,000,000 characters per second per core for extraction.
Run: .venv/bin/python benchmarks/reader.py [--mb 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kechuang.reader.extract import extract
from kechuang.reader.load import LoadedDocument, decode_bytes, normalize

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SAMPLE = ("盐城晚报讯 2月5日,市委、市政府召开全市科技创新大会。市委书记周斌出席会议并讲话。\n\n"
          "去年高企总数达2338家,3家企业获评省独角兽企业,高新技术产业产值增速位列全省第一。\n\n"
          "今年力争新招引科技型企业100家,认定高新技术企业130家,引进高层次人才10人以上,"
          "技术合同交易额达3.9亿元,新增科创载体50万平方米,聚焦“5+2”战略性新兴产业和23条重点产业链。\n\n")


def sources() -> list[str]:
    files = sorted(CORPUS.glob("*.txt")) if CORPUS.exists() else []
    return [f.read_text(encoding="utf-8") for f in files] or [SAMPLE * 20]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=5.0)
    args = ap.parse_args()
    docs = sources()
    target = int(args.mb * 1_000_000)
    # repeat each document as a whole (sections and years stay document-local)
    texts, total = [], 0
    while total < target:
        for t in docs:
            texts.append(t)
            total += len(t)
    raw = [t.encode("utf-8") for t in texts]

    t0 = time.perf_counter()
    normalised = [normalize(decode_bytes(b)[0]) for b in raw]
    t_read = time.perf_counter() - t0
    chars = sum(len(t) for t in normalised)

    t0 = time.perf_counter()
    n = 0
    for i, text in enumerate(normalised):
        doc = LoadedDocument(filename=f"{i}.txt", text=text, checksum="")
        n += len(extract(doc, ("quantities",)).quantities)
    t_extract = time.perf_counter() - t0

    read_rate = chars / t_read
    rate = chars / t_extract
    print(f"documents {len(texts)}  characters {chars:,}  statements {n:,}")
    print(f"read+normalise  {read_rate:>14,.0f} chars/s")
    print(f"extraction      {rate:>14,.0f} chars/s  (x{t_extract / t_read:.1f} the cost of reading)")
    print(f"budget          {1_000_000:>14,} chars/s per core -> {'OK' if rate >= 1_000_000 else 'BELOW BUDGET'}")


if __name__ == "__main__":
    main()
