"""Clinical commands: ``check``, ``hold``, ``restart``, ``titrate``, ``compound``, ``serve`` (web app).

Every output (text and JSON) carries the disclaimer; bad input raises InputError → exit 2.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from ._app import DISCLAIMER, app, emit_json

_JSON = typer.Option(False, "--json", help="Print one JSON document.")
_MARK = {"critical": "CRITICAL", "warning": "WARNING", "unknown": "UNKNOWN", "info": "info", "none": "none"}


def _sources_text(sources: list[dict]) -> str:
    return "; ".join(f"[{s['grade']}] {s['cite']} <{s['url']}>" for s in sources) or "—"


@app.command("check")
def check(
    meds: list[str] = typer.Argument(
        None, help="Medication entries as written, e.g. 'Percocet 5/325 q6h prn'."
    ),
    fhir: Path = typer.Option(
        None, "--fhir", help="FHIR Bundle (JSON) of MedicationRequest/MedicationStatement."
    ),
    hepatic: str = typer.Option(None, "--hepatic", help="Patient context: none|mild|moderate|severe|acute."),
    egfr: float = typer.Option(None, "--egfr", help="Patient context: eGFR in mL/min."),
    pregnant: bool = typer.Option(
        False, "--pregnant", help="Patient context: pregnant or trying to conceive."
    ),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Patient context: breastfeeding."),
    cyp2d6: str = typer.Option(None, "--cyp2d6", help="Patient context: CYP2D6 phenotype pm|im|em|um."),
    refs: str = typer.Option(None, "--refs", help="Export the references: bibtex | ris."),
    json_out: bool = _JSON,
) -> None:
    """Screen a medication list against LDN (opioids and other interactions)."""
    from ..clinical.fhir import entries_from_fhir, load_bundle
    from ..clinical.monitoring import cautions_for
    from ..clinical.screen import screen

    entries: list = list(meds or [])
    if fhir is not None:
        entries += entries_from_fhir(load_bundle(fhir))
    if not entries:
        raise InputError(
            "medications",
            "the medication list is empty",
            accepted="one or more MED arguments and/or --fhir FILE",
        )
    if cyp2d6 is not None:
        from ..clinical.patient import Patient

        cyp2d6 = Patient(cyp2d6=cyp2d6).cyp2d6
    doc = screen(entries, cyp2d6=cyp2d6)
    doc["cautions"] = cautions_for(
        doc, hepatic=hepatic, egfr=egfr, pregnant=pregnant, breastfeeding=breastfeeding
    )
    from ..clinical.references import collect, export, grade_legend

    references = collect([doc["medications"], doc["cautions"]])
    number = {r["url"] + r["cite"]: i for i, r in enumerate(references, 1)}
    for m in doc["medications"]:
        m["refs"] = [number[s["url"] + s["cite"]] for s in m["sources"]]
    doc["references"] = references
    doc["evidence_grades"] = grade_legend([r["grade"] for r in references])
    if refs is not None:
        text = export(references, refs)
        if not json_out:
            typer.echo(text, nl=False)
            return
        doc["references_export"] = {"format": refs.lower(), "text": text}
    if json_out:
        emit_json(doc)
        return
    typer.echo(f"LDN medication check — highest severity: {doc['highest_severity'].upper()}")
    for m in doc["medications"]:
        ings = ", ".join(m["ingredients"]) or "not recognised"
        typer.echo(f"\n[{_MARK[m['severity']]}] {m['input']}  →  {ings}")
        typer.echo(f"  {m['summary']}")
        typer.echo(f"  What to do: {m['management']}")
        typer.echo(f"  Evidence {m['evidence']}; references " + " ".join(f"[{i}]" for i in m["refs"]))
        fd = m.get("formulation_detail")
        if fd and m["severity"] == "critical":
            src = f" [{fd['cite']}]" if fd.get("cite") else (" [assumed]" if fd.get("assumed") else "")
            typer.echo(f"  Formulation: {fd['label']} — {fd['why']}{src}")
        for c in m.get("candidates") or []:
            typer.echo(f"  Could be: {c['name']} ({', '.join(c['ingredients'])})")
        for n in m["notes"]:
            typer.echo(f"  Note: {n}")
        typer.echo(f"    Detail: {m['mechanism']}")
    if doc["cautions"]:
        typer.echo("\nCautions and monitoring:")
        for c in doc["cautions"]:
            typer.echo(f"  [{c['severity']}] {c['summary']} (evidence {c['evidence']})")
    typer.echo("\nEvidence grades: " + doc["evidence_grades"])
    typer.echo("References:")
    for i, r in enumerate(references, 1):
        ids = ", ".join(f"{k} {v}" for k, v in r["identifiers"].items())
        typer.echo(f"  [{i}] {r['cite']} <{r['url']}>" + (f" ({ids})" if ids else "") + f" [{r['grade']}]")
    typer.echo(f"\n{DISCLAIMER}")


def _opt_seed():
    return typer.Option(None, "--seed", help="Seed of the virtual population (default: the shipped seed).")


def _patient_opts():
    return {
        "weight": typer.Option(None, "--weight", help="Body weight, kg (20-300)."),
        "hepatic": typer.Option(None, "--hepatic", help="none|mild|moderate|severe (Child-Pugh)."),
        "egfr": typer.Option(None, "--egfr", help="eGFR, mL/min (1-200)."),
        "cyp2d6": typer.Option(None, "--cyp2d6", help="pm|im|em|um."),
        "age": typer.Option(None, "--age", help="Age, years (0-120)."),
    }


_P = _patient_opts()


def _patient_kw(weight, hepatic, egfr, cyp2d6, age) -> dict:
    """The patient options (``_P``) as the clinical API's keyword names, the same for every command."""
    return {"weight_kg": weight, "hepatic": hepatic, "egfr_ml_min": egfr, "cyp2d6": cyp2d6, "age_years": age}


