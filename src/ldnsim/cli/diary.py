"""``ldnsim diary``: the patient symptom diary (add, import, export, delete, list, add-patient, weekly).

The store is a SQLite file in the per-user data directory (``~/.local/share/ldnsim/diary.sqlite``), or
``--db PATH_OR_URL`` / ``$LDNSIM_DIARY_DB``: patient data stays on the user's machine. Every output carries
the disclaimer; bad entries exit 2 naming the field and nothing stored changes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json

diary_app = typer.Typer(
    help="Patient symptom diary (stored on this machine). " + DISCLAIMER, no_args_is_help=True
)
app.add_typer(diary_app, name="diary")

_JSON = typer.Option(False, "--json", help="Print one JSON document.")
_DB = typer.Option(
    None,
    "--db",
    help="Diary database: a file path or SQLAlchemy URL "
    "(default $LDNSIM_DIARY_DB or ~/.local/share/ldnsim/diary.sqlite).",
)
SIDE_EFFECTS = ("vivid_dreams", "insomnia", "headache", "nausea")


def open_store(db: str | None):
    from ..diary import DiaryStore

    return DiaryStore(db)


def _out(doc: dict, json_out: bool, text: str) -> None:
    doc.setdefault("disclaimer", DISCLAIMER)
    if json_out:
        emit_json(doc)
    else:
        typer.echo(text)
        typer.echo(DISCLAIMER)


@diary_app.command("add-patient")
def add_patient(
    patient: str = typer.Argument(..., help="Patient pseudonym (letters, digits, _ . -)."),
    clinician: str = typer.Option(None, "--clinician", help="Clinician id (for the clinician's view)."),
    condition: str = typer.Option("fibromyalgia", "--condition", help="Condition."),
    ldn_start: str = typer.Option(None, "--ldn-start", help="Date LDN was started (YYYY-MM-DD)."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Add a patient to the diary."""
    with open_store(db) as s:
        p = s.add_patient(patient, clinician_id=clinician, condition=condition, ldn_start=ldn_start)
    _out({"patient": p}, json_out, f"added patient {p['patient_id']}")


