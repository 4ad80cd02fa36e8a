"""Medication vocabulary: free text → ingredients, by whole tokens and phrases, never by bare substring.

The vocabulary (``ldnsim/data/clinical/vocabulary.yaml``) is keyed by ingredient; brand names, synonyms,
abbreviations and curated misspellings resolve to ingredient lists. Text is normalised (lower case,
accents stripped, punctuation and letter/digit boundaries split, "w/" → "with") into tokens, and names
are matched as whole token phrases, longest first. Tokens left over (not a name, number, unit, form or
sig word) go to fuzzy matching (rapidfuzz, :data:`ACCEPT` / :data:`DOUBT` thresholds); anything still
left over makes the entry only partly recognised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

__all__ = [
    "Name",
    "Match",
    "Vocabulary",
    "vocabulary",
    "normalise",
    "tokens",
    "ACCEPT",
    "DOUBT",
    "STOPWORDS",
]

#: fuzzy score (rapidfuzz ratio, 0–100) at or above which a misspelling is read as the name
ACCEPT = 85.0
#: fuzzy score at or above which a near-miss to an *opioid* is treated as a possible opioid (critical)
DOUBT = 75.0
#: tokens shorter than this are never fuzzy-matched (too many near neighbours)
MIN_FUZZY_LEN = 4

# Units, dose forms, routes, sig abbreviations, salts and indication words: ignored when left over.
STOPWORDS = frozenset(
    """