def _ref_numbers(items: object) -> tuple[list[dict], dict[str, int]]:
    """Every reference in ``items`` once, and its number by url+cite."""
    from ..clinical.references import collect

    refs = collect(items)
    return refs, {r["url"] + r["cite"]: i for i, r in enumerate(refs, 1)}


def _echo_references(items: object) -> None:
    """Evidence grades explained once, then each reference once (numbered in order of first use)."""
    from ..clinical.references import collect, grade_legend

    refs = collect(items)
    typer.echo("Evidence grades: " + grade_legend([r["grade"] for r in refs]))
    typer.echo("References:")
    for i, r in enumerate(refs, 1):
        typer.echo(f"  [{i}] {r['cite']} <{r['url']}> [{r['grade']}]")


def _echo_warnings(doc: dict) -> None:
    for wmsg in doc.get("warnings") or []:
        typer.echo(wmsg)


@app.command("hold")
def hold(
    procedure_time: str = typer.Option(..., "--procedure-time", help="ISO date-time of the procedure."),
    dose: str = typer.Option(
        ..., "--dose", help="Current naltrexone dose, e.g. 4.5mg, 50mg, 380mg (injection)."
    ),
    form: str = typer.Option(
        None, "--form", help="oral (daily tablet/capsule/liquid) | injection (monthly ER naltrexone)."
    ),
    dose_time: str = typer.Option("22:00", "--dose-time", help="Usual time of the dose (HH:MM)."),
    weight: float = _P["weight"],
    hepatic: str = _P["hepatic"],
    egfr: float = _P["egfr"],
    cyp2d6: str = _P["cyp2d6"],
    age: float = _P["age"],
    seed: int = _opt_seed(),
    json_out: bool = _JSON,
) -> None:
    """When to take the last LDN/naltrexone dose before surgery (model beside published guidance)."""
    from ..clinical.hold import plan_hold

    doc = plan_hold(
        procedure_time,
        dose,
        **_patient_kw(weight, hepatic, egfr, cyp2d6, age),
        form=form,
        dose_time=dose_time,
        seed=seed,
    )
    if json_out:
        emit_json(doc)
        return
    r = doc["recommendation"]
    _echo_warnings(doc)
    product = "extended-release injection" if doc["product"] == "injection" else doc["dose_band"]
    typer.echo(f"Procedure {doc['procedure_text']}; naltrexone {doc['dose_mg']:g} mg ({product})")
    typer.echo(r["plain"])
    typer.echo(f"  (hold {r['hold_days']:g} days = {r['hold_hours']:g} h; basis: {r['basis']})")
    typer.echo(f"Why: {r['why']}")
    parts = [doc["guidance"], doc["depot"]]
    _, num = _ref_numbers(parts)
    if doc["guidance"]:
        typer.echo("Published guidance:")
        for g in doc["guidance"]:
            mark = "used" if g["used"] else ("UNVERIFIED, not used" if g["unverified"] else "other dose band")
            refs = " ".join(f"[{num[s_['url'] + s_['cite']]}]" for s_ in g["sources"])
            typer.echo(f"  {g['hours']:g} h [{g['evidence']}] {g['claim']} {refs} ({mark})")
    if doc["depot"]:
        d = doc["depot"]
        refs = " ".join(f"[{num[s_['url'] + s_['cite']]}]" for s_ in d["sources"])
        span = f"{d['hold_days_lo']:g}–{d['hold_days_hi']:g}"
        typer.echo(f"ER injection: {span} days from the last injection {refs}")
    m = doc["model"]
    if m.get("available"):
        typer.echo(
            f"  Model detail: p{m['percentile']:g} μ occupancy < {m['threshold']:.0%} after "
            f"{m['hours_after_last_dose']:g} h (n={m['n_patients']}, seed {m['seed']})"
        )
    else:
        typer.echo(f"  Model detail: not run ({m['reason']})")
    for n in doc["notes"]:
        typer.echo(f"Note: {n}")
    _echo_references(parts)
    typer.echo(DISCLAIMER)


