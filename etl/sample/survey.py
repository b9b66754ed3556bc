"""resident_survey.csv and its data dictionary: Millbrook's yearly resident survey.

One wave a fiscal year, fielded in February and March: FY2024, FY2025 and FY2026 (FY2027's is
not yet fielded on the as-of date), about 950 to 1,100 respondents each. The vendor's file is
wide, like real survey files: one row per respondent with its wave, its council district as a
number (1 Northgate .. 8 Eastfield, the order of city.DISTRICTS), five questions coded 1-5 (5 =
Very satisfied) or 9 (Don't know), blank where a question was skipped, and a weight that brings
each district to its share of residents (small districts are oversampled). The dictionary file
holds each question's text and its codes, "5 - Very satisfied, 4 - Satisfied, ...".

Q1 is overall satisfaction with the quality of city services: its share of 4-5 answers starts
between 45% (Harbor) and 66% (Hillcrest) and drifts by district, up where services improved
(Riverside's road programme) and down in fast-growing Eastfield. The other questions follow a
respondent's general mood, each with its own level and share of Don't know.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from etl.sample import formats
from etl.sample.city import DISTRICTS
from etl.sample.writer import Chunk, Written, write_csv

FILE_NAME = "resident_survey.csv"
DICTIONARY_NAME = "resident_survey_dictionary.csv"
SURVEY_NAME = "Millbrook Resident Survey"
WAVES = {2024: 950, 2025: 1_030, 2026: 1_100}  # fiscal year: respondents
ANSWERS = (
    "5 - Very satisfied, 4 - Satisfied, 3 - Neither satisfied nor dissatisfied, "
    "2 - Dissatisfied, 1 - Very dissatisfied, 9 - Don't know"
)
DONT_KNOW = 9
SKIPPED = 0.01  # share of questions left blank
# Latent satisfaction thresholds between codes 1|2, 2|3, 3|4 and 4|5 (4-5 means above 0).
CUTS = (-1.4, -0.55, 0.0, 1.0)
MOOD = 0.75  # weight of a respondent's general mood in each answer (the rest is the question)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    offset: float  # latent level against Q1
    dont_know: float  # share answering Don't know


QUESTIONS = (
    Question("Q1", "Overall, how satisfied are you with the quality of services provided by "
             "the City of Millbrook?", 0.0, 0.02),
    Question("Q2", "How satisfied are you with the value you receive for your city taxes and "
             "fees?", -0.35, 0.05),
    Question("Q3", "How satisfied are you with the maintenance of city streets and sidewalks?",
             -0.45, 0.03),
    Question("Q4", "How satisfied are you with how quickly the city responds to service "
             "requests (311)?", 0.1, 0.14),
    Question("Q5", "How satisfied are you with how well the city keeps residents informed "
             "about its budget and performance?", -0.15, 0.07),
)
# Share answering 4 or 5 to Q1 in FY2024, and its change a year, by district (DISTRICTS order).
Q1_SATISFIED = (0.60, 0.66, 0.57, 0.52, 0.49, 0.45, 0.50, 0.55)
Q1_YEARLY = (0.01, 0.0, 0.02, 0.01, 0.06, 0.03, 0.015, -0.05)
STREETS_WORSE = ("Riverside", "Southview")  # Q3 lower where potholes are commoner


def header() -> str:
    return ",".join(["respondent_id", "wave", "district", *(q.id for q in QUESTIONS), "weight"])


def _district_sizes(rng: np.random.Generator, respondents: int) -> np.ndarray:
    """Completed interviews per district: half by residents, half equal (small ones oversampled)."""
    share = np.array([d.share for d in DISTRICTS])
    target = respondents * (0.5 * share / share.sum() + 0.5 / len(DISTRICTS))
    # The vendor fills quotas: whole interviews, the last few wherever they came in.
    sizes = np.floor(target).astype(np.int64)
    extra = rng.choice(len(DISTRICTS), respondents - sizes.sum(), replace=False)
    return sizes + np.bincount(extra, minlength=len(DISTRICTS))


def _codes(latent: np.ndarray) -> np.ndarray:
    return 1 + np.searchsorted(np.array(CUTS), latent, side="right")


def draw_wave(rng: np.random.Generator, year: int, respondents: int) -> dict[str, np.ndarray]:
    """One wave's respondents in interview order: district, answers (0 = blank) and weight."""
    sizes = _district_sizes(rng, respondents)
    district = rng.permutation(np.repeat(np.arange(len(DISTRICTS)), sizes))
    satisfied = np.clip(np.array(Q1_SATISFIED) + np.array(Q1_YEARLY) * (year - 2024), 0.05, 0.95)
    level = np.array([NormalDist().inv_cdf(p) for p in satisfied])[district]
    mood = rng.standard_normal(respondents)
    answers = {}
    for question in QUESTIONS:
        offset = question.offset
        if question.id == "Q3":
            worse = np.isin(np.array([d.name for d in DISTRICTS]), STREETS_WORSE)
            offset = offset - 0.25 * worse[district]
        own = np.sqrt(1 - MOOD**2) * rng.standard_normal(respondents)
        code = _codes(level + offset + MOOD * mood + own)
        code = np.where(rng.random(respondents) < question.dont_know, DONT_KNOW, code)
        answers[question.id] = np.where(rng.random(respondents) < SKIPPED, 0, code)
    share = np.array([d.share for d in DISTRICTS])
    weight = (share / share.sum()) / (sizes / respondents)
    return {"district": district, "weight": weight[district], **answers}


def write(out_dir: Path, seed: int) -> list[Written]:
    rng = np.random.default_rng([seed, 6])
    chunks = []
    for year, respondents in WAVES.items():
        wave = draw_wave(rng, year, respondents)
        number = np.arange(1, respondents + 1)
        columns: list[pa.Array] = [
            formats.concat(f"R{year % 100:02d}-", formats.padded(number, 4)),
            pa.array([f"{SURVEY_NAME} FY{year}"] * respondents, pa.string()),
            formats.text(wave["district"] + 1),
        ]
        columns += [formats.labels([str(c) for c in range(10)], wave[q.id], valid=wave[q.id] > 0)
                    for q in QUESTIONS]
        columns.append(pa.array([f"{w:.4f}" for w in wave["weight"]], pa.string()))
        chunks.append(Chunk(columns))
    dictionary = Chunk([
        pa.array([q.id for q in QUESTIONS], pa.string()),
        pa.array([q.text for q in QUESTIONS], pa.string()),
        pa.array([ANSWERS] * len(QUESTIONS), pa.string()),
    ])
    return [
        write_csv(out_dir / FILE_NAME, header(), chunks),
        write_csv(out_dir / DICTIONARY_NAME, "question_id,question_text,responses", [dictionary]),
    ]
