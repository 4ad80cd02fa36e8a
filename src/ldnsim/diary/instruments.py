"""Weekly questionnaires of the diary, scored without shipping restricted item text.

PROMIS Pain Interference short forms (4a, 6a, 8a)
    Items are identified by their PROMIS item codes (PAININ…); each response is 1 (not at all) to 5
    (very much); the raw score is the sum. PROMIS short forms are free for individual clinical and
    research use, but integration in distributed software needs permission from HealthMeasures, so
    ldnsim does **not** ship the item wording: the labels below are ldnsim's own short descriptors. Show
    patients the official form (healthmeasures.net) and enter the responses by item code. The T-score
    conversion table is not shipped either (use the HealthMeasures scoring service); the raw score is what
    ldnsim stores and plots. Source of the item sets: PROMIS Pain Interference short form v1.0 (4a/6a/8a),
    HealthMeasures (https://www.healthmeasures.net/explore-measurement-systems/promis).

FIQR (Revised Fibromyalgia Impact Questionnaire; Bennett RM et al., Arthritis Res Ther 2009;11:R120)
    21 items scored 0–10: items 1–9 function, 10–11 overall impact, 12–21 symptoms. Total (0–100) =
    function sum / 3 + overall sum + symptom sum / 2. The FIQR is copyrighted; ldnsim stores item values and
    scores only, never the item text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["PROMIS_PI_FORMS", "promis_raw_score", "FIQR_N_ITEMS", "fiqr_scores"]

_PI_ITEMS = [
    ("PAININ9", "interference with day-to-day activities"),
    ("PAININ22", "interference with work around the home"),
    ("PAININ31", "interference with social activities"),
    ("PAININ34", "interference with household chores"),
    ("PAININ12", "interference with enjoying life"),
    ("PAININ36", "interference with things done for fun"),
    ("PAININ3", "interference with enjoyment of recreational activities"),
    ("PAININ8", "interference with family life"),
]
#: form → [(item code, ldnsim's own short descriptor)]
PROMIS_PI_FORMS: dict[str, list[tuple[str, str]]] = {
    "4a": _PI_ITEMS[:4],
    "6a": _PI_ITEMS[:6],
    "8a": _PI_ITEMS[:8],
}

FIQR_N_ITEMS = 21


def promis_raw_score(form: str, responses: Mapping[str, int]) -> int:
    """Sum of the item responses (1–5 each): 4–20 (4a), 6–30 (6a), 8–40 (8a)."""
    codes = [c for c, _ in PROMIS_PI_FORMS[form]]
    return int(sum(int(responses[c]) for c in codes))


def fiqr_scores(items: Sequence[float]) -> dict[str, float]:
    """FIQR scores (Bennett 2009): function 0–30, overall 0–20, symptoms 0–50, total 0–100."""
    if len(items) != FIQR_N_ITEMS:
        raise ValueError(f"FIQR needs {FIQR_N_ITEMS} items")
    f = sum(items[:9]) / 3.0
    o = float(sum(items[9:11]))
    s = sum(items[11:21]) / 2.0
    return {"function": f, "overall": o, "symptoms": s, "total": f + o + s}