@app.command("restart")
def restart(
    opioid: str = typer.Option(..., "--opioid", help="The opioid as written, e.g. 'oxycodone 10 mg q6h'."),
    last_dose: str = typer.Option(
        ..., "--last-dose", help="ISO date-time of the last opioid dose (patch removal)."
    ),
    course_days: float = typer.Option(None, "--course-days", help="How long the opioid was taken (days)."),
    dose_time: str = typer.Option("22:00", "--dose-time", help="Usual time of the LDN dose (HH:MM)."),
    weight: float = _P["weight"],
    hepatic: str = _P["hepatic"],
    egfr: float = _P["egfr"],
    cyp2d6: str = _P["cyp2d6"],
    age: float = _P["age"],
    seed: int = _opt_seed(),
    json_out: bool = _JSON,
) -> None:
    """Earliest (re)start of LDN after opioids (label rule beside the model; the later wins)."""
    from ..clinical.restart import plan_restart

    doc = plan_restart(
        opioid,
        last_dose,
        **_patient_kw(weight, hepatic, egfr, cyp2d6, age),
        course_days=course_days,
        dose_time=dose_time,
        seed=seed,
    )
    if json_out:
        emit_json(doc)
        return
    r = doc["recommendation"]
    _echo_warnings(doc)
    typer.echo(
        f"Opioid: {doc['opioid']} → {', '.join(doc['ingredients'])} ({doc['category']}); "
        f"last dose {doc['last_dose_text']}"
    )
    typer.echo(r["plain"])
    if r["earliest_ldn_start"] is not None:
        typer.echo(f"  ({r['opioid_free_days']:g} opioid-free days; basis: {r['basis']})")
    typer.echo(f"Why: {r['why']}")
    fd = doc["formulation"]
    pk = fd.get("pk") or {}
    typer.echo(
        f"Formulation: {fd['label']} ({fd['by']}"
        + (f" '{fd['matched']}'" if fd.get("matched") else "")
        + (f"); modelled as {pk['used']}" if pk.get("used") else "); not modelled")
        + (" (conservative fallback)" if pk.get("fallback") else "")
    )
    lab = doc["label_rule"]
    parts = [lab["provenance"], doc["screen"]["sources"]]
    _, num = _ref_numbers(parts)
    typer.echo(f"Label rule: {lab['days_lo']:g}–{lab['days_hi']:g} days [{lab['evidence']}]")
    for p in lab["provenance"]:
        typer.echo(
            f"  {p['end']}: "
            + (f"ASSUMED — {p['reason']}" if p.get("assumed") else f"[{num[p['url'] + p['cite']]}]")
        )
    m = doc["model"]
    typer.echo(
        f"  Model detail: {m['hours_after_last_dose']:g} h"
        if m.get("available")
        else f"  Model detail: not run ({m['reason']})"
    )
    for n in doc["notes"]:
        typer.echo(f"Note: {n}")
    _echo_references(parts)
    typer.echo(DISCLAIMER)