propionate furoate dipropionate valerate monohydrate dihydrate trihydrate anhydrous pamoate hyclate bisulfate
benzoate hydrobromide mesilate lactate gluconate salts complex pe minerals baby low high actuation hour
eye eyes ear ears ophthalmic otic skin mouthwash rinse wash shampoo compounded compound medical medicinal
strips hp lp hfa diskus respimat ellipta turbohaler handihaler evohaler accuhaler easyhaler flexpen kwikpen
solostar penfill autohaler dosepak dosepack ultra pennkinetic bp bpc usp ph eur paediatric pediatric gastro
resistant pill pills boots superdrug lloyds tesco asda sainsburys kirkland equate cvs walgreens ratiopharm
hexal stada mylan teva sandoz accord zentiva aliud actavis apotex aurobindo zydus al abz use user uses
metered actuat actuation prefilled syringe autoinjector injector cartridge kit disintegrating enteric
coated granules powder packet sachet pellet implant ring device
mg mcg ug g gm gram grams milligram milligrams microgram micrograms ml l iu unit units meq mmol mcl
percent tab tabs tablet tablets cap caps capsule capsules caplet caplets gelcap gelcaps softgel
softgels liqui gels gel chewable chew dispersible effervescent soluble orodispersible odt lozenge
lozenges troche film films buccal patch patches transdermal td matrix plaster system pump pen vial
vials amp ampoule ampoules bottle pack strip solution soln sol syrup syr liquid linctus elixir
suspension susp drops drop oral mixture concentrate tincture injection inj injectable infusion iv im
sc subcut sq subq intranasal nasal spray puff puffs inhaler inh neb cream ointment topical lotion
suppository supp pr rectal vaginal sl sublingual po orally mouth by er xr sr cr la xl ir ec dr mr od
cd ct xt ds es hs ac pc cc ud rapid instant immediate release extended modified controlled sustained
delayed prolonged retard retarded long short acting hcl hydrochloride sulfate sulphate phosphate
tartrate bitartrate sodium potassium calcium citrate maleate besylate succinate fumarate mesylate
acetate bromide hbr napsylate polistirex base salt q qd qday qod bid tid qid qhs qam qpm prn stat
daily nightly weekly monthly once twice thrice times x per qds tds bd od om on mane nocte qqh qwk
other alternate every each day days week weeks month months hour hours hr hrs h min minutes at
bedtime morning night evening noon am pm before after with without food meals meal and or the a an
of in on for as needed if to up max maximum take takes taking use used using apply applied give
given dose doses dosing sig rx otc prescription generic brand home med meds medication medications
current currently pt patient reports states pain painkiller painkillers back head headache sleep
cough cold flu fever allergy allergies diarrhea diarrhoea constipation nausea anxiety depression
migraine arthritis muscle spasm spasms nerve relief severe mild moderate breakthrough chronic acute
strength extra regular adult adults children childrens child infant infants junior kids mini
original formula new fast fastrelief plain tabs forte mite
then loose stool stools bowel movement any
""".split()
)


#: product form (brands_sourced `form`) → restart label-rule acting class
_FORM_ACTING = {"ir": None, "er": "long", "depot": "long", "patch": "patch"}


def normalise(text: str) -> str:
    """Lower-case, strip accents, split punctuation and letter/digit boundaries; one space between tokens."""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.lower().replace("µ", "u").replace("μ", "u")
    s = re.sub(r"\bw/", " with ", s)
    s = s.replace("&", " and ").replace("+", " and ").replace("'", "")
    s = s.replace(".", "")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    s = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", s)
    return " ".join(s.split())


def tokens(text: str) -> list[str]:
    return normalise(text).split()


@dataclass(frozen=True)
class Name:
    """What a vocabulary name resolves to."""

    text: str  # the name as written in the vocabulary
    kind: str  # ingredient | synonym | misspelling | brand | other
    ingredients: tuple[str, ...]
    family: bool = False  # brand family with products of different composition
    duplicate: bool = False  # a naltrexone product other than LDN
    acting: str | None = None  # short | long | patch (brand-level)
    source: str | None = None  # where the brand was found (label/regulator URL), when recorded
    region: str | None = None
    note: str | None = None


@dataclass
class Match:
    """One stretch of the input resolved to a name."""

    span: str
    name: Name
    how: str  # exact | fuzzy | possible | uncertain
    score: float = 100.0
    notes: list[str] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)  # for `uncertain`: the names it resembles


def _corrected(span: str, name: Name, score: float) -> Match:
    """A trusted spelling correction of ``span`` to ``name`` (the note says what was read as what)."""
    return Match(
        span, name, "fuzzy", score, [f"'{span}' read as '{name.text}' (spelling match {score:.0f}/100)"]
    )


class Vocabulary:
    """Index of every name (and its joined form: "co-codamol" → "co codamol" and "cocodamol")."""

    def __init__(self, doc: dict, generated: dict | None = None):
        """``doc``: ``vocabulary.yaml``; ``generated``: ``vocabulary_unii.yaml`` (brands from the FDA UNII
        Names list, added only where the hand-built vocabulary has no entry for the name)."""
        self.ingredients: dict[str, dict] = {}
        self.index: dict[str, Name] = {}
        self.conflicts: list[str] = []
        for ing, spec in (doc.get("ingredients") or {}).items():
            self.ingredients[ing] = dict(spec)
            self._add(ing, Name(ing, "ingredient", (ing,), acting=spec.get("acting")))
            for n in spec.get("names") or []:
                self._add(n, Name(n, "synonym", (ing,), acting=spec.get("acting")))
            for n in spec.get("misspellings") or []:
                self._add(n, Name(n, "misspelling", (ing,), acting=spec.get("acting")))
        for generic, syns in (doc.get("other_drugs") or {}).items():
            if generic not in self.ingredients:
                self.ingredients[generic] = {"rule": "no_interaction", "atc": [], "names": list(syns or [])}
            self._add(generic, Name(generic, "ingredient", (generic,)))
            for n in syns or []:
                self._add(n, Name(n, "other", (generic,)))
        all_brands = {**(doc.get("brands") or {}), **(doc.get("brands_sourced") or {})}
        for brand, spec in all_brands.items():
            ings = tuple(spec.get("in") or ())
            for i in ings:
                if i not in self.ingredients:
                    self.conflicts.append(f"brand {brand!r}: unknown ingredient {i!r}")
            self._add(
                brand,
                Name(
                    brand,
                    "brand",
                    ings,
                    family=bool(spec.get("family")),
                    duplicate=bool(spec.get("duplicate")),
                    acting=spec.get("acting") or _FORM_ACTING.get(spec.get("form") or ""),
                    region=spec.get("region"),
                    note=spec.get("note"),
                    source=spec.get("source"),
                ),
            )
        for brand, spec in ((generated or {}).get("brands") or {}).items():
            key = normalise(brand)
            if not key or key in self.index or key.replace(" ", "") in self.index:
                continue  # the hand-built entry (with its product form and source) wins
            ings = tuple(spec.get("in") or ())
            uniis = ", ".join(f"{u} ({d})" for u, d in zip(spec.get("unii") or [], spec.get("display") or [],
                                                           strict=False))
            self._add(
                brand,
                Name(
                    brand,
                    "brand",
                    ings,
                    source="FDA UNII Names list",
                    note=f"brand name from the FDA UNII Names list (UNII {uniis}); the source names the "
                    "substance, not the product's release form",
                ),
            )
        self.max_len = max(len(k.split()) for k in self.index)
        # fuzzy choices: every key of 4+ characters (spaced and joined forms)
        self._fuzzy_keys = [k for k in self.index if len(k.replace(" ", "")) >= MIN_FUZZY_LEN]

    def _add(self, text: str, name: Name) -> None:
        key = normalise(text)
        if not key:
            return
        keys = {key, key.replace(" ", "")}
        for k in keys:
            old = self.index.get(k)
            if old is not None and set(old.ingredients) != set(name.ingredients):
                # keep the one that declares more (brands win over bare synonyms); record the clash
                self.conflicts.append(
                    f"{k!r}: {old.text} {old.ingredients} vs {name.text} {name.ingredients}"
                )
                if old.kind == "brand" and name.kind != "brand":
                    continue
            if old is None or old.kind != "brand" or name.kind == "brand":
                self.index[k] = name

    # ------------------------------------------------------------------ queries
    def rule_of(self, ingredient: str) -> str:
        return self.ingredients.get(ingredient, {}).get("rule", "no_interaction")

    def atc_of(self, ingredient: str) -> list[str]:
        return list(self.ingredients.get(ingredient, {}).get("atc") or [])

    def is_opioid_name(self, name: Name, rules: dict) -> bool:
        """True when any ingredient's rule is critical (systemic opioid)."""
        return any(rules[self.rule_of(i)]["severity"] == "critical" for i in name.ingredients)

    def match(self, text: str, rules: dict) -> tuple[list[Match], list[str]]:
        """Resolve ``text`` → (matches, leftover tokens). ``rules`` decides which names are opioids."""
        toks = tokens(text)
        # "for DM" is an indication (diabetes), not dextromethorphan
        toks = [t for i, t in enumerate(toks) if not (t == "dm" and i > 0 and toks[i - 1] == "for")]
        matches: list[Match] = []
        leftover_runs: list[list[tuple[int, str]]] = [[]]
        i = 0
        while i < len(toks):
            hit = None
            for n in range(min(self.max_len + 1, len(toks) - i), 0, -1):
                span = toks[i : i + n]
                for key in (" ".join(span), "".join(span)):
                    if key in self.index:
                        hit = (n, key)
                        break
                if hit:
                    break
            if hit:
                n, key = hit
                matches.append(Match(" ".join(toks[i : i + n]), self.index[key], "exact"))
                leftover_runs.append([])
                i += n
                continue
            t = toks[i]
            if t.isdigit() or t in STOPWORDS or len(t) == 1:
                leftover_runs.append([])
            else:
                leftover_runs[-1].append((i, t))
            i += 1
        leftovers: list[str] = []
        for run in leftover_runs:
            j = 0
            while j < len(run):
                # try the joined pair first ("ms contine" → "mscontin"), then the single token
                if j + 1 < len(run):
                    m = self._fuzzy(run[j][1] + run[j + 1][1], rules, f"{run[j][1]} {run[j + 1][1]}")
                    if m is not None and m.how == "fuzzy":
                        matches.append(self._with_next(m, toks, run[j + 1][0]))
                        j += 2
                        continue
                m = self._fuzzy(run[j][1], rules, run[j][1])
                if m is not None:
                    matches.append(self._with_next(m, toks, run[j][0]))
                else:
                    leftovers.append(run[j][1])
                j += 1
        return matches, leftovers

    def _with_next(self, m: Match, toks: list[str], pos: int) -> Match:
        """A fuzzy match followed by a number completing a name ("tylenl 3" → "tylenol 3") takes that name."""
        if pos + 1 < len(toks):
            key = f"{normalise(m.name.text)} {toks[pos + 1]}"
            if key in self.index and self.index[key] is not m.name:
                return Match(f"{m.span} {toks[pos + 1]}", self.index[key], m.how, m.score, m.notes,
                             m.candidates)
        return m

    def _severity_class(self, name: Name, rules: dict) -> str:
        """The severity a name screens to (the highest of its ingredients' rules)."""
        order = ("none", "info", "warning", "critical")
        sev = [rules[self.rule_of(i)]["severity"] for i in name.ingredients] or ["none"]
        return max(sev, key=lambda s: order.index(s) if s in order else 0)

    def _candidates(self, cands: list[tuple[str, float]]) -> list[dict]:
        """The names an ``uncertain`` entry resembles, as shown to the user (name, ingredients, score)."""
        return [
            {"name": self.index[k].text, "ingredients": list(self.index[k].ingredients),
             "score": round(float(s), 1)}
            for k, s in cands
        ]

    def _fuzzy(self, query: str, rules: dict, span: str) -> Match | None:
        """Spelling match of a leftover token (or joined pair) against every name.

        Three outcomes besides no match at all:

        * ``fuzzy`` — a confident correction: to an opioid (conservative), or to a generic (INN) name with no
          rival candidate of another severity class close by ("ibuprofin" → ibuprofen);
        * ``possible`` — close to an opioid name but in doubt: treated as an opioid until confirmed;
        * ``uncertain`` — a correction that would *lower* the class to a brand name or with a rival of
          another class nearby ("Dolantin" → Dilantin, phenytoin): brand names differ by one letter
          between countries, so the entry screens ``unknown`` with the candidates shown, never ``none``.
        """
        if len(query) < MIN_FUZZY_LEN:
            return None
        found = process.extract(query, self._fuzzy_keys, scorer=fuzz.ratio, limit=12)
        if not found:
            return None
        best_key, best_score, _ = found[0]
        best = self.index[best_key]
        opioid = [(k, s) for k, s, _ in found if self.is_opioid_name(self.index[k], rules)]
        op_key, op_score = opioid[0] if opioid else (None, 0.0)
        accept = ACCEPT if len(query) >= 6 else 90.0
        if best_score >= accept:
            if self.is_opioid_name(best, rules):
                return _corrected(span, best, best_score)
            if op_score < max(DOUBT, best_score - 5):
                cls = self._severity_class(best, rules)
                rivals = [
                    (k, s)
                    for k, s, _ in found
                    if s >= max(DOUBT, best_score - 10)
                    and self._severity_class(self.index[k], rules) != cls
                ]
                if best.kind in ("ingredient", "synonym", "misspelling") and not rivals:
                    return _corrected(span, best, best_score)
                cands = [(best_key, best_score), *[r for r in rivals if r[0] != best_key]]
                shown = ", ".join(
                    f"{self.index[k].text} ({'/'.join(self.index[k].ingredients)}, {s:.0f}/100)"
                    for k, s in cands[:4]
                )
                return Match(
                    span,
                    best,
                    "uncertain",
                    best_score,
                    [
                        f"'{span}' is not a known name; it resembles {shown}. A spelling correction to a "
                        "brand (or with rivals of another class) is not trusted: identify the product "
                        "before calling it safe"
                    ],
                    candidates=self._candidates(cands[:4]),
                )
        # a doubtful match counts only if it is also close in edits (optimal string alignment, a
        # transposition = 1 edit; ≤ 1 for ≤ 6 letters, else ≤ 2) and long enough to mean something:
        # "morfine" → morphine yes, "pentamidine" → pethidine no, "code" → codein no, and common short
        # words ("sent", "went", "feet" vs the abbreviation "fent"; "dolo") never: both the token and the
        # name need ≥ 5 letters, and short ones must share their first letter.
        max_edits = 1 if len(query) <= 6 else 2
        if (
            op_key is not None
            and op_score >= DOUBT
            and len(query) >= 5
            and len(op_key.replace(" ", "")) >= 5
            and (len(query) > 6 or query[0] == op_key[0])
            and OSA.distance(query, op_key.replace(" ", "")) <= max_edits
        ):
            name = self.index[op_key]
            return Match(
                span,
                name,
                "possible",
                op_score,
                [
                    f"'{span}' may be '{name.text}' (uncertain spelling match {op_score:.0f}/100); "
                    "treated as an opioid until confirmed"
                ],
            )
        if best_score >= accept:
            # close to a non-opioid name but an opioid rival was too close to call: unknown, candidates shown
            cands = [(best_key, best_score)] + ([(op_key, op_score)] if op_key else [])
            return Match(
                span,
                best,
                "uncertain",
                best_score,
                [f"'{span}' is not a known name; it resembles "
                 + ", ".join(
                     f"{self.index[k].text} ({'/'.join(self.index[k].ingredients)})" for k, _ in cands
                 )
                 + ": identify the product"],
                candidates=self._candidates(cands),
            )
        return None


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary (cached)."""
    from ._doccache import cached_doc

    return Vocabulary(cached_doc("clinical/vocabulary.yaml"), cached_doc("clinical/vocabulary_unii.yaml"))