@diary_app.command("add")
def add(
    patient: str = typer.Argument(..., help="Patient pseudonym."),
    date: str = typer.Option(None, "--date", help="Diary day (YYYY-MM-DD; default today)."),
    pain: float = typer.Option(None, "--pain", help="Average pain today, 0-10 NRS."),
    worst: float = typer.Option(None, "--worst", help="Worst pain today, 0-10 NRS."),
    sleep: float = typer.Option(None, "--sleep", help="Sleep quality 0 (worst) - 10 (best)."),
    fatigue: float = typer.Option(None, "--fatigue", help="Fatigue 0 (none) - 10 (worst)."),
    mood: float = typer.Option(None, "--mood", help="Mood 0 (worst) - 10 (best)."),
    dose: float = typer.Option(None, "--dose", help="LDN dose taken, mg (0-50)."),
    dose_time: str = typer.Option(None, "--dose-time", help="Time the dose was taken, HH:MM."),
    missed: bool = typer.Option(False, "--missed", help="The dose was missed today."),
    side_effect: list[str] = typer.Option(
        None, "--side-effect", help="vivid_dreams, insomnia, headache or nausea (repeatable)."
    ),
    med: list[str] = typer.Option(None, "--med", help="Other medication taken, as written (repeatable)."),
    notes: str = typer.Option(None, "--notes", help="Free notes."),
    replace: bool = typer.Option(
        False, "--replace", help="Correct an existing day (the old version is kept)."
    ),
    create: bool = typer.Option(False, "--create", help="Create the patient if missing."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Add one diary day (medications are screened against LDN at once)."""
    import datetime as dt

    entry = {
        "date": date or dt.date.today().isoformat(),
        "pain_avg": pain,
        "pain_worst": worst,
        "sleep": sleep,
        "fatigue": fatigue,
        "mood": mood,
        "dose_mg": dose,
        "dose_time": dose_time,
        "missed_dose": missed,
        "other_medications": list(med or []),
        "notes": notes,
    }
    for se in side_effect or []:
        key = se.strip().lower().replace("-", "_").replace(" ", "_")
        if key not in SIDE_EFFECTS:
            raise InputError("side_effect", f"unknown side effect {se!r}", accepted=", ".join(SIDE_EFFECTS))
        entry[key] = True
    with open_store(db) as s:
        if create and patient not in {p["patient_id"] for p in s.patients()}:
            s.add_patient(patient)
        r = s.add_entry(patient, entry, replace=replace)
    lines = [f"stored {r['date']} for {patient}"]
    for a in r["alerts"]:
        lines.append(f"[{a['severity'].upper()}] {a['medication']}: {a['message']}")
        if a["severity"] != "unknown":
            lines.append(f"  Management: {a['management']} (evidence {a['evidence']})")
    _out(r, json_out, "\n".join(lines))


@diary_app.command("weekly")
def weekly(
    patient: str = typer.Argument(..., help="Patient pseudonym."),
    week_start: str = typer.Option(..., "--week-start", help="First day of the week rated (YYYY-MM-DD)."),
    form: str = typer.Option("6a", "--form", help="PROMIS Pain Interference short form: 4a, 6a or 8a."),
    item: list[str] = typer.Option(None, "--item", help="CODE=RESPONSE, e.g. PAININ9=3 (1-5; repeatable)."),
    fiqr: str = typer.Option(None, "--fiqr", help="FIQR: 21 comma-separated item values 0-10 instead."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Record a weekly PROMIS Pain Interference form (by item code) or an FIQR (item values)."""
    with open_store(db) as s:
        if fiqr:
            try:
                vals = [float(x) for x in fiqr.split(",")]
            except ValueError:
                raise InputError(
                    "fiqr", "not a list of numbers", accepted="21 values 0-10", value=fiqr
                ) from None
            r = s.add_fiqr(patient, {"date": week_start, "items": vals})
            text = f"FIQR total {r['total']:.1f} / 100"
        else:
            resp = {}
            for it in item or []:
                code, _, val = it.partition("=")
                code = code.strip().upper()
                if code in resp:  # a second answer to the same item would silently replace the first
                    raise InputError(
                        "item", f"{code} given more than once", accepted="each item once", value=it
                    )
                try:
                    resp[code] = int(val)
                except ValueError:
                    raise InputError(
                        "item", "expected CODE=RESPONSE", accepted="e.g. PAININ9=3", value=it
                    ) from None
            r = s.add_promis(patient, {"week_start": week_start, "form": form, "responses": resp})
            text = f"PROMIS Pain Interference {form} raw score {r['raw_score']}"
    _out(r, json_out, text)


@diary_app.command("list")
def list_(
    patient: str = typer.Argument(None, help="A patient: list their entries; none: list the patients."),
    clinician: str = typer.Option(None, "--clinician", help="Only this clinician's patients."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """List patients, or one patient's diary entries."""
    with open_store(db) as s:
        if patient is None:
            pats = s.patients(clinician_id=clinician)
            text = "\n".join(
                f"{p['patient_id']:<16} {p['n_entries']:>5} entries  {p['first_date'] or '-'} .. "
                f"{p['last_date'] or '-'}  clinician {p['clinician_id'] or '-'}"
                for p in pats
            )
            _out({"patients": pats, "db": s.url}, json_out, text or "no patients")
            return
        df = s.entries(patient)
        recs = json.loads(
            df.reset_index()
            .assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d"))
            .to_json(orient="records")
        )
        alerts = s.alerts(patient)
    cols = ["pain_avg", "pain_worst", "sleep", "fatigue", "mood", "dose_mg", "missed_dose", "med_severity"]
    text = df[cols].to_string() if len(df) else "no entries"
    if alerts:
        text += "\n" + "\n".join(f"[{a['severity'].upper()}] {a['date']} {a['medication']}" for a in alerts)
    _out({"patient_id": patient, "entries": recs, "alerts": alerts}, json_out, text)


@diary_app.command("export")
def export(
    patient: str = typer.Argument(..., help="Patient pseudonym."),
    format: str = typer.Option(
        "json", "--format", help="json (complete), csv (daily entries) or fhir (R4 Bundle)."
    ),
    out: Path = typer.Option(None, "--out", help="Write to this file (default: stdout)."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Export everything stored for one patient."""
    with open_store(db) as s:
        data = s.export(patient, format)
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=1, default=str)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        _out({"patient_id": patient, "format": format, "out": str(out)}, json_out, f"wrote {out}")
    elif json_out:
        emit_json({"patient_id": patient, "format": format, "data": data, "disclaimer": DISCLAIMER})
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@diary_app.command("import")
def import_(
    patient: str = typer.Argument(..., help="Patient pseudonym (created when missing)."),
    file: Path = typer.Argument(..., help="File to import."),
    format: str = typer.Option(None, "--format", help="json, csv or fhir (default: from the file)."),
    replace: bool = typer.Option(False, "--replace", help="Replace days already stored (old versions kept)."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Import a diary (ldnsim JSON export, CSV or FHIR R4 Bundle); all rows checked before any is stored."""
    if not file.is_file():
        raise InputError("file", "no such file", value=str(file))
    text = file.read_text(encoding="utf-8")
    fmt = format or (
        "csv" if file.suffix.lower() == ".csv" else ("fhir" if '"resourceType"' in text[:2000] else "json")
    )
    with open_store(db) as s:
        r = s.import_data(patient, text, fmt, replace=replace)
    _out(
        r,
        json_out,
        f"imported into {patient}: {r['added']} added, {r['replaced']} replaced, "
        f"{r['skipped']} already stored (skipped), {r['promis']} PROMIS, {r['fiqr']} FIQR",
    )


@diary_app.command("delete")
def delete(
    patient: str = typer.Argument(..., help="Patient pseudonym."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: delete all of this patient's data."),
    db: str = _DB,
    json_out: bool = _JSON,
) -> None:
    """Delete a patient and all of their data (export first if you want a copy)."""
    if not yes:
        raise InputError(
            "yes", "deleting a patient removes all their data; confirm with --yes", accepted="--yes"
        )
    with open_store(db) as s:
        r = s.delete_patient(patient)
    _out(r, json_out, f"deleted {patient}: " + ", ".join(f"{v} {k}" for k, v in r["deleted"].items()))