@app.command("acute-pain")
def acute_pain(
    dose: str = typer.Option(
        ..., "--dose", help="The patient's naltrexone dose, e.g. 4.5mg, 50mg, 380mg (injection)."
    ),
    last_dose: str = typer.Option(..., "--last-dose", help="ISO date-time of the last LDN dose / injection."),
    form: str = typer.Option(None, "--form", help="oral | injection (monthly ER naltrexone)."),
    now: str = typer.Option(None, "--now", help="ISO date-time to plan for (default: the current time)."),
    weight: float = _P["weight"],
    hepatic: str = _P["hepatic"],
    egfr: float = _P["egfr"],
    cyp2d6: str = _P["cyp2d6"],
    age: float = _P["age"],
    seed: int = _opt_seed(),
    json_out: bool = _JSON,
) -> None:
    """A patient on LDN needs analgesia now: stop LDN, non-opioids first, how long the blockade lasts."""
    from ..clinical.acute import acute_plan
    from ..clinical.when import parse_time

    plan = acute_plan(
        dose,
        last_dose,
        form=form,
        now=None if now is None else parse_time(now, "now"),
        **_patient_kw(weight, hepatic, egfr, cyp2d6, age),
        seed=seed,
    )
    doc = plan.to_dict()
    if json_out:
        emit_json(doc)
        return
    _echo_warnings(doc)
    typer.echo(doc["summary"])
    b = doc["blockade"]
    typer.echo(
        f"  Blockade taken to last {b['hours_after_last_dose']:g} h after the last dose ({b['basis']}): "
        f"{b['why']}"
    )
    for i, s_ in enumerate(doc["steps"], 1):
        typer.echo(f"{i}. {s_['title']} [{s_['evidence']}]")
        typer.echo(f"   {s_['action']}")
        typer.echo(f"   Why: {s_['why']}")
    _echo_references(doc["steps"])
    typer.echo(DISCLAIMER)


@app.command("titrate")
def titrate(
    preset: str = typer.Option(None, "--preset", help="Preset name (ldnrt-standard, ldnrt-sensitive, ...)."),
    start: str = typer.Option(None, "--start", help="Start dose, e.g. 1mg."),
    step: str = typer.Option(None, "--step", help="Step, e.g. 0.5mg."),
    every: str = typer.Option(None, "--every", help="Step interval, e.g. '7 days', '2 weeks'."),
    target: str = typer.Option(None, "--target", help="Target dose, e.g. 4.5mg."),
    form: str = typer.Option(None, "--form", help="capsule|liquid."),
    concentration: str = typer.Option(None, "--concentration", help="Liquid strength, e.g. 1mg/mL."),
    start_date: str = typer.Option(None, "--start-date", help="ISO date of the first dose (default today)."),
    med: list[str] = typer.Option(
        None, "--med", help="Other medication (repeatable): screened for cautions."
    ),
    hepatic: str = typer.Option(None, "--hepatic", help="none|mild|moderate|severe|cirrhosis|acute."),
    egfr: float = typer.Option(None, "--egfr", help="eGFR, mL/min."),
    pregnant: bool = typer.Option(False, "--pregnant", help="Pregnant or trying to conceive."),
    breastfeeding: bool = typer.Option(False, "--breastfeeding", help="Breastfeeding."),
    list_presets: bool = typer.Option(False, "--list-presets", help="List the presets and exit."),
    json_out: bool = _JSON,
) -> None:
    """Dated LDN titration schedule (mg; mL for liquids) with side-effect rules and cautions."""
    from ..clinical.titrate import plan_titration, presets, schedule_text

    if list_presets:
        rows = {k: v["title"] for k, v in presets().items()}
        if json_out:
            emit_json({"presets": rows, "disclaimer": DISCLAIMER})
        else:
            for k, v in rows.items():
                typer.echo(f"{k:18} {v}")
            typer.echo(DISCLAIMER)
        return
    doc = plan_titration(
        preset,
        start=start,
        step=step,
        every=every,
        target=target,
        form=form,
        concentration=concentration,
        start_date=start_date,
        meds=list(med or []),
        hepatic=hepatic,
        egfr=egfr,
        pregnant=pregnant,
        breastfeeding=breastfeeding,
    )
    if json_out:
        emit_json(doc)
    else:
        typer.echo(schedule_text(doc))


