"""Synthetic customer feedback at any size, reproducible by seed, for benchmarks.

    .venv/bin/python bench/generate.py --count 100000 --out /tmp/cx-100k          # files + sources.yaml
    .venv/bin/python bench/generate.py --count 10000 --start-index 100000 --start 2026-11-16 --days 1 \\
        --out /tmp/cx-night                                                        # the next night's new feedback

Documents are composed from the phrase banks of `bench/phrases.yaml` (written for this benchmark,
fictional): reviews (one to a few sentences, stars), posts on social media (tweet-length), support
tickets (agents' notes and customers' e-mails), complaints in the CFPB narrative layout (150-300 words)
and survey verbatims (NPS). About half tell one of 24 recurring problems of 8 touchpoints, each phrased
many ways, with its own volume over the days (rising, from mid-range, weekends, a spike), so clustering
has structure to find; the rest is praise, questions and mixed feedback.

Document i depends only on (seed, i): the first 10,000 of a 100,000 run are the 10,000 run, and a
later night is a new index range. Files are written in the layouts `config/sources.yaml` reads (CSV,
JSON Lines, Parquet), with a `sources.yaml` for them and `truth.csv` (each document's touchpoint,
topic and tone) to score clustering against.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_files import write_files  # noqa: E402

PHRASES = HERE / "phrases.yaml"
START = date(2026, 10, 19)
CHANNELS = {"review": 0.34, "social": 0.24, "ticket": 0.20, "complaint": 0.08, "survey": 0.14}
TONES = {"negative": 0.52, "mixed": 0.10, "positive": 0.30, "neutral": 0.08}
SLOT = re.compile(r"\{(\w+)\}")
ARTICLE = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")


@dataclass(frozen=True)
class Document:
    id: str
    channel: str  # review, social, ticket, complaint, survey
    touchpoint: str
    topic: str  # a problem key of phrases.yaml, or "praise" / "question"
    tone: str  # negative, mixed, positive, neutral
    text: str
    title: str
    created_at: datetime
    rating: int | None
    metadata: dict = field(default_factory=dict)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _profile(kind: str, day: int, days: int, weekday: int) -> float:
    """A problem's relative volume on day `day` of `days` (weekday 0 = Monday)."""
    position = day / max(days - 1, 1)
    if kind == "rising":
        return 0.4 + 1.6 * position
    if kind == "late":
        return 0.05 if position < 0.45 else 2.0
    if kind == "weekend":
        return 2.5 if weekday >= 5 else 0.1
    if kind == "spike":
        return 3.0 if 0.5 <= position < 0.75 else 0.6
    return 1.0


