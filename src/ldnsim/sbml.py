"""SBML export of ldnsim's models (python-libsbml), runnable in libRoadRunner and COPASI.

Two layers:

* a small, generic model description (:class:`ModelSpec`: parameters with units and sources, ODE states,
  assignment rules, events) and :func:`export_sbml`, which writes it as SBML Level 3 Version 2 with unit
  definitions and each parameter's provenance in its ``<notes>``;
* builders that describe ldnsim's own models with it: :func:`pk_model_spec` (exact linear PK of one or more
  drugs + receptor occupancy, dosing as SBML events) and :func:`full_model_spec` (PK + receptors + the slow
  neuroimmune system + pain).

Equations that ldnsim writes once as array code over a namespace ``xp`` (numpy / jax.numpy) are turned into
SBML formulas by *tracing* them with :data:`SYM` — a namespace whose "arrays" are symbolic expressions — so
the exported model is the executed model, not a second hand-written copy.

Dosing: every dose is its own SBML event (bolus: the bioavailable amount is added to the receiving
compartment; zero-order input: an infusion-rate parameter switched on and off by two events). A strictly
periodic regimen (same dose, same interval) is written as one self-rescheduling event instead, which keeps
a year of nightly dosing small.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, LdnsimError

__all__ = [
    "Param",
    "State",
    "Rule",
    "Event",
    "ModelSpec",
    "export_sbml",
    "sbml_string",
    "Sym",
    "SYM",
    "trace",
    "immune_model_spec",
]

# --------------------------------------------------------------------------------------------- symbolic xp


def _fmt_num(x: float) -> str:
    x = float(x)
    if not math.isfinite(x):
        raise LdnsimError(f"SBML export: non-finite constant {x!r} in a model formula")
    r = repr(x)
    return f"({r})" if x < 0 else r


_HOIST: list[Any] = []  # active hoisting contexts (innermost last)


class _Hoist:
    """While active, sub-expressions longer than ``limit`` characters become assignment rules ``prefix<n>``
    (common-subexpression hoisting keeps traced models small and fast to evaluate)."""

    def __init__(self, prefix: str, limit: int = 160):
        self.prefix, self.limit = prefix, limit
        self.rules: list[tuple[str, str]] = []
        self.seen: dict[str, str] = {}

    def __enter__(self) -> _Hoist:
        _HOIST.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _HOIST.remove(self)

    def take(self, expr: str) -> str:
        if len(expr) <= self.limit:
            return expr
        rid = self.seen.get(expr)
        if rid is None:
            rid = f"{self.prefix}{len(self.rules)}"
            self.rules.append((rid, expr))
            self.seen[expr] = rid
        return rid


def _mk(expr: str) -> Sym:
    return Sym(_HOIST[-1].take(expr) if _HOIST else expr)


class Sym:
    """A symbolic scalar expression (an SBML L3 infix formula) that behaves like an array element.

    Arithmetic, comparisons and the functions of :data:`SYM` build formulas; this is how array code
    written for ``xp`` (numpy / jax.numpy) is exported to SBML without a second copy of the equations.
    """

    __slots__ = ("expr",)
    __array_priority__ = 1000  # numpy scalars defer to Sym's reflected operators

    def __init__(self, expr: str):
        self.expr = expr

    def __repr__(self) -> str:
        return f"Sym({self.expr})"

    def __str__(self) -> str:
        return self.expr

    @staticmethod
    def wrap(x: Any) -> Sym:
        if isinstance(x, Sym):
            return x
        if isinstance(x, bool):
            return Sym("true" if x else "false")
        try:
            return Sym(_fmt_num(float(x)))
        except (TypeError, ValueError) as exc:
            raise LdnsimError(f"SBML export: cannot express {x!r} in a formula") from exc

    def _bin(self, op: str, other: Any, reflected: bool = False) -> Sym:
        o = Sym.wrap(other)
        a, b = (o, self) if reflected else (self, o)
        return _mk(f"({a.expr} {op} {b.expr})")

    __add__ = lambda s, o: s._bin("+", o)  # noqa: E731
    __radd__ = lambda s, o: s._bin("+", o, True)  # noqa: E731
    __sub__ = lambda s, o: s._bin("-", o)  # noqa: E731
    __rsub__ = lambda s, o: s._bin("-", o, True)  # noqa: E731
    __mul__ = lambda s, o: s._bin("*", o)  # noqa: E731
    __rmul__ = lambda s, o: s._bin("*", o, True)  # noqa: E731
    __truediv__ = lambda s, o: s._bin("/", o)  # noqa: E731
    __rtruediv__ = lambda s, o: s._bin("/", o, True)  # noqa: E731
    __pow__ = lambda s, o: s._bin("^", o)  # noqa: E731
    __rpow__ = lambda s, o: s._bin("^", o, True)  # noqa: E731
    __lt__ = lambda s, o: s._bin("<", o)  # noqa: E731
    __le__ = lambda s, o: s._bin("<=", o)  # noqa: E731
    __gt__ = lambda s, o: s._bin(">", o)  # noqa: E731
    __ge__ = lambda s, o: s._bin(">=", o)  # noqa: E731
    __and__ = lambda s, o: s._bin("&&", o)  # noqa: E731
    __or__ = lambda s, o: s._bin("||", o)  # noqa: E731

    def __neg__(self) -> Sym:
        return Sym(f"(-{self.expr})")

    def __pos__(self) -> Sym:
        return self

    def __invert__(self) -> Sym:
        return Sym(f"(!{self.expr})")

    def __abs__(self) -> Sym:
        return Sym(f"abs({self.expr})")

    def __bool__(self) -> bool:
        raise LdnsimError(
            "SBML export: a model equation branches in Python on a state value; write it with xp.where "
            "so that it can be exported"
        )

    def __float__(self) -> float:
        raise LdnsimError("SBML export: a model equation converts a symbolic value to float")

    # array-ish conveniences used by vectorised code
    @property
    def shape(self) -> tuple:
        return ()

    @property
    def ndim(self) -> int:
        return 0

    @property
    def dtype(self) -> Any:
        return float

    def astype(self, *_a: Any, **_k: Any) -> Sym:
        return self


def _f(name: str) -> Callable[[Any], Sym]:
    def fn(x: Any, *args: Any, **kwargs: Any) -> Sym:
        return _mk(f"{name}({Sym.wrap(x).expr})")

    fn.__name__ = name
    return fn


def _where(c: Any, a: Any, b: Any) -> Sym:
    c, a, b = Sym.wrap(c), Sym.wrap(a), Sym.wrap(b)
    return _mk(f"piecewise({a.expr}, {c.expr}, {b.expr})")


def _maximum(a: Any, b: Any) -> Sym:
    a, b = Sym.wrap(a), Sym.wrap(b)
    return _mk(f"piecewise({a.expr}, {a.expr} >= {b.expr}, {b.expr})")


def _minimum(a: Any, b: Any) -> Sym:
    a, b = Sym.wrap(a), Sym.wrap(b)
    return _mk(f"piecewise({a.expr}, {a.expr} <= {b.expr}, {b.expr})")


def _clip(x: Any, lo: Any = None, hi: Any = None) -> Sym:
    out = Sym.wrap(x)
    if lo is not None:
        out = _maximum(out, lo)
    if hi is not None:
        out = _minimum(out, hi)
    return out


def _identity(x: Any, *_a: Any, **_k: Any) -> Any:
    if isinstance(x, list | tuple):
        return [Sym.wrap(v) if not isinstance(v, Sym) else v for v in x]
    return x if isinstance(x, Sym) else Sym.wrap(x)


def _stack(xs: Iterable[Any], axis: int = 0) -> list[Sym]:
    return [Sym.wrap(x) for x in xs]


def _sum(xs: Any, axis: Any = None) -> Sym:
    if isinstance(xs, Sym):
        return xs
    terms = [Sym.wrap(x) for x in xs]
    if not terms:
        return Sym("0.0")
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _power(a: Any, b: Any) -> Sym:
    return Sym.wrap(a) ** b


def _zeros_like(x: Any, *a: Any, **k: Any) -> Sym:
    return Sym("0.0")


def _ones_like(x: Any, *a: Any, **k: Any) -> Sym:
    return Sym("1.0")


def _full_like(x: Any, v: Any, *a: Any, **k: Any) -> Sym:
    return Sym.wrap(v)


def _heaviside(x: Any, h0: Any) -> Sym:
    return _where(Sym.wrap(x) > 0, 1.0, _where(Sym.wrap(x) < 0, 0.0, h0))


class _SymNamespace:
    """The symbolic stand-in for ``numpy`` / ``jax.numpy`` (only what model equations use)."""

    __name__ = "ldnsim.sbml.SYM"
    float64 = float
    pi = math.pi
    e = math.e
    inf = math.inf
    exp = staticmethod(_f("exp"))
    log = staticmethod(_f("ln"))
    log10 = staticmethod(_f("log10"))
    sqrt = staticmethod(_f("sqrt"))
    abs = staticmethod(_f("abs"))
    absolute = abs
    tanh = staticmethod(_f("tanh"))
    floor = staticmethod(_f("floor"))
    ceil = staticmethod(_f("ceil"))
    where = staticmethod(_where)
    maximum = staticmethod(_maximum)
    minimum = staticmethod(_minimum)
    fmax = maximum
    fmin = minimum
    clip = staticmethod(_clip)
    power = staticmethod(_power)
    asarray = staticmethod(_identity)
    array = staticmethod(_identity)
    stack = staticmethod(_stack)
    sum = staticmethod(_sum)
    zeros_like = staticmethod(_zeros_like)
    ones_like = staticmethod(_ones_like)
    full_like = staticmethod(_full_like)
    heaviside = staticmethod(_heaviside)

    def expm1(self, x: Any) -> Sym:
        return Sym(f"(exp({Sym.wrap(x).expr}) - 1)")

    def log1p(self, x: Any) -> Sym:
        return Sym(f"ln(1 + {Sym.wrap(x).expr})")

    def square(self, x: Any) -> Sym:
        return Sym.wrap(x) * Sym.wrap(x)

    def __getattr__(self, name: str) -> Any:
        raise LdnsimError(f"SBML export: the model uses xp.{name}, which has no SBML counterpart here")


SYM = _SymNamespace()


def trace(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with symbolic arguments and ``xp=SYM``; returns what it returns (Sym / containers)."""
    return fn(*args, xp=SYM, **kwargs)