@app.command("compound")
def compound(
    dose: str = typer.Option(..., "--dose", help="Naltrexone HCl per dose, e.g. 4.5mg or 250mcg."),
    form: str = typer.Option(..., "--form", help="capsule|liquid|topical."),
    concentration: str = typer.Option(None, "--concentration", help="Liquid strength, e.g. 1mg/mL."),
    days: int = typer.Option(30, "--days", help="Days of supply."),
    json_out: bool = _JSON,
) -> None:
    """Compounding specification (immediate release only; filler; dilution; storage). Printable."""
    from ..clinical.compound import compound_spec, spec_text

    doc = compound_spec(dose, form, concentration=concentration, days=days)
    if json_out:
        emit_json(doc)
    else:
        typer.echo(spec_text(doc))


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (default localhost only)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    allowed_host: list[str] = typer.Option(
        None, "--allowed-host", help="Extra Host header to accept (repeatable; default: localhost names)."
    ),
    secure_cookies: bool = typer.Option(
        True,
        "--secure-cookies/--no-secure-cookies",
        help="Mark the session cookie Secure (browsers accept it on https and on localhost).",
    ),
    trial_workers: int = typer.Option(1, "--trial-workers", help="Virtual trials run at once (1-8)."),
    diary_db: str = typer.Option(
        None, "--diary-db", help="Diary database (file or SQLAlchemy URL; default: ldnsim diary's default)."
    ),
    accounts_db: Path = typer.Option(
        None, "--accounts-db", help="Web accounts file (default: web-accounts.sqlite beside the diary file)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the service description (one JSON document)."),
) -> None:
    """Run the web app and the CDS Hooks service (discovery at /cds-services). Localhost by default."""
    try:
        import uvicorn

        from ..web.app import LOCAL_HOSTS, create_app
    except ImportError as exc:  # pragma: no cover - optional extra
        raise InputError("serve", f"needs the web extra (pip install 'ldnsim[web]'): {exc}") from exc
    if not (0 < port < 65536):
        raise InputError("port", "out of range", accepted="1-65535", value=port)
    if not (1 <= trial_workers <= 8):
        raise InputError("trial-workers", "out of range", accepted="1-8", value=trial_workers)
    hosts = tuple(LOCAL_HOSTS) + tuple(allowed_host or ())
    if host not in ("0.0.0.0", "::"):
        hosts += (host,)
    base = f"http://{host}:{port}"
    diary_url, accounts_url = _web_databases(diary_db, accounts_db)
    if json_out:
        from ..web.cds_hooks import discovery

        emit_json(
            {
                "app_url": base + "/",
                "discovery_url": base + "/cds-services",
                **discovery(),
                "disclaimer": DISCLAIMER,
            }
        )
    else:
        typer.echo(f"ldnsim web app on {base}/ and CDS Hooks on {base}/cds-services — {DISCLAIMER}")
    app_ = create_app(
        allowed_hosts=hosts,
        secure_cookies=secure_cookies,
        trial_workers=trial_workers,
        diary_url=diary_url,
        accounts_url=accounts_url,
    )
    uvicorn.run(app_, host=host, port=port, log_level="warning")


def _web_databases(diary_db: str | None, accounts_db: Path | None) -> tuple[str, str]:
    """(diary URL, accounts URL): the diary's default store, and the accounts file beside it."""
    from ..diary import default_path, default_url

    diary_url = diary_db or default_url()
    if accounts_db is None:
        # beside the diary file; for the default diary, in the per-user folder the diary store makes too
        if diary_db and "://" not in diary_db:
            accounts_db = Path(diary_db).with_name("web-accounts.sqlite")
        else:
            accounts_db = default_path().with_name("web-accounts.sqlite")
            if not diary_db:
                accounts_db.parent.mkdir(parents=True, exist_ok=True)
    if not accounts_db.parent.is_dir():
        raise InputError("accounts-db", "its folder does not exist", value=str(accounts_db))
    return diary_url, f"sqlite:///{accounts_db}"


@app.command("web-user")
def web_user(
    username: str = typer.Argument(..., help="Login name (2-64 letters, digits, _ . @ -)."),
    role: str = typer.Option(..., "--role", help="patient | clinician."),
    patient: str = typer.Option(None, "--patient", help="Diary patient id (patient accounts)."),
    clinician: str = typer.Option(None, "--clinician", help="Clinician id (clinician accounts)."),
    diary_db: str = typer.Option(None, "--diary-db", help="Diary database, as for serve."),
    accounts_db: Path = typer.Option(None, "--accounts-db", help="Web accounts file, as for serve."),
    json_out: bool = _JSON,
) -> None:
    """Add a web-app account; the password is read from $LDNSIM_PASSWORD or asked for (hidden)."""
    import os

    from ..web.accounts import AccountStore

    _, accounts_url = _web_databases(diary_db, accounts_db)
    password = os.environ.get("LDNSIM_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    acct = AccountStore(accounts_url).add(
        username, password, role, patient_id=patient, clinician_id=clinician
    )
    doc = {"added": acct.session(), "accounts_db": accounts_url, "disclaimer": DISCLAIMER}
    if json_out:
        emit_json(doc)
    else:
        typer.echo(f"added {acct.role} account {acct.username!r} ({accounts_url})")
