"""Diary pages: login, a phone-friendly daily entry form, the patient's trend, the clinician's view.

Every diary page needs a logged-in account (:mod:`ldnsim.web.accounts`). A patient reads and writes only
their own diary; a clinician reads the diaries of the patients whose record names their clinician id.
Any other diary answers 404 (whether it exists is not revealed). The diary page shows the N-of-1
analysis of :func:`ldnsim.nof1.analyse_patient` (the clinician also sees "more weeks" and the fitted
course). Logins are throttled per client and user name (5 failures in 5 minutes → 429). Entries are
stored through :class:`ldnsim.diary.DiaryStore`, which validates them (bad values → 400 naming the
field) and screens other medicines against LDN.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import threading

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from .forms import checkbox, form_with_csrf
from .render import render
from .security import csrf_token

__all__ = ["router", "trend_png", "ENTRY_FIELDS"]

router = APIRouter()
SCORES = [
    ("pain_avg", "Average pain today", "0 = no pain, 10 = worst imaginable"),
    ("pain_worst", "Worst pain today", "0 = no pain, 10 = worst imaginable"),
    ("sleep", "Sleep quality", "0 = worst, 10 = best"),
    ("fatigue", "Tiredness", "0 = none, 10 = worst"),
    ("mood", "Mood", "0 = worst, 10 = best"),
]
SIDE_EFFECTS = [
    ("vivid_dreams", "Vivid dreams"),
    ("insomnia", "Trouble sleeping"),
    ("headache", "Headache"),
    ("nausea", "Nausea"),
]
ENTRY_FIELDS = (
    [k for k, _, _ in SCORES] + ["dose_mg", "dose_time", "missed_dose"] + [k for k, _ in SIDE_EFFECTS]
)


class NotLoggedIn(Exception):
    pass


def _user(request: Request) -> dict:
    u = request.session.get("user")
    if not u:
        raise NotLoggedIn
    return u


def _may_read(request: Request, user: dict, patient_id: str) -> bool:
    if user["role"] == "patient":
        return user.get("patient_id") == patient_id
    if user["role"] == "clinician":
        try:
            p = request.app.state.diary.patient(patient_id)
        except InputError:
            return False
        return p.get("clinician_id") == user.get("clinician_id")
    return False


def _not_found(request: Request):
    return render(request, "error.html", {"title": "Not found", "message": "No such diary."}, 404)


def _login_redirect(request: Request):
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _reader(request: Request, patient_id: str, *, patient_only: bool = False) -> tuple[dict, Response | None]:
    """``(user, None)`` when the signed-in user may open this diary (only its patient when ``patient_only``);
    otherwise ``({}, refusal)``: the login redirect, or a 404 not revealing whether the diary exists."""
    try:
        user = _user(request)
    except NotLoggedIn:
        return {}, _login_redirect(request)
    if (patient_only and user["role"] != "patient") or not _may_read(request, user, patient_id):
        return {}, _not_found(request)
    return user, None


@router.get("/login")
def login_form(request: Request, next: str = "/diary"):
    return render(request, "login.html", {"next": next if _safe_next(next) else "/diary", "error": None})


def _safe_next(path: str) -> bool:
    return path.startswith("/") and not path.startswith("//") and "\\" not in path


@router.post("/login")
async def login(request: Request):
    form = await form_with_csrf(request)
    name = str(form.get("username") or "")[:64]
    password = str(form.get("password") or "")
    nxt = str(form.get("next") or "/diary")
    nxt = nxt if _safe_next(nxt) else "/diary"
    limiter = request.app.state.login_limiter
    key = f"{request.client.host if request.client else '?'}|{name.lower()}"
    wait = limiter.blocked_for(key)
    if wait > 0:
        msg = f"Too many failed logins; try again in {int(wait) + 1} s."
        return render(request, "login.html", {"next": nxt, "error": msg}, 429)
    acct = await run_in_threadpool(request.app.state.accounts.authenticate, name, password)
    if acct is None:
        limiter.failed(key)
        return render(request, "login.html", {"next": nxt, "error": "Wrong user name or password."}, 401)
    limiter.succeeded(key)
    request.session.clear()  # a fresh session (and CSRF token) after login: no session fixation
    request.session["user"] = acct.session()
    csrf_token(request)
    return RedirectResponse(nxt, status_code=303)


@router.post("/logout")
async def logout(request: Request):
    await form_with_csrf(request)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/diary")
def diary_home(request: Request):
    try:
        user = _user(request)
    except NotLoggedIn:
        return _login_redirect(request)
    if user["role"] == "patient":
        return RedirectResponse(f"/diary/p/{user['patient_id']}", status_code=303)
    patients = request.app.state.diary.patients(clinician_id=user["clinician_id"])
    return render(request, "diary_list.html", {"patients": patients})


def trend_png(df, title: str) -> str | None:
    """A data-URI PNG of daily pain (average and worst) with the LDN start marked; None without data."""
    if df is None or df.empty or df[["pain_avg", "pain_worst"]].dropna(how="all").empty:
        return None
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.2), dpi=100)
    ax = fig.add_subplot()
    x = df.index
    ax.plot(x, df["pain_avg"], marker="o", ms=3, lw=1.5, color="#0b57a4", label="average pain")
    if df["pain_worst"].notna().any():
        ax.plot(x, df["pain_worst"], lw=1, ls="--", color="#8a1010", label="worst pain")
    dosed = df["dose_mg"].fillna(0) > 0
    if dosed.any():
        ax.axvline(dosed[dosed].index[0], color="#1e5e2b", lw=1, ls=":", label="first LDN dose")
    ax.set_ylim(0, 10)
    ax.set_ylabel("pain (0-10)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@router.get("/diary/p/{patient_id}")
def diary_view(request: Request, patient_id: str):
    user, refusal = _reader(request, patient_id)
    if refusal is not None:
        return refusal
    store = request.app.state.diary
    patient = store.patient(patient_id)
    df = store.entries(patient_id)
    ctx = {
        "patient": patient,
        "plot": trend_png(df, f"Daily pain, {patient_id}"),
        "rows": list(df.tail(60).iloc[::-1].reset_index().to_dict("records")) if not df.empty else [],
        "alerts": store.alerts(patient_id)[:10],
        "is_patient": user["role"] == "patient",
        "analysis": _analysis(store, patient_id, clinician=user["role"] == "clinician"),
    }
    return render(request, "diary_view.html", ctx)


_PYPLOT = threading.Lock()  # the N-of-1 figure is drawn with pyplot, which is not thread-safe


def _analysis(store, patient_id: str, *, clinician: bool) -> dict:
    """The N-of-1 analysis (:func:`ldnsim.nof1.analyse_patient`); for a clinician with "more weeks"
    and the fitted-course figure. ``{"error": ...}`` when the diary cannot be analysed yet."""
    from .. import nof1

    try:
        doc, fit, series = nof1.analyse_patient(store, patient_id, weeks=(4, 8, 12) if clinician else ())
    except InputError as exc:
        return {"error": str(exc)}
    out: dict = {"doc": doc, "figure": None}
    if clinician:
        import matplotlib.pyplot as plt

        from ..nof1.report import figure

        with _PYPLOT:
            fig = figure(doc, fit, series)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90)
            plt.close(fig)
        out["figure"] = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return out


def _entry_from_form(form) -> dict:
    e: dict = {"date": str(form.get("date") or "").strip()}
    for k, _, _ in SCORES:
        v = str(form.get(k) or "").strip()
        if v:
            e[k] = v
    for k in ("dose_mg", "dose_time", "notes"):
        v = str(form.get(k) or "").strip()
        if v:
            e[k] = v
    e["missed_dose"] = checkbox(form, "missed_dose")
    for k, _ in SIDE_EFFECTS:
        e[k] = checkbox(form, k)
    meds = str(form.get("other_medications") or "").strip()
    if meds:
        e["other_medications"] = [m.strip() for m in meds.replace("\n", ";").split(";") if m.strip()]
    return e


@router.get("/diary/p/{patient_id}/entry")
def entry_form(request: Request, patient_id: str):
    _, refusal = _reader(request, patient_id, patient_only=True)
    if refusal is not None:
        return refusal
    return _entry_page(request, patient_id)


def _entry_page(request: Request, patient_id: str, values: dict | None = None, error: str | None = None):
    """The entry form; after a rejected entry, filled with what was typed and the reason (HTTP 400), so a
    patient's answers and notes are not lost to one out-of-range field."""
    ctx = {
        "patient_id": patient_id,
        "today": dt.date.today().isoformat(),
        "scores": SCORES,
        "side_effects": SIDE_EFFECTS,
        "values": values or {},
        "error": error,
    }
    return render(request, "diary_entry.html", ctx, 400 if error else 200)


@router.post("/diary/p/{patient_id}/entry")
async def entry_submit(request: Request, patient_id: str):
    try:
        user = _user(request)
    except NotLoggedIn:
        return _login_redirect(request)
    form = await form_with_csrf(request)
    if user["role"] != "patient" or not _may_read(request, user, patient_id):
        return _not_found(request)
    try:
        entry = _entry_from_form(form)
        replace = checkbox(form, "replace")
        await run_in_threadpool(request.app.state.diary.add_entry, patient_id, entry, replace=replace)
    except InputError as exc:
        if "application/json" in request.headers.get("accept", ""):
            raise  # the app's JSON 400
        typed = {k: str(v) for k, v in form.items() if k != "csrf"}
        return _entry_page(request, patient_id, typed, str(exc))
    return RedirectResponse(f"/diary/p/{patient_id}", status_code=303)