def symbols(names: Iterable[str]) -> dict[str, Sym]:
    """``{name: Sym(name)}`` for SBML ids."""
    return {n: Sym(n) for n in names}


# ----------------------------------------------------------------------------------------- model description

_ID_RE = re.compile(r"[^A-Za-z0-9_]")


def sbml_id(name: str) -> str:
    """A valid SBML SId from a free-form name ("6beta-naltrexol" -> "_6beta_naltrexol")."""
    s = _ID_RE.sub("_", name)
    if not s or not (s[0].isalpha() or s[0] == "_"):
        s = "_" + s
    return s


@dataclass
class Param:
    """A constant (or event-changed) model parameter."""

    id: str
    value: float
    unit: str = "1"
    notes: str = ""
    constant: bool = True


@dataclass
class State:
    """An ODE state: ``d id/dt = rate``. ``species=True`` writes it as an SBML species (an amount)."""

    id: str
    initial: float
    rate: str
    unit: str = "1"
    notes: str = ""
    species: bool = False


@dataclass
class Rule:
    """An assignment rule ``id = formula`` (evaluated at every time)."""

    id: str
    formula: str
    unit: str = "1"
    notes: str = ""


@dataclass
class Event:
    """``when trigger becomes true: var = formula`` for each assignment (values from trigger time)."""

    id: str
    trigger: str
    assignments: list[tuple[str, str]]
    notes: str = ""
    priority: float | None = None


