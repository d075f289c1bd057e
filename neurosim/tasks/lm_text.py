"""`lm-text`: real English that ships inside an installed package, so nothing is downloaded.

Corpora (param `corpus`):
- `pydoc`: the standard library's `pydoc_data.topics`, the text of `help()` topics (always
  present; Python Software Foundation Licence). One document per topic.
- `wikipedia`: the shortened English Wikipedia dump gensim ships as test data
  (`gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2`,
  ~6 MB of XML; the text is Wikipedia's, CC BY-SA 3.0 with attribution to its authors; the file
  itself states no licence, gensim is LGPL-2.1). One document per article (namespace 0, redirects
  skipped). Needs the `text` extra (`pip install neurosim[text]`). Markup is stripped with
  gensim's own `gensim.corpora.wikicorpus.filter_wiki` (pure regexes, works offline: templates,
  tables, refs, comments, files, `[[a|b]]` -> b, external links, HTML entities), then heading
  lines (`== History ==`) are dropped and every remaining line is read as a paragraph.

The tokenizer (`tokenize`), as in the Penn Treebank preprocessing of Mikolov et al.: lowercase;
a sentence ends at `.`, `!` or `?` (and any closing quote or bracket) followed by white space, or
at a paragraph break; words are runs of letters and digits with apostrophes inside them (`don't`;
apostrophes at a word's edge, as in wiki `''italic''` quotes, are dropped); any word holding a
digit becomes `N` (a decimal point or thousands comma between digits is removed first, so `1.5`
is one `N`); all other punctuation is dropped. Abbreviations such as `e.g.` end a sentence: a
known, accepted error of the simple rule.

Splits are fixed by document, not by the run seed (the corpus is fixed): the documents are
ordered by the MD5 of their titles, and whole documents are dealt to validation until it holds
its share of the corpus's tokens (`HELDOUT`: 5 % for wikipedia, 10 % for the small pydoc), then
to test the same way, the rest to train. The
vocabulary is the `vocab_size` most frequent training words plus `<unk>` and `<eos>`. Parsed
documents are cached under `$NEUROSIM_CACHE/corpora/` (or `~/.cache/neurosim/corpora/`), keyed
by corpus and `VERSION`, for the corpora whose parsing is slow.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import hashlib
import importlib.util
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import numpy as np

from neurosim.cache import cache_root
from neurosim.errors import UserError
from neurosim.params import build_params, check_fields
from neurosim.registry import TASKS
from neurosim.tasks.language import UNK_ID, LanguageTask, language_task

VERSION = "1"  # bump when the tokenizer or the cleaning changes: it keys the cache
NUMBER = "N"
WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
REPEAT_MIN_WORDS = 5  # held-out sentences this long that train holds verbatim are dropped
HELDOUT = {"pydoc": 0.1, "wikipedia": 0.05}  # token share of val, and of test
DEFAULT_VOCAB = {"pydoc": 2000, "wikipedia": 10000}  # both leave some <unk> in train

SENTENCE_END = re.compile(r"[.!?]+['\")\]]*\s+|\n\s*\n")
DIGIT_JOINER = re.compile(r"(?<=\d)[.,](?=\d)")  # 1.5 and 1,000 are one number
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # letters/digits, apostrophes only inside
HEADING = re.compile(r"^\s*=+.*=+\s*$")

Document = tuple[str, list[list[str]]]  # (title, sentences)

PTB_REFERENCES = {
    "Penn Treebank KN-5 (Mikolov et al. 2011)": "test perplexity ~141",
    "Penn Treebank LSTM small / medium (Zaremba et al. 2014)": "test perplexity 114.5 / 82.7",
}
LICENCES = {
    "pydoc": "pydoc_data.topics: Python documentation, Python Software Foundation Licence",
    "wikipedia": "Wikipedia article text, CC BY-SA 3.0 (the gensim test file states no licence; "
    "gensim is LGPL-2.1)",
}


def tokenize(text: str) -> list[list[str]]:
    """Sentences of words, by the rules of the module docstring."""
    text = DIGIT_JOINER.sub("", text.lower().replace("\u2019", "'"))
    sentences = []
    for chunk in SENTENCE_END.split(text):
        words = [NUMBER if any(ch.isdigit() for ch in w) else w for w in WORD.findall(chunk)]
        if words:
            sentences.append(words)
    return sentences


def title_order(title: str) -> str:
    """A document's place in the split order: the MD5 of its title, the same on every run and
    machine (Python's own hash() is salted per process) and unrelated to the corpus order."""
    return hashlib.md5(title.encode("utf-8")).hexdigest()


def _pydoc_texts() -> Iterator[tuple[str, str]]:
    from pydoc_data.topics import topics

    yield from sorted(topics.items())


def _wikipedia_texts() -> Iterator[tuple[str, str]]:
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:
        raise UserError(
            "task 'lm-text': corpus 'wikipedia' needs gensim, which ships the text: "
            "pip install neurosim[text] (or make install)",
            field="corpus",
        )
    from gensim.corpora.wikicorpus import filter_wiki

    path = Path(spec.origin).parent / "test" / "test_data" / WIKI_FILE
    with bz2.open(path) as stream:
        for _, element in ET.iterparse(stream):
            if not element.tag.endswith("}page"):
                continue
            title = element.findtext("{*}title") or ""
            text = element.findtext("{*}revision/{*}text") or ""
            article = element.findtext("{*}ns") == "0" and element.find("{*}redirect") is None
            element.clear()
            if article:
                lines = filter_wiki(text).splitlines()
                yield title, "\n\n".join(line for line in lines if not HEADING.match(line))


CORPORA: dict[str, tuple[Callable[[], Iterator[tuple[str, str]]], bool]] = {
    # name: (reader of (title, text) pairs, whether its parsed form is cached)
    "pydoc": (_pydoc_texts, False),  # parses in well under a second
    "wikipedia": (_wikipedia_texts, True),  # ~5 s: gensim import, bz2, markup stripping
}


def cache_path(corpus: str) -> Path:
    return cache_root() / "corpora" / f"{corpus}-v{VERSION}.json.gz"


def load_documents(corpus: str) -> list[Document]:
    """The corpus's documents, tokenized; read from the cache where the corpus is cached."""
    reader, cached = CORPORA[corpus]
    path = cache_path(corpus)
    if cached and path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            return [(title, sentences) for title, sentences in json.load(stream)]
    documents = [(title, tokenize(text)) for title, text in reader()]
    if cached:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with gzip.open(partial, "wt", encoding="utf-8") as stream:
            json.dump(documents, stream)
        os.replace(partial, path)  # atomic: a concurrent reader never sees half a file
    return documents


@dataclasses.dataclass
class TextParams:
    """Which corpus, how many words to keep, and an optional cap on the training tokens."""

    corpus: Literal["pydoc", "wikipedia"] = "pydoc"
    vocab_size: int | None = None  # None: the corpus's default (DEFAULT_VOCAB)
    max_train_tokens: int | None = None  # None: all; else whole sentences up to this many

    def validate(self, owner: str) -> None:
        check_fields(
            owner,
            self,
            [
                ("vocab_size", self.vocab_size is None or self.vocab_size >= 1, "must be >= 1"),
                (
                    "max_train_tokens",
                    self.max_train_tokens is None or self.max_train_tokens >= 1,
                    "must be >= 1",
                ),
            ],
        )


def assign_splits(documents: list[Document], heldout: float) -> dict[str, str]:
    """title -> split: in title order, whole documents to val until it holds `heldout` of all
    tokens (`<eos>` included), then to test likewise, then to train. Sizes by token, not by
    document count, because documents differ a hundredfold in length."""
    sizes = {title: sum(len(row) + 1 for row in rows) for title, rows in documents}
    quota = heldout * sum(sizes.values())
    filled = {"val": 0, "test": 0, "train": 0}
    splits = {}
    for title in sorted(sizes, key=title_order):
        split = next(name for name in filled if name == "train" or filled[name] < quota)
        splits[title] = split
        filled[split] += sizes[title]
    return splits


def split_documents(documents: list[Document], heldout: float) -> dict[str, list[list[str]]]:
    """Every document's sentences, in corpus order, into the split `assign_splits` decides,
    without the held-out sentences that train holds verbatim (`drop_repeats`)."""
    splits = assign_splits(documents, heldout)
    sentences: dict[str, list[list[str]]] = {"train": [], "val": [], "test": []}
    for title, rows in documents:
        sentences[splits[title]].extend(rows)
    seen = {tuple(row) for row in sentences["train"]}
    return {
        name: rows if name == "train" else drop_repeats(rows, seen)
        for name, rows in sentences.items()
    }


def drop_repeats(rows: list[list[str]], seen: set[tuple[str, ...]]) -> list[list[str]]:
    """The sentences of `REPEAT_MIN_WORDS` words or more that are not in `seen`, and all shorter
    ones. Documents of one corpus repeat passages verbatim (pydoc's topics share whole
    paragraphs: 46 % of the test 8-grams were in train), and a model scored on text it was
    trained on measures memory, not language; short sentences ("for example") recur by chance."""
    return [row for row in rows if len(row) < REPEAT_MIN_WORDS or tuple(row) not in seen]


def cap_tokens(sentences: list[list[str]], limit: int) -> list[list[str]]:
    """The first sentences whose tokens, `<eos>` included, stay within `limit`."""
    kept, total = [], 0
    for sentence in sentences:
        total += len(sentence) + 1
        if total > limit:
            break
        kept.append(sentence)
    return kept


def unk_rate(task: LanguageTask, split: str) -> float:
    """The share of a split's tokens (`<eos>` included) that are `<unk>`."""
    return float(np.mean(task.split(split) == UNK_ID))


@TASKS.register("lm-text")
def make_lm_text(seed: int, **params: object) -> LanguageTask:
    """The corpus's fixed splits; the seed is recorded but changes nothing."""
    p = build_params(TextParams, params, owner="task 'lm-text'")
    sentences = split_documents(load_documents(p.corpus), HELDOUT[p.corpus])
    if p.max_train_tokens is not None:
        sentences["train"] = cap_tokens(sentences["train"], p.max_train_tokens)
    vocab_size = p.vocab_size if p.vocab_size is not None else DEFAULT_VOCAB[p.corpus]
    task = language_task(
        "lm-text",
        seed,
        sentences,
        vocab_size,
        references={**PTB_REFERENCES, "licence": LICENCES[p.corpus]},
        params={**dataclasses.asdict(p), "vocab_size": vocab_size},
    )
    rates = f"{unk_rate(task, 'val'):.2%} / {unk_rate(task, 'test'):.2%}"
    return dataclasses.replace(task, references={**task.references, "unk rate (val / test)": rates})
