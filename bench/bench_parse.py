"""Time core.mail.mime.parse_mail on a realistic mix of mail, on one core and on a 2-process pool.

The mix follows the ingest issue: 70% plain text of 2-8 KB, 20% multipart/alternative of
10-40 KB, 10% with a 100-500 KB attachment; subjects and names are RFC 2047 encoded.
Mails are generated in memory with a fixed seed, so runs are comparable.

    .venv/bin/python bench/bench_parse.py [--count 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.mail.mime import parse_mail

TARGET_MAILS = 20_000
WORDS = [
    "invoice",
    "order",
    "delivery",
    "refund",
    "account",
    "password",
    "bonjour",
    "merci",
    "facture",
    "livraison",
    "Grüße",
    "Rechnung",
    "café",
    "naïve",
    "commande",
    "réunion",
    "über",
    "straße",
    "請求書",
    "注文",
    "お問い合わせ",
    "please",
    "could",
    "you",
    "check",
    "the",
    "attached",
    "thanks",
    "regards",
    "team",
    "support",
    "ticket",
    "update",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _paragraphs(rng: random.Random, size: int) -> str:
    out: list[str] = []
    total = 0
    while total < size:
        line = _sentence(rng, rng.randint(6, 14))
        out.append(line)
        total += len(line.encode()) + 1
    return "\n".join(out) + "\n"


def _base(rng: random.Random, number: int) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = f"Re: {_sentence(rng, rng.randint(3, 8))} #{number}"  # non-ASCII words get encoded
    msg["From"] = f"Clïent {number % 300} <client{number % 300}@example.org>"
    msg["To"] = "Support <support@comptoir.example>"
    if rng.random() < 0.3:
        msg["Cc"] = "Ana Müller <ana@example.de>, bob@example.com"
    msg["Date"] = f"Tue, {1 + number % 28:02d} Nov 2023 {number % 24:02d}:30:00 +0100"
    msg["Message-ID"] = f"<bench-{number}@example.org>"
    if number % 3:
        msg["In-Reply-To"] = f"<bench-{number - 1}@example.org>"
        msg["References"] = " ".join(f"<bench-{i}@example.org>" for i in range(max(0, number - 5), number))
    return msg


def generate(count: int, seed: int = 20231114) -> list[bytes]:
    """`count` raw mails in the issue's mix."""
    rng = random.Random(seed)
    mails: list[bytes] = []
    for number in range(count):
        kind = rng.random()
        msg = _base(rng, number)
        if kind < 0.70:
            msg.set_content(_paragraphs(rng, rng.randint(2_000, 8_000)))
        elif kind < 0.90:
            text = _paragraphs(rng, rng.randint(4_000, 15_000))
            msg.set_content(text)
            html = "".join(f'<p style="margin:0">{line}</p>\n' for line in text.splitlines())
            msg.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
        else:
            msg.set_content(_paragraphs(rng, rng.randint(1_000, 4_000)))
            size = rng.randint(100_000, 500_000)
            msg.add_attachment(
                rng.randbytes(size), maintype="application", subtype="pdf", filename=f"facture-{number}.pdf"
            )
        mails.append(msg.as_bytes())
    return mails


def _parse_chunk(chunk: list[bytes]) -> int:
    return sum(len(parse_mail(raw).text) for raw in chunk)


def bench_single(mails: list[bytes]) -> tuple[float, list[float]]:
    per_mail: list[float] = []
    start = time.perf_counter()
    for raw in mails:
        t0 = time.perf_counter()
        parse_mail(raw)
        per_mail.append(time.perf_counter() - t0)
    return time.perf_counter() - start, per_mail


def bench_pool(mails: list[bytes], workers: int) -> float:
    chunks = [mails[i : i + 50] for i in range(0, len(mails), 50)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_parse_chunk, chunks[:workers]))  # start the workers and import before timing
        start = time.perf_counter()
        list(pool.map(_parse_chunk, chunks))
        return time.perf_counter() - start


def report(label: str, seconds: float, count: int) -> None:
    per_mail_ms = seconds / count * 1000
    print(
        f"{label:<22} {per_mail_ms:7.3f} ms/mail  {count / seconds:9.0f} mails/s  "
        f"20,000 mails in {seconds / count * TARGET_MAILS:6.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    mails = generate(args.count)
    total_mb = sum(map(len, mails)) / 1e6
    print(
        f"generated {len(mails)} mails, {total_mb:.1f} MB, in {time.perf_counter() - started:.1f} s "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )

    parse_mail(mails[0])  # warm imports and caches
    seconds, per_mail = bench_single(mails)
    report("1 core", seconds, len(mails))
    cuts = statistics.quantiles(per_mail, n=100)
    print(
        f"{'':<22} per mail: median {cuts[49] * 1000:.3f} ms, p99 {cuts[98] * 1000:.3f} ms, "
        f"max {max(per_mail) * 1000:.3f} ms"
    )
    pool_seconds = bench_pool(mails, args.workers)
    report(f"{args.workers}-process pool", pool_seconds, len(mails))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