@dataclass
class ModelSpec:
    """A model as SBML sees it. Formulas are SBML L3 infix strings over the ids declared here."""

    id: str
    name: str = ""
    notes: str = ""
    params: list[Param] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # ldnsim name -> SBML id, for cross-checks

    def ids(self) -> list[str]:
        return [p.id for p in self.params] + [s.id for s in self.states] + [r.id for r in self.rules]

    def check(self) -> None:
        seen: set[str] = set()
        for i in self.ids() + [e.id for e in self.events]:
            if i in seen:
                raise LdnsimError(f"SBML export: id {i!r} declared twice")
            if sbml_id(i) != i:
                raise LdnsimError(f"SBML export: {i!r} is not a valid SBML id")
            seen.add(i)


# ------------------------------------------------------------------------------------------------ units

# unit string -> list of (kind, exponent, scale, multiplier)
_UNITS: dict[str, tuple[str, list[tuple[str, float, int, float]]]] = {
    "h": ("hour", [("second", 1, 0, 3600.0)]),
    "1/h": ("per_hour", [("second", -1, 0, 1 / 3600.0)]),
    "mg": ("milligram", [("gram", 1, -3, 1.0)]),
    "mg/h": ("milligram_per_hour", [("gram", 1, -3, 1.0), ("second", -1, 0, 1 / 3600.0)]),
    "L": ("litre_", [("litre", 1, 0, 1.0)]),
    "L/h": ("litre_per_hour", [("litre", 1, 0, 1.0), ("second", -1, 0, 1 / 3600.0)]),
    "ng/mL": ("ng_per_ml", [("gram", 1, -6, 1.0), ("litre", -1, 0, 1.0)]),
    "nM": ("nanomolar", [("mole", 1, -9, 1.0), ("litre", -1, 0, 1.0)]),
    "g/mol": ("gram_per_mole", [("gram", 1, 0, 1.0), ("mole", -1, 0, 1.0)]),
    "kg": ("kilogram_", [("kilogram", 1, 0, 1.0)]),
}


def _unit_ref(unit: str) -> str:
    u = unit.strip()
    if u in ("1", "", "fraction", "dimensionless", "-", "NRS"):
        return "dimensionless"
    if u in _UNITS:
        return _UNITS[u][0]
    raise LdnsimError(f"SBML export: no SBML unit definition for {unit!r}")


def _notes_xhtml(text: str) -> str:
    paras = [p for p in text.split("\n") if p.strip()]
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


# ------------------------------------------------------------------------------------------------ writer