class Generator:
    """Makes document i of a seeded stream; see the module docstring."""

    def __init__(self, seed: int = 13, start: date = START, days: int = 28, phrases: Path = PHRASES):
        self.seed = seed
        self.start = start
        self.days = days
        self.bank = yaml.safe_load(phrases.read_text(encoding="utf-8"))
        self.problems = self.bank["problems"]

    @cached_property
    def _day_weights(self) -> list[dict[str, float]]:
        out = []
        for day in range(self.days):
            weekday = (self.start + timedelta(days=day)).weekday()
            out.append(
                {key: p["weight"] * _profile(p["profile"], day, self.days, weekday) for key, p in self.problems.items()}
            )
        return out

    def documents(self, count: int, start_index: int = 0) -> Iterator[Document]:
        for index in range(start_index, start_index + count):
            yield self.document(index)

    def document(self, index: int) -> Document:
        rng = random.Random(self.seed * 1_000_003 + index)
        channel = _pick(rng, CHANNELS)
        day = rng.randrange(self.days)
        created = datetime.combine(self.start + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
        created += timedelta(seconds=rng.randrange(86_400))
        tone = _pick(rng, TONES)
        problem = _pick(rng, self._day_weights[day])
        touchpoint = self.problems[problem]["touchpoint"]
        if tone in ("positive", "neutral"):
            touchpoint = rng.choice(sorted(self.bank["praise"]))
        topic = {"positive": "praise", "neutral": "question"}.get(tone, problem)
        compose = getattr(self, f"_{channel}")
        text, title = compose(rng, tone, problem, touchpoint)
        chosen: dict[str, str] = {}  # one product, store, code... per document
        text = self._fill(rng, _typos(rng, text), channel, chosen)
        title = self._fill(rng, title, channel, chosen)
        prefix = {"review": "RV", "social": "SM", "ticket": "ZD", "complaint": "CP", "survey": "SV"}[channel]
        rating = _rating(rng, channel, tone)
        metadata = _metadata(rng, channel, touchpoint, self.bank["slots"]["store"])
        return Document(
            f"{prefix}-{index:08d}", channel, touchpoint, topic, tone, text, title, created, rating, metadata
        )

    # Sentences -----------------------------------------------------------------------------------

    def _problem_sentences(self, rng: random.Random, problem: str, details: int) -> list[str]:
        spec = self.problems[problem]
        return [rng.choice(spec["core"]), *rng.sample(spec["detail"], min(details, len(spec["detail"])))]

    def _praise(self, rng: random.Random, touchpoint: str) -> str:
        return rng.choice(self.bank["praise"][touchpoint])

    def _statement(self, rng: random.Random, tone: str, problem: str, touchpoint: str, details: int) -> list[str]:
        """The body sentences of one document, before the channel's frame."""
        if tone == "positive":
            extra = [self._praise(rng, rng.choice(sorted(self.bank["praise"])))] if details else []
            return [self._praise(rng, touchpoint), *extra]
        if tone == "neutral":
            return [rng.choice(self.bank["neutral"][touchpoint])]
        sentences = self._problem_sentences(rng, problem, details)
        if tone == "mixed":
            praise = self._praise(rng, rng.choice(sorted(self.bank["praise"])))
            joint = rng.choice(self.bank["contrasts"])
            first = _lower_first(sentences[0]) if joint.strip()[-1] != "," else sentences[0]
            sentences = [praise + joint + first, *sentences[1:]]
        return sentences

    # Channels --------------------------------------------------------------------------------------

    def _review(self, rng: random.Random, tone: str, problem: str, touchpoint: str) -> tuple[str, str]:
        parts = self._statement(rng, tone, problem, touchpoint, details=rng.choice((0, 1, 1, 2, 3, 4)))
        if rng.random() < 0.15:  # the long tail: a second aspect, praised or not
            other = rng.choice(sorted(self.bank["praise"]))
            parts += [self._praise(rng, other)] if tone != "negative" else self._problem_sentences(rng, problem, 2)[1:]
        if tone == "negative":
            parts = [rng.choice(self.bank["openers"]), *parts]
        if tone in ("negative", "mixed"):
            parts += [rng.choice(self.bank["consequences"])] if rng.random() < 0.4 else []
            parts += [rng.choice(self.bank["closers"])]
        elif tone == "positive":
            parts += [rng.choice(self.bank["praise_closers"])]
        if rng.random() < 0.35:
            parts.insert(rng.choice((0, len(parts))), rng.choice(self.bank["review_context"]))
        title = ""
        if rng.random() < 0.4:
            title = rng.choice(self.problems[problem]["subjects"]) if tone != "positive" else "Great service"
        return _join(parts), title

    def _social(self, rng: random.Random, tone: str, problem: str, touchpoint: str) -> tuple[str, str]:
        if tone == "negative" and rng.random() < 0.6:
            parts = [rng.choice(self.problems[problem]["tweet"])]
            if rng.random() < 0.3:
                parts.append(rng.choice(self.problems[problem]["detail"]).lower())
        else:
            parts = self._statement(rng, tone, problem, touchpoint, details=0)
            parts = [_lower_first(p) for p in parts]
        parts[0] = rng.choice(self.bank["short_prefixes"]) + parts[0]
        parts[-1] = parts[-1].rstrip(".") + rng.choice(self.bank["short_suffixes"])
        if rng.random() < 0.4:
            parts[-1] += rng.choice((" - ", ", ", " (")) + rng.choice(self.bank["short_context"])
            parts[-1] += ")" if parts[-1].count("(") > parts[-1].count(")") else ""
        tail = rng.choice(("", "", "", " #fail", " #customerservice", " 😡", " 🙄", " 👍", "!!"))
        if tone in ("positive",):
            tail = rng.choice(("", " 👍", " ❤️", " #happycustomer"))
        return _join(parts) + tail, ""

    def _ticket(self, rng: random.Random, tone: str, problem: str, touchpoint: str) -> tuple[str, str]:
        parts = self._statement(rng, tone, problem, touchpoint, details=rng.choice((1, 2, 3)))
        subject = rng.choice(self.problems[problem]["subjects"]) if tone in ("negative", "mixed") else "Enquiry"
        if rng.random() < 0.4:  # an agent's note of a call or chat
            parts = [rng.choice(self.bank["agent_notes"]), "Says:", *parts, rng.choice(self.bank["agent_actions"])]
            return _join(parts), subject
        if tone in ("negative", "mixed"):
            parts += [rng.choice(self.bank["consequences"]), rng.choice(self.bank["demands"])]
        greeting, signoff = rng.choice(self.bank["greetings"]), rng.choice(self.bank["signoffs"])
        body = f"{greeting}\n\n{_join(parts)}\n\n{signoff}\nJ."
        return body, subject

    def _complaint(self, rng: random.Random, tone: str, problem: str, touchpoint: str) -> tuple[str, str]:
        if tone in ("positive", "neutral"):  # complaints are complaints: praise turns into a grievance
            tone = "negative"
        bank = self.bank
        parts = [rng.choice(bank["background"])]
        parts += self._statement(rng, tone, problem, touchpoint, details=rng.choice((2, 3, 4)))
        parts += rng.sample(bank["attempts"], rng.choice((2, 3, 4, 5)))
        parts += rng.sample(bank["timeline"], rng.choice((1, 2, 3, 4)))
        parts += rng.sample(bank["impacts"], rng.choice((1, 2, 3)))
        parts += rng.sample(bank["demands"], rng.choice((1, 2)))
        return _join(parts), ""

    def _survey(self, rng: random.Random, tone: str, problem: str, touchpoint: str) -> tuple[str, str]:
        parts = self._statement(rng, tone, problem, touchpoint, details=rng.choice((0, 0, 1)))
        prefix = rng.choice(self.bank["short_prefixes"]).capitalize()
        if prefix:
            parts = [prefix + _lower_first(parts[0]), *parts[1:]]
        reason = rng.choice(self.bank["survey_reasons"])
        if rng.random() < 0.3:
            reason = f"{reason} ({rng.choice(self.bank['short_context'])})".strip()
        return _join([*parts, reason]), ""

    # Slots ------------------------------------------------------------------------------------------

    def _fill(self, rng: random.Random, text: str, channel: str, chosen: dict[str, str]) -> str:
        slots = self.bank["slots"]
        regulator = channel == "complaint"

        def value(match: re.Match) -> str:
            name = match.group(1)
            if name in slots:
                return chosen.setdefault(name, rng.choice(slots[name]))
            if name == "order":
                return "XXXX" if regulator else f"NW-{rng.randrange(4_000_000, 5_000_000)}"
            if name == "amount":
                pounds = rng.choice((19, 35, 49, 89, 129, 229, 349, 599, 899, 1299)) + rng.choice((0, 0.99, 0.5))
                shown = f"{pounds:.2f}" if pounds % 1 else f"{pounds:.0f}"
                return f"{{${pounds:.2f}}}" if regulator else rng.choice(("£", "$", "£")) + shown
            if name == "when":
                return "XX/XX/2026" if regulator else rng.choice(("Monday", "the 3rd", "last week", "the 21st"))
            if name in ("days", "weeks", "n"):
                return str(rng.choice((2, 3, 4, 5, 6, 8, 10, 12, 14, 20, 35, 45)))
            if name == "time":
                return rng.choice(("8", "9", "10", "11"))
            return match.group(0)

        return ARTICLE.sub(r"\1n ", SLOT.sub(value, text))


def _lower_first(sentence: str) -> str:
    if sentence.startswith(("I ", "I'")):
        return sentence
    return sentence[:1].lower() + sentence[1:]


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _typos(rng: random.Random, text: str) -> str:
    """A few documents carry a transposition typo, as typed text does."""
    if rng.random() > 0.12:
        return text
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    j = rng.randrange(1, len(words[i]) - 2)
    word = words[i]
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _rating(rng: random.Random, channel: str, tone: str) -> int | None:
    if channel == "review":
        return rng.choice(
            {"negative": (1, 1, 1, 2, 2), "mixed": (2, 3, 3, 4), "positive": (4, 5, 5, 5)}.get(tone, (3, 4))
        )
    if channel == "survey":
        ranges = {"negative": (0, 4), "mixed": (4, 7), "positive": (8, 10), "neutral": (6, 9)}
        return rng.randint(*ranges[tone])
    return None


def _metadata(rng: random.Random, channel: str, touchpoint: str, stores: list[str]) -> dict:
    if channel == "review":
        platform = rng.choice(("trustpilot", "trustpilot", "google", "yelp", "app_store", "play_store"))
        return {"platform": platform, "store_location": rng.choice(stores) if platform in ("google", "yelp") else ""}
    if channel == "social":
        return {"platform": rng.choice(("twitter", "twitter", "facebook", "instagram"))}
    if channel == "ticket":
        category = {"delivery": "delivery", "billing": "payment", "checkout": "payment", "returns": "returns"}
        return {
            "category": category.get(touchpoint, "other") if rng.random() < 0.8 else "other",
            "channel": rng.choice(("email", "chat", "phone", "web_form")),
            "priority": rng.choice(("low", "normal", "normal", "high", "urgent")),
        }
    if channel == "complaint":
        return {"Product": "Credit card or prepaid card" if touchpoint == "billing" else "Consumer goods"}
    return {"journey_step": touchpoint}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="documents to write")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--start-index", type=int, default=0, help="first document index (a later night)")
    parser.add_argument("--start", type=date.fromisoformat, default=START, help="first day (UTC)")
    parser.add_argument("--days", type=int, default=28, help="days the documents spread over")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the files into")
    args = parser.parse_args()
    generator = Generator(args.seed, args.start, args.days)
    counts = write_files(generator.documents(args.count, args.start_index), args.out)
    print(f"wrote {sum(counts.values()):,} documents to {args.out}: {counts}")
    print(f"sources: {args.out / 'sources.yaml'}")


if __name__ == "__main__":
    main()
