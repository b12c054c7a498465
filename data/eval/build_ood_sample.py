"""Rebuild `ood_stackexchange.jsonl` from the shared Stack Exchange dump (run by hand; the
output is committed): 24 answers of Quantum Computing Stack Exchange as plain text, each with
the attribution CC BY-SA requires. Text the models never train on, to see whether DPO on
Reddit made them worse at other text.

    .venv/bin/python data/eval/build_ood_sample.py ../shared/data/stackexchange/quantumcomputing.stackexchange.com
"""

from __future__ import annotations

import html
import io
import json
import random
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import zstandard

SITE = "quantumcomputing.stackexchange.com"
SITE_NAME = "Quantum Computing Stack Exchange"
# Stack Exchange's licence change: content posted before it is CC BY-SA 3.0, after it 4.0.
LICENSE_CHANGE = "2018-05-02"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(body: str) -> str:
    parser = _Text()
    parser.feed(html.unescape(body))
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def rows(path: Path):
    with open(path, "rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8-sig")
        for _, element in ET.iterparse(text):
            if element.tag == "row":
                yield element.attrib


def main(folder: Path, out: Path, count: int = 24) -> None:
    users = {u["Id"]: u["DisplayName"] for u in rows(folder / "Users.xml.zst")}
    answers = [
        p
        for p in rows(folder / "Posts.xml.zst")
        if p["PostTypeId"] == "2" and int(p["Score"]) >= 3 and p.get("OwnerUserId") in users
    ]
    answers = [a for a in answers if 400 <= len(plain_text(a["Body"])) <= 1500]
    picked = sorted(random.Random(0).sample(answers, count), key=lambda a: int(a["Id"]))
    with open(out, "w") as fh:
        for answer in picked:
            fh.write(
                json.dumps(
                    {
                        "text": plain_text(answer["Body"]),
                        "site": SITE_NAME,
                        "url": f"https://{SITE}/a/{answer['Id']}",
                        "author": users[answer["OwnerUserId"]],
                        "author_url": f"https://{SITE}/users/{answer['OwnerUserId']}",
                        "license": "CC BY-SA 3.0" if answer["CreationDate"] < LICENSE_CHANGE else "CC BY-SA 4.0",
                        "created": answer["CreationDate"],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).with_name("ood_stackexchange.jsonl"))