def sbml_string(spec: ModelSpec) -> str:
    """The SBML L3V2 document of ``spec`` as a string (validated with libsbml's consistency checks)."""
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - the sbml extra is in every dev install
        raise LdnsimError("SBML export needs python-libsbml: pip install 'ldnsim[sbml]'") from exc
    spec.check()
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    m.setId(spec.id)
    if spec.name:
        m.setName(spec.name)
    m.setTimeUnits("hour")
    m.setSubstanceUnits("milligram")
    m.setVolumeUnits("litre")
    m.setExtentUnits("milligram")
    if spec.notes:
        _ok(m.setNotes(_notes_xhtml(spec.notes)), "model notes")

    kinds = {
        "second": libsbml.UNIT_KIND_SECOND,
        "gram": libsbml.UNIT_KIND_GRAM,
        "litre": libsbml.UNIT_KIND_LITRE,
        "mole": libsbml.UNIT_KIND_MOLE,
        "kilogram": libsbml.UNIT_KIND_KILOGRAM,
    }
    for uid, parts in _UNITS.values():
        ud = m.createUnitDefinition()
        ud.setId(uid)
        for kind, exp, scale, mult in parts:
            u = ud.createUnit()
            u.setKind(kinds[kind])
            u.setExponent(exp)
            u.setScale(scale)
            u.setMultiplier(mult)

    comp = m.createCompartment()
    comp.setId("body")
    comp.setName("body (amount-based species; concentrations are assignment rules)")
    comp.setSize(1.0)
    comp.setConstant(True)
    comp.setSpatialDimensions(3)
    comp.setUnits("litre")

    def _math(formula: str, where: str) -> Any:
        ast = libsbml.parseL3Formula(formula)
        if ast is None:
            why = libsbml.getLastParseL3Error()
            raise LdnsimError(f"SBML export: cannot parse formula of {where}: {why}")
        return ast

    rule_ids = {r.id for r in spec.rules}
    for p in spec.params:
        q = m.createParameter()
        q.setId(p.id)
        q.setValue(float(p.value))
        q.setConstant(bool(p.constant))
        q.setUnits(_unit_ref(p.unit))
        if p.notes:
            _ok(q.setNotes(_notes_xhtml(p.notes)), f"notes of {p.id}")
    for s in spec.states:
        if s.species:
            sp = m.createSpecies()
            sp.setId(s.id)
            sp.setCompartment("body")
            sp.setInitialAmount(float(s.initial))
            sp.setHasOnlySubstanceUnits(True)
            sp.setBoundaryCondition(False)
            sp.setConstant(False)
            sp.setSubstanceUnits(_unit_ref(s.unit))
            obj = sp
        else:
            q = m.createParameter()
            q.setId(s.id)
            q.setValue(float(s.initial))
            q.setConstant(False)
            q.setUnits(_unit_ref(s.unit))
            obj = q
        if s.notes:
            _ok(obj.setNotes(_notes_xhtml(s.notes)), f"notes of {s.id}")
        rr = m.createRateRule()
        rr.setVariable(s.id)
        rr.setMath(_math(s.rate, f"d{s.id}/dt"))
    for r in spec.rules:
        if r.id not in rule_ids:  # pragma: no cover
            continue
        q = m.createParameter()
        q.setId(r.id)
        q.setValue(0.0)
        q.setConstant(False)
        q.setUnits(_unit_ref(r.unit))
        if r.notes:
            _ok(q.setNotes(_notes_xhtml(r.notes)), f"notes of {r.id}")
        ar = m.createAssignmentRule()
        ar.setVariable(r.id)
        ar.setMath(_math(r.formula, r.id))
    for ev in spec.events:
        e = m.createEvent()
        e.setId(ev.id)
        e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger()
        t.setMath(_math(ev.trigger, f"trigger of {ev.id}"))
        t.setInitialValue(False)
        t.setPersistent(True)
        if ev.priority is not None:
            pr = e.createPriority()
            pr.setMath(_math(_fmt_num(ev.priority), f"priority of {ev.id}"))
        for var, f in ev.assignments:
            ea = e.createEventAssignment()
            ea.setVariable(var)
            ea.setMath(_math(f, f"{ev.id}: {var}"))
        if ev.notes:
            _ok(e.setNotes(_notes_xhtml(ev.notes)), f"notes of {ev.id}")

    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    errors = [
        doc.getError(i).getMessage().strip()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if errors:
        raise LdnsimError("SBML export produced an invalid document: " + "; ".join(errors[:5]))
    return libsbml.writeSBMLToString(doc)


def _ok(code: int, what: str) -> None:
    import libsbml

    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        why = libsbml.OperationReturnValue_toString(code)
        raise LdnsimError(f"SBML export: libsbml refused {what} ({why})")


def export_sbml(model_description: ModelSpec | Any, path: str | Path) -> Path:
    """Write ``model_description`` (a :class:`ModelSpec`, or an object with ``.sbml_spec()``) to ``path``.

    Returns the path. Raises :class:`~ldnsim.errors.LdnsimError` if libsbml finds the document invalid.
    """
    spec = model_description if isinstance(model_description, ModelSpec) else model_description.sbml_spec()
    text = sbml_string(spec)
    from ._io import check_output_path

    out = check_output_path(Path(path), "OUT")  # folder exists (never created); not a folder itself
    from ._io import atomic_write_text

    atomic_write_text(out, text)
    return out


# --------------------------------------------------------------------------------------------- dosing events


def dosing_events(
    doses: Sequence[Mapping[str, Any]],
    *,
    prefix: str,
) -> tuple[list[Param], list[Event]]:
    """SBML events for a list of doses into one state.

    Each dose: ``{"time_h", "amount" (mg), "target" (state id), "per_mg" (optional id of the parameter: state
    increment per mg, e.g. base fraction × F),
    "duration_h" (0 = bolus), "rate_param" (id of the zero-order input parameter, for infusions)}``.
    A regular train (same amount, target and interval, boluses) becomes one self-rescheduling event.
    """
    params: list[Param] = []
    events: list[Event] = []
    if not doses:
        return params, events
    boluses = [d for d in doses if float(d.get("duration_h", 0.0)) <= 0]
    infusions = [d for d in doses if float(d.get("duration_h", 0.0)) > 0]
    if boluses:
        times = [float(d["time_h"]) for d in boluses]
        amounts = {float(d["amount"]) for d in boluses}
        targets = {(d["target"], d.get("per_mg")) for d in boluses}
        gaps = {round(b - a, 9) for a, b in zip(times, times[1:], strict=False)}
        if len(boluses) >= 3 and len(amounts) == 1 and len(targets) == 1 and len(gaps) == 1:
            (amt,), ((tgt, per_mg),), (gap,) = amounts, targets, gaps
            scale = f" * {per_mg}" if per_mg else ""
            nd, nn, na = f"{prefix}_next_dose_h", f"{prefix}_doses_given", f"{prefix}_dose_amount"
            params += [
                Param(na, amt, "mg", "dose (labelled mg)" if per_mg else "amount delivered by each dose"),
                Param(f"{prefix}_interval_h", gap, "h", "dosing interval"),
                Param(f"{prefix}_n_doses", len(boluses), "1", "number of doses in the regimen"),
                Param(nd, times[0], "h", "time of the next dose (rescheduled by the event)", constant=False),
                Param(nn, 0, "1", "doses given so far", constant=False),
            ]
            events.append(
                Event(
                    f"{prefix}_dose",
                    f"(time >= {nd}) && ({nn} < {prefix}_n_doses)",
                    [(tgt, f"{tgt} + {na}{scale}"), (nd, f"{nd} + {prefix}_interval_h"), (nn, f"{nn} + 1")],
                    notes=f"{len(boluses)} doses every {gap:g} h from t = {times[0]:g} h",
                )
            )
        else:
            for i, d in enumerate(boluses):
                tgt = d["target"]
                scale = f" * {d['per_mg']}" if d.get("per_mg") else ""
                events.append(
                    Event(
                        f"{prefix}_dose_{i}",
                        f"time >= {_fmt_num(d['time_h'])}",
                        [(tgt, f"{tgt} + {_fmt_num(d['amount'])}{scale}")],
                    )
                )
    for i, d in enumerate(infusions):
        rp = d["rate_param"]
        rate = float(d["amount"]) / float(d["duration_h"])
        t0, t1 = float(d["time_h"]), float(d["time_h"]) + float(d["duration_h"])
        on, off = f"{rp} + {_fmt_num(rate)}", f"{rp} - {_fmt_num(rate)}"
        events.append(Event(f"{prefix}_inf_on_{i}", f"time >= {_fmt_num(t0)}", [(rp, on)]))
        events.append(Event(f"{prefix}_inf_off_{i}", f"time >= {_fmt_num(t1)}", [(rp, off)]))
    return params, events


# ------------------------------------------------------------------------------------------ ldnsim's models


def _prov_lines(entries: Mapping[str, Any]) -> list[str]:
    out = []
    for name, prm in entries.items():
        if prm is None or not hasattr(prm, "value"):
            continue
        if prm.source:
            where = "; ".join(f"{s.cite}" + (f" <{s.url}>" if s.url else "") for s in prm.source)
            kind = "source"
        elif prm.derived:
            where, kind = prm.derived, "derived"
        else:
            where, kind = prm.reason or "", "assumed"
        out.append(f"{name} = {prm.value:g} {prm.unit} ({kind}: {where})")
    return out


def _analyte_prov(spec: Any, analyte: str) -> list[str]:
    an = spec.analytes[analyte]
    fields = {f"{analyte}.{k}": getattr(an, k) for k in ("CL", "V", "Q", "V2", "fu", "fm", "molar_mass")}
    fields.update({f"{analyte}.effect.{k}": getattr(an.effect, k) for k in ("ke0", "kp_uu")})
    return _prov_lines(fields)


def _formulation_prov(spec: Any, form: str) -> list[str]:
    fo = spec.formulations[form]
    fields = {f"{form}.{k}": getattr(fo, k) for k in ("ka", "F", "fa", "lag", "release_h", "base_fraction")}
    fields.update({f"{form}.first_pass.{k}": v for k, v in fo.first_pass.items()})
    if spec.dose_basis is not None:
        fields["dose_basis.base_fraction"] = spec.dose_basis.base_fraction
    return _prov_lines(fields)


def _state_prov(spec: Any, state: str) -> list[str]:
    kind, _, name = state.partition(":")
    if kind == "depot":
        return _formulation_prov(spec, name)
    if name in spec.analytes:
        return _analyte_prov(spec, name)
    return []


def _linear_formula(coefs: Sequence[tuple[str, str]]) -> str:
    terms = [f"{k} * {x}" for k, x in coefs]
    return " + ".join(terms) if terms else "0"


def pk_model_spec(
    events: Sequence[Any],
    *,
    covariates: Any = None,
    days: float | None = None,
    model_id: str = "ldnsim_pk",
    endogenous: str | float = 1.0,
    receptor_overrides: Mapping[str, Any] | None = None,
    variant: str = "full",
) -> tuple[ModelSpec, dict[str, Any]]:
    """The SBML description of ldnsim's exact linear PK + receptor occupancy for one (typical) patient.

    events: :class:`ldnsim.regimen.DoseEvent`-like objects (time_h, drug, dose_mg, formulation, duration_h).
    covariates: optional :class:`ldnsim.pk.Covariates` of one patient.
    variant: model variant whose occupancy variant (``"full/parent-transient"``; data/occupancy.yaml) sets
    the effect-site values (the drug file's for the default).
    Returns (spec, info): ``info`` maps ldnsim outputs to SBML ids (``plasma_ng_ml`` / ``effect_nM`` per
    analyte,
    occupancies) and lists the PK parameter ids per drug (``coefficients``) so that a population can be run
    by setting them patient by patient.
    """
    from .data.parameter_set import load_parameter_set
    from .model import occupancy_xp, pk_blocks, receptor_constants, with_occupancy
    from .pk import load_drug
    from .pk._simulate import normalise_events

    until = float(days) * 24.0 if days is not None else math.inf
    horizon = until if math.isfinite(until) else 1e12
    evs = [e for e in normalise_events(list(events), horizon) if e.time_h < until]
    if not evs:
        raise InputError("regimen", "no dose events to export")
    forms: dict[str, list[str]] = {}
    for e in evs:
        forms.setdefault(e.drug, [])
        if e.formulation not in forms[e.drug]:
            forms[e.drug].append(e.formulation)
    blocks = pk_blocks(forms, covariates, with_occupancy(None, variant, list(forms)))
    occ = load_parameter_set(variant).occupancy
    spec = ModelSpec(
        id=model_id,
        name="ldnsim: exact linear pharmacokinetics and receptor occupancy",
        notes=(
            "Exported by ldnsim (research and education; not medical advice). Time in hours from the first "
            "dose; amount states in mg of parent-equivalents; effect-site states in nM (unbound); plasma "
            "outputs in "
            "ng/mL; occupancies as fractions 0-1. Each rate constant is derived from the drug file whose "
            "entries (value, unit, source) are listed in its notes; the effect-site constants (ke0, kp_uu) "
            f"of naltrexone and 6beta-naltrexol are those of the occupancy variant {occ!r} (ldnsim "
            "data/occupancy.yaml)."
        ),
    )
    info: dict[str, Any] = {k: {} for k in ("plasma_ng_ml", "effect_nM", "occupancy", "coefficients")}
    info["states"] = {}
    effect_syms: dict[str, Sym] = {}
    for drug, blk in blocks.items():
        dspec = load_drug(drug)
        ids = [sbml_id(f"{drug}_{s.replace(':', '_')}") for s in blk.states]
        info["states"][drug] = dict(zip(blk.states, ids, strict=True))
        coef_ids: dict[tuple[int, int], str] = {}
        A = blk.A[0]
        n = A.shape[0]
        for i in range(n):
            for j in range(n):
                if A[i, j] == 0.0:
                    continue
                cid = sbml_id(f"{drug}_k_{i}_{j}")
                coef_ids[(i, j)] = cid
                src, dst = blk.states[j], blk.states[i]
                what = (f"loss rate of {dst}" if i == j else f"transfer from {src} to {dst}")
                unit = "1/h" if not dst.startswith("effect:") or src.startswith("effect:") else "1"
                note = [f"{what}; element A[{i},{j}] of the linear PK matrix (unit: "
                        + ("1/h" if unit == "1/h" else "nM per mg per h") + ")."]
                note += _state_prov(dspec, src) + (_state_prov(dspec, dst) if i != j else [])
                spec.params.append(Param(cid, float(A[i, j]), unit, "\n".join(note)))
        pmap: dict[str, tuple] = {c: ("A", i, j) for (i, j), c in coef_ids.items()}
        info["coefficients"][drug] = pmap
        rate_ids = {}
        for f in blk.rate:
            if np.any(blk.rate[f][0] != 0) and _has_zero_order(evs, drug, f, blk):
                rid = sbml_id(f"{drug}_{f}_input_mg_h")
                rate_ids[f] = rid
                spec.params.append(Param(rid, 0.0, "mg/h", f"zero-order input of {drug} {f} (labelled mg/h), "
                                         "switched by the dosing events", constant=False))
        for i in range(n):
            coefs = [(coef_ids[(i, j)], ids[j]) for j in range(n) if (i, j) in coef_ids]
            formula = _linear_formula(coefs)
            for f, rid in rate_ids.items():
                g = float(blk.rate[f][0, i])
                if g:
                    gid = sbml_id(f"{drug}_{f}_rate_gain_{i}")
                    spec.params.append(Param(gid, g, "1", f"d{ids[i]}/dt per labelled mg/h of {f} input "
                                             "(base fraction x fraction absorbed)\n"
                                             + "\n".join(_formulation_prov(dspec, f))))
                    pmap[gid] = ("rate", f, i)
                    formula += f" + {gid} * {rid}"
            is_amount = not blk.states[i].startswith("effect:")
            spec.states.append(State(
                ids[i], 0.0, formula, "mg" if is_amount else "nM",
                notes="\n".join([f"{drug} {blk.states[i]}"] + _state_prov(dspec, blk.states[i])),
                species=is_amount,
            ))
        for k, a in enumerate(blk.analytes):
            outs = (("plasma_ng_ml", blk.plasma[0, k], "ng/mL"), ("effect_nM", blk.effect[0, k], "nM"))
            for kind, rows, unit in outs:
                rid = sbml_id(f"{kind}_{a}")
                terms = []
                for j in np.nonzero(rows)[0]:
                    oid = sbml_id(f"{drug}_{kind}_row_{k}_{j}")
                    per = "nM" if blk.states[j].startswith("effect:") else "mg"
                    spec.params.append(Param(oid, float(rows[j]), "1", f"{kind} of {a} per unit of {ids[j]} "
                                             f"({unit} per {per})\n" + "\n".join(_analyte_prov(dspec, a))))
                    pmap[oid] = (kind, k, j)
                    terms.append(f"{oid} * {ids[j]}")
                if rid in info[kind].values():  # analyte shared by two drugs: sum
                    rule = next(r for r in spec.rules if r.id == rid)
                    rule.formula = f"{rule.formula} + " + " + ".join(terms)
                    continue
                spec.rules.append(Rule(rid, " + ".join(terms) or "0", unit,
                                       f"{'total plasma' if kind == 'plasma_ng_ml' else 'unbound effect'} "
                                       f"concentration of {a}"))
                info[kind][a] = rid
                if kind == "effect_nM":
                    effect_syms[a] = Sym(rid)
        # doses
        doses = []
        for e in [e for e in evs if e.drug == drug]:
            t0 = e.time_h + blk.lag_h.get(e.formulation, 0.0)
            dur = e.duration_h or blk.release_h.get(e.formulation, 0.0)
            if dur > 0:
                doses.append({"time_h": t0, "amount": e.dose_mg, "duration_h": dur,
                              "rate_param": rate_ids[e.formulation]})
                continue
            vec = blk.bolus[e.formulation][0]
            for j in np.nonzero(vec)[0]:
                bid = sbml_id(f"{drug}_{e.formulation}_per_mg_{j}")
                if bid not in pmap:
                    spec.params.append(Param(bid, float(vec[j]), "1", f"mg reaching {ids[j]} per labelled mg "
                                             f"of {e.formulation} (base fraction x fraction absorbed)\n"
                                             + "\n".join(_formulation_prov(dspec, e.formulation))))
                    pmap[bid] = ("bolus", e.formulation, j)
                doses.append({"time_h": t0, "amount": float(e.dose_mg), "target": ids[j], "per_mg": bid})
        dp, dev = dosing_events(doses, prefix=sbml_id(drug))
        spec.params += dp
        spec.events += dev
    consts = receptor_constants(list(effect_syms), receptor_overrides)
    endo = Sym(endogenous) if isinstance(endogenous, str) else endogenous
    occ = occupancy_xp(effect_syms, consts, SYM, endogenous=endo)
    for k, v in occ.items():
        spec.rules.append(Rule(f"occ_{k}", Sym.wrap(v).expr, "1",
                               f"receptor occupancy / effect '{k}' (ldnsim.receptors, competitive binding)"))
        info["occupancy"][k] = f"occ_{k}"
    info["receptor_params"] = {k: v for k, v in consts["params"].items()}
    spec.outputs = {**{f"plasma_ng_ml:{a}": r for a, r in info["plasma_ng_ml"].items()},
                    **{f"effect_nM:{a}": r for a, r in info["effect_nM"].items()},
                    **{f"occupancy:{k}": r for k, r in info["occupancy"].items()}}
    info["n_doses"] = len(evs)
    return spec, info


def pk_patient_values(info: Mapping[str, Any], blocks: Mapping[str, Any], patient: int) -> dict[str, float]:
    """SBML parameter values of one patient of ``blocks`` (:func:`ldnsim.engines.model.pk_blocks` with
    per-patient covariates / random effects), for running a population through the exported model."""
    out = {}
    for drug, pmap in info["coefficients"].items():
        blk = blocks[drug]
        for pid, (kind, a, b) in pmap.items():
            if kind == "A":
                v = blk.A[patient, a, b]
            elif kind == "plasma_ng_ml":
                v = blk.plasma[patient, a, b]
            elif kind == "effect_nM":
                v = blk.effect[patient, a, b]
            elif kind == "bolus":
                v = blk.bolus[a][patient, b]
            else:
                v = blk.rate[a][patient, b]
            out[pid] = float(v)
    return out


def _has_zero_order(evs: Sequence[Any], drug: str, form: str, blk: Any) -> bool:
    return any(e.drug == drug and e.formulation == form and (e.duration_h or blk.release_h.get(form, 0.0)) > 0
               for e in evs)


class SymVec:
    """A symbolic state vector: ``y[..., i]`` / ``y[i]`` give the i-th state's symbol."""

    def __init__(self, items: Sequence[Sym]):
        self.items = list(items)

    def __getitem__(self, key: Any) -> Sym:
        if isinstance(key, tuple):
            key = key[-1]
        return self.items[key]

    def __len__(self) -> int:
        return len(self.items)


def _system_notes(name: str, entries: Mapping[str, Any]) -> str:
    e = entries.get(name)
    if not isinstance(e, Mapping):
        return f"{name}: computed per run by ldnsim (condition preset, covariates, receptor layer)"
    lines = [f"{name} = {e.get('value')} {e.get('unit', '')}"]
    for src in e.get("source") or []:
        lines.append(f"source: {src.get('cite', '')} <{src.get('url', '')}>")
    if e.get("derived"):
        lines.append(f"derived: {e['derived']}")
    if e.get("assumed"):
        lines.append(f"assumed: {e.get('reason', '')}")
    return "\n".join(lines)


def full_model_spec(
    events: Sequence[Any],
    *,
    days: float | None = None,
    condition: str = "fibromyalgia",
    variant: str = "full",
    params: Mapping[str, float] | None = None,
    covariates: Any = None,
    esr_mm_h: float | None = None,
    model_id: str = "ldnsim_full",
    hoist_limit: int | None = None,
) -> tuple[ModelSpec, dict[str, Any]]:
    """The whole model of one (typical) patient: PK + receptors + neuroimmune system + pain, as SBML.

    The system equations are traced from :mod:`ldnsim.system` (``algebra`` → assignment rules,
    ``production_loss`` → rate rules ``dy/dt = P − L·y``); the initial state is ldnsim's untreated steady
    state of the condition (as in :func:`ldnsim.simulate`). Returns (spec, info) like :func:`pk_model_spec`,
    with
    ``info["system_params"]`` (SBML ids of the per-patient system parameters) and
    ``info["states"]["system"]``.
    ``hoist_limit``: hoist sub-expressions longer than this many characters into assignment rules.
    """
    from .data.conditions import disease_condition, refuse_disease_condition

    dis = disease_condition(condition) if isinstance(condition, str) else None
    if dis is not None:  # the pain model's SBML only
        refuse_disease_condition(dis)
    from .model import ULD_ANALYTES, uld_site, untreated_start
    from .system import (
        ALGEBRAIC_NAMES,
        DRIVER_NAMES,
        STATE_NAMES,
        algebra,
        condition_params,
        parameter_entries,
        production_loss,
        resolve_params,
    )

    cond = condition_params(condition)
    esr = None if esr_mm_h is None else np.array([float(esr_mm_h)])
    p = resolve_params(cond, 1, overrides=dict(params or {}), esr_mm_h=esr, variant=variant)
    pn = {k: np.full(1, float(np.asarray(v, dtype=float).reshape(-1)[0])) for k, v in p.items()}
    _, y0 = untreated_start(cond, pn, 1, rtol=0.0)  # as the engines (fixed iterations); sets phi0
    y0 = y0[0]
    pv = {k: float(v[0]) for k, v in pn.items()}

    spec, info = pk_model_spec(events, covariates=covariates, days=days, model_id=model_id,
                               endogenous=1.0, receptor_overrides={"tlr4_ic50_nM": Sym("tlr4_ic50_nM")},
                               variant=variant)
    spec.name = "ldnsim: PK + receptors + neuroimmune pain system"
    spec.notes += (f" Whole model: condition {cond['name']}, variant {variant}; system states start at "
                   "ldnsim's "
                   "untreated steady state of the condition; pain_nrs is the 0-10 NRS readout.")
    entries = parameter_entries()
    taken = set(spec.ids())
    for name, value in sorted(pv.items()):
        if name in taken:
            raise LdnsimError(f"SBML export: system parameter {name!r} clashes with a PK id")
        spec.params.append(Param(name, value, "1", _system_notes(name, entries)))
    # drivers: receptor-layer occupancies (rules occ_*) and the ultra-low-dose site
    uld = uld_site({a: Sym(info["effect_nM"][a]) for a in ULD_ANALYTES if a in info["effect_nM"]},
                   Sym("K_uld_pM"), SYM)
    spec.rules.append(Rule("occ_uld_site", Sym.wrap(uld).expr, "1",
                           "occupancy of the high-affinity (pM) antagonist site (ultra-low-dose regime)"))
    d = {k: Sym(f"occ_{k}") for k in DRIVER_NAMES}
    psym = {k: Sym(k) for k in pv}
    y = SymVec([Sym(n) for n in STATE_NAMES])
    # hoisting common subexpressions into rules makes the file readable, but libRoadRunner inlines rules and
    # compiles the hoisted form more slowly, so it is off unless asked for
    hoist = _Hoist("sys_t", hoist_limit if hoist_limit else 10**12)
    with hoist:
        alg = algebra(y, d, psym, SYM)
    for k, v in alg.items():
        unit_note = "0-10 NRS" if k == "pain_nrs" else "relative to healthy (1) or fraction"
        spec.rules.append(Rule(k, Sym.wrap(v).expr, "1", f"{k} ({unit_note}); ldnsim.system algebra"))
    # the rate rules refer to the algebra's assignment rules by name (passed explicitly: no global state)
    with hoist:
        prod, loss = production_loss(y, d, psym, SYM, alg={k: Sym(k) for k in alg})
        rates = [(Sym.wrap(prod[i]) - Sym.wrap(loss[i]) * y[i]).expr for i in range(len(STATE_NAMES))]
    for rid, expr in hoist.rules:
        spec.rules.append(Rule(rid, expr, "1", "intermediate of ldnsim.system (common subexpression)"))
    for i, name in enumerate(STATE_NAMES):
        spec.states.append(State(name, float(y0[i]), rates[i], "1",
                                 f"{name}: slow state of ldnsim.system (production - loss form)"))
    info["system_params"] = sorted(pv)
    info["states"]["system"] = list(STATE_NAMES)
    info["algebra"] = list(alg)
    info["y0"] = [float(v) for v in y0]
    spec.outputs.update({f"state:{n}": n for n in STATE_NAMES})
    spec.outputs.update({f"algebra:{k}": k for k in ALGEBRAIC_NAMES if k in alg})
    spec.outputs["pain_nrs"] = "pain_nrs"
    spec.outputs["occupancy:uld_site"] = "occ_uld_site"
    return spec, info


def immune_model_spec(
    events: Sequence[Any],
    *,
    days: float | None = None,
    condition: str = "crohns",
    params: Mapping[str, float] | None = None,
    model_id: str = "ldnsim_immune",
) -> tuple[ModelSpec, dict[str, Any]]:
    """The peripheral immune / OGF–OGFr module of one (typical) patient as SBML: exact linear PK (plasma) →
    OGFr driver → the immune ODEs and algebra (:mod:`ldnsim.immune`), traced from the code the engines run.

    The OGFr driver ``ogfr_drug`` (Σ unbound plasma nM / Ki) and the algebra become assignment rules, the
    production–loss ODEs rate rules; the initial state is the untreated state of the condition. Returns
    (spec, info) like :func:`pk_model_spec`, with ``info["immune_params"]`` and ``info["states"]["immune"]``.
    """
    from .immune import (
        ALGEBRAIC_NAMES,
        STATE_NAMES,
        algebra,
        condition_params,
        conditions,
        ogfr_driver,
        parameter_entries,
        production_loss,
        resolve_params,
        untreated_state,
    )

    cond = condition_params(condition)
    p = resolve_params(cond, 1, overrides=dict(params or {}))
    pv = {k: float(np.asarray(v, dtype=float).reshape(-1)[0]) for k, v in p.items()}
    y0 = np.asarray(untreated_state(np, 1, p["gut_drive"], p["cns_drive"]), dtype=float)[0]
    spec, info = pk_model_spec(events, days=days, model_id=model_id)
    spec.name = "ldnsim: PK + OGFr + peripheral immune / OGF-OGFr module"
    spec.notes += (f" Immune module: condition {cond['name']}; states relative to the untreated state (1), "
                   "tissue inflammation relative to untreated disease (1); OGFr occupancy from unbound "
                   "plasma "
                   "concentrations (docs/immune.md).")
    preset = conditions()[cond["name"]]
    entries = {**parameter_entries(), **{k: preset[k] for k in ("gut_drive", "cns_drive")}}
    taken = set(spec.ids())
    for name, value in sorted(pv.items()):
        if name in taken:
            raise LdnsimError(f"SBML export: immune parameter {name!r} clashes with a PK id")
        spec.params.append(Param(name, value, "1", _system_notes(name, entries)))
    psym = {k: Sym(k) for k in pv}
    plasma = {a: Sym(rid) for a, rid in info["plasma_ng_ml"].items()}
    drv = Sym.wrap(ogfr_driver(plasma, psym, SYM))
    spec.rules.append(Rule("ogfr_drug", drv.expr, "1", "sum over analytes of unbound plasma concentration "
                           "(nM) "
                           "/ OGFr Ki (nM): naltrexone and 6beta-naltrexol (ldnsim.immune.ogfr_driver)"))
    d = {"ogfr_drug": Sym("ogfr_drug")}
    y = SymVec([Sym(n) for n in STATE_NAMES])
    alg = algebra(y, d, psym, SYM)
    for k in ALGEBRAIC_NAMES:
        spec.rules.append(Rule(k, Sym.wrap(alg[k]).expr, "1", f"{k}; ldnsim.immune algebra"))
    prod, loss = production_loss(y, d, psym, SYM, alg={k: Sym(k) for k in ALGEBRAIC_NAMES})
    for i, name in enumerate(STATE_NAMES):
        rate = (Sym.wrap(prod[i]) - Sym.wrap(loss[i]) * y[i]).expr
        spec.states.append(State(name, float(y0[i]), rate, "1",
                                 f"{name}: slow state of ldnsim.immune (production - loss form)"))
    info["immune_params"] = sorted(pv)
    info["states"]["immune"] = list(STATE_NAMES)
    info["y0"] = [float(v) for v in y0]
    spec.outputs.update({f"state:{n}": n for n in STATE_NAMES})
    spec.outputs.update({f"algebra:{k}": k for k in ALGEBRAIC_NAMES})
    spec.outputs["ogfr_drug"] = "ogfr_drug"
    return spec, info
