"""The neuroimmune pain system: fast quasi-steady-state algebra and the slow ODEs.

Pure functions over an array namespace ``xp`` (``numpy`` or ``jax.numpy``): no in-place mutation,
no Python control flow on array values, so a jax engine can ``jit``/``vmap`` the same code.

Shapes: a state array ``y`` has the state axis last, ``(..., n_states)`` (normally
``(n_patients, n_states)``); drivers and parameters broadcast against ``y[..., 0]`` (e.g. drivers of
shape ``(n_sub, n_patients)`` with states ``(n_patients, n_states)`` evaluate every sub-step at once).

Every slow ODE is written in production–loss form ``dy/dt = P(y, d) − L(y, d)·y`` with ``P, L ≥ 0``,
which the exponential integrator in :mod:`._integrate` uses to keep states non-negative and the
fractions in [0, 1] by construction. Equations: docs/model.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "STATE_NAMES",
    "STATE_LABELS",
    "STATE_RANGES",
    "ALGEBRAIC_NAMES",
    "DRIVER_NAMES",
    "algebra",
    "production_loss",
    "production_loss_terms",
    "rhs",
    "healthy_state",
    "high_branch_start",
]

#: slow states, in the order of the state axis
STATE_NAMES: tuple[str, ...] = (
    "microglia",  # M: activated (M1-like) fraction of microglia, 0–1
    "microglia_resolving",  # Q: resolving (M2-like) fraction, 0–1
    "astrocytes",  # A: reactive astrocyte fraction, 0–1
    "il10",  # A10: IL-10/TGF-β pool, relative to healthy (1)
    "glt1",  # T: astrocytic glutamate uptake capacity (GLT-1/EAAT2), relative (1)
    "sensitisation",  # S: central sensitisation (synaptic gain), 0–1
    "latent_sensitisation",  # L: latent/structural sensitisation ("priming"), 0–1
    "endorphin",  # E: endogenous opioid peptide tone, relative (1)
    "mu_density",  # Rμ: μ-opioid receptor density, relative (1)
    "tolerance",  # Tol: agonist tolerance, 0–1
)
STATE_LABELS: dict[str, str] = {
    "microglia": "activated microglia (fraction)",
    "microglia_resolving": "resolving microglia (fraction)",
    "astrocytes": "reactive astrocytes (fraction)",
    "il10": "IL-10/TGF-β (relative)",
    "glt1": "GLT-1 uptake capacity (relative)",
    "sensitisation": "central sensitisation (0–1)",
    "latent_sensitisation": "latent sensitisation (0–1)",
    "endorphin": "endorphin tone (relative)",
    "mu_density": "μ-receptor density (relative)",
    "tolerance": "opioid tolerance (0–1)",
}
#: the range every state must stay in (checked by the tests; upper bounds follow from the equations)
STATE_RANGES: dict[str, tuple[float, float]] = {
    "microglia": (0.0, 1.0),
    "microglia_resolving": (0.0, 1.0),
    "astrocytes": (0.0, 1.0),
    "il10": (0.0, 50.0),
    "glt1": (0.0, 1.0),
    "sensitisation": (0.0, 1.0),
    "latent_sensitisation": (0.0, 1.0),
    "endorphin": (0.0, 10.0),
    "mu_density": (0.0, 10.0),
    "tolerance": (0.0, 1.0),
}
#: quasi-steady-state (algebraic) quantities reported beside the states
ALGEBRAIC_NAMES: tuple[str, ...] = (
    "cytokines",  # C: TNF-α/IL-1β pool, relative (healthy 1)
    "ros",  # X: NO/superoxide/peroxynitrite, relative (1)
    "glutamate",  # G: synaptic/extrasynaptic glutamate, relative (1)
    "nmda_drive",  # N: NMDA-mediated Ca²⁺ drive, relative (1)
    "opioid_tone",  # Φ: μ inhibitory tone (endogenous + agonist), relative to healthy (1)
    "firing",  # F: dorsal-horn output / nociceptive transmission, relative (1)
)
#: inputs from the receptor layer (fractions 0–1), each shaped like the patient axis or (n_sub, patients)
DRIVER_NAMES: tuple[str, ...] = (
    "mu_antagonist",  # o_X: μ occupancy by antagonists (naltrexone, 6β-naltrexol, naloxone)
    "mu_agonist",  # o_A: μ occupancy by agonists (opioids)
    "mu_endogenous",  # o_E: μ occupancy by endogenous peptides at endorphin tone 1
    "tlr4_inhibition",  # θ_T: glial TLR4 inhibition
    "tlr4_agonism",  # a_op: TLR4 agonism by opioids and metabolites
    "nmda_block",  # b_N: NMDA channel block (dextrorphan, DXM)
    "nox2_inhibition",  # i_X: microglial NOX2 inhibition (DXM)
    "uld_site",  # u: occupancy of the high-affinity (pM) antagonist site (ultra-low-dose regime)
)

IM, IQ, IA, I10, IT, IS, IL, IE, IR, ITOL = range(len(STATE_NAMES))


def _pos(x: Any, xp: Any) -> Any:
    return xp.maximum(x, 0.0)


def healthy_state(xp: Any, n_patients: int) -> Any:
    """The healthy resting state, shape (n_patients, n_states): fractions 0, relative levels 1."""
    one = xp.ones((n_patients,))
    zero = xp.zeros((n_patients,))
    return xp.stack([zero, zero, zero, one, one, zero, zero, one, one, zero], axis=-1)


def high_branch_start(xp: Any, n_patients: int) -> Any:
    """A state on the chronic side of the separatrix, from which the untreated steady state is found."""
    h = healthy_state(xp, n_patients)
    bump = xp.asarray([0.6, 0.0, 0.6, 0.0, 0.0, 0.9, 0.8, 0.0, 0.0, 0.0])
    return h + bump[None, :]


def _mu_competition(y: Any, d: Mapping[str, Any], xp: Any, drug_on: Any = 1.0) -> tuple[Any, Any, Any]:
    """Re-solve competitive μ binding for the current endorphin tone E.

    The receptor layer reports occupancies at endorphin tone 1. For competitive binding
    ``o_i = r_i / (1 + Σ r_j)``, so the ratios ``r_i = o_i / f`` with free fraction ``f = 1 − Σ o_j``;
    with tone E the endogenous ratio becomes ``E·r_E``. Returns (o_E, o_A, o_X) at tone E.
    """
    oe, oa, ox = d["mu_endogenous"], d["mu_agonist"], d["mu_antagonist"]
    free = xp.maximum(1.0 - oe - oa - ox, 1e-9)
    re, ra, rx = oe / free, oa / free, drug_on * ox / free  # drug_on = 0: as if no antagonist bound
    e = y[..., IE]
    den = 1.0 + e * re + ra + rx
    return e * re / den, ra / den, rx / den


def algebra(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any,
            readout: bool = True) -> dict[str, Any]:
    """Quasi-steady-state quantities (cytokines … firing) and the pain readout for states ``y``.

    Units: all relative to healthy (1) except ``pain_nrs`` (0–10 NRS) and the occupancies (0–1).
    ``readout=False`` skips the pain readout (``pain_nrs`` is then ``None``; the ODEs do not use it).
    """
    m, a, a10, t = y[..., IM], y[..., IA], y[..., I10], y[..., IT]
    s, lat, rmu, tol = y[..., IS], y[..., IL], y[..., IR], y[..., ITOL]
    # cytokines (TNF-α/IL-1β): production by activated microglia and astrocytes, braked by IL-10
    c = (1.0 + p["s_M"] * m + p["s_A"] * a) / (1.0 + p["kappa_C10"] * _pos(a10 - 1.0, xp))
    cx = _pos(c - 1.0, xp)
    # reactive oxygen/nitrogen species: microglial NOX2 (inhibited by DXM) and cytokine-induced iNOS
    x = 1.0 + p["s_X"] * m * (1.0 - d["nox2_inhibition"]) + p["s_XC"] * cx
    xx = x - 1.0
    # glutamate: release / effective uptake (peroxynitrite nitrates and inactivates GLT-1)
    periph = p["peripheral_drive"]
    rel = 1.0 + p["rho_C"] * cx + p["rho_P"] * _pos(periph - 1.0, xp)
    u_eff = t * (1.0 - p["chi_X"] * xx / (p["K_X"] + xx))
    g = rel / xp.maximum(u_eff, 1e-6)
    # NMDA drive: saturating receptor activation normalised to 1 at G = 1, channel block, IL-1β potentiation
    n_g = p["n_G"]
    kg = p["K_G"] ** n_g
    gn = g**n_g  # each power once: the same numbers, a third fewer transcendental calls
    hill = gn / (kg + gn) * (kg + 1.0)
    # astrocytic gliotransmission (D-serine co-agonist) raises NMDA drive in reactive states
    nmda = (1.0 - d["nmda_block"]) * hill * (1.0 + p["phi_C"] * cx) * (1.0 + p["phi_A"] * a)
    # μ inhibitory tone: endogenous + agonist (reduced by tolerance), times receptor density
    o_e, o_a, o_x = _mu_competition(y, d, xp, p["drug_on"])
    phi_raw = rmu * (o_e + p["e_A"] * o_a * (1.0 - tol))
    phi = phi_raw / p["phi0"]
    # operational model (receptor reserve, transducer ratio τ_μ): inhibition saturates with stimulus
    tau = p["tau_mu"]
    inh = tau * phi / (1.0 + tau * phi)
    inh0 = tau / (1.0 + tau)
    # dorsal-horn output: peripheral input × NMDA drive × synaptic gain, divided by opioid inhibition
    # (symmetric around healthy tone: losing endogenous tone raises F, extra tone lowers it)
    gain = 1.0 + p["g_S"] * s + p["g_L"] * lat
    inhib = (1.0 + p["g_Phi"] * inh0) / (1.0 + p["g_Phi"] * inh)
    # glial disinhibition: microglial BDNF → KCC2 loss, IL-1β → less GABA synthesis
    disinhib = 1.0 + p["g_C"] * cx
    f = periph * nmda * gain * inhib * disinhib
    fx = _pos(f - 1.0, xp)
    h = p["h_pain"]
    if readout:
        fh = fx**h
        pain = 10.0 * fh / (p["Z50"] ** h + fh)
    else:
        pain = None
    return {
        "cytokines": c,
        "ros": x,
        "glutamate": g,
        "nmda_drive": nmda,
        "opioid_tone": phi,
        "firing": f,
        "pain_nrs": pain,
        "mu_endogenous_eff": o_e,
        "mu_agonist_eff": o_a,
        "mu_antagonist_eff": o_x,
    }


def production_loss(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any,
                    alg: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
    """Production ``P`` and first-order loss rate ``L`` (both ≥ 0, 1/h), each shaped like ``y``.

    ``dy/dt = P − L·y`` component-wise. ``alg``: the :func:`algebra` of ``(y, d, p)`` where the caller has
    it (the SBML export passes the names of its assignment rules); computed here otherwise.
    """
    prod, loss, f = production_loss_terms(y, d, p, xp, alg)
    z = 0.0 * f  # zeros of the full (sub-step × patient) shape: cheaper than broadcast_arrays
    return xp.stack([v + z for v in prod], axis=-1), xp.stack([v + z for v in loss], axis=-1)


def production_loss_terms(
    y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any, alg: Mapping[str, Any] | None = None,
) -> tuple[tuple[Any, ...], tuple[Any, ...], Any]:
    """The terms of :func:`production_loss` before stacking: (production per state, loss rate per state,
    firing ``F``). Each term has the shape its inputs broadcast to — ``(n_patients,)`` where it depends on
    the state only, ``(n_sub, n_patients)`` where it depends on a driver — so a caller that averages over
    the driver samples can skip the broadcast of the state-only terms. ``alg`` as in
    :func:`production_loss`."""
    if alg is None:
        alg = algebra(y, d, p, xp, readout=False)
    c, x, f = alg["cytokines"], alg["ros"], alg["firing"]
    cx = _pos(c - 1.0, xp)
    xx = _pos(x - 1.0, xp)
    fx = _pos(f - 1.0, xp)
    m, q, a, a10 = y[..., IM], y[..., IQ], y[..., IA], y[..., I10]
    s, tol = y[..., IS], y[..., ITOL]
    one = xp.ones_like(m)
    tlr4_on = p["tlr4_on"]
    # variant switches (system/variants.yaml): drug_on = 0 removes the antagonist's drivers ('null')
    o_x = p["drug_on"] * d["mu_antagonist"]
    theta = tlr4_on * p["drug_on"] * d["tlr4_inhibition"]
    a_op = tlr4_on * d["tlr4_agonism"]
    # microglia: TLR4-dependent drive (DAMPs scaled by ESR, opioid TLR4 agonism) is inhibited by θ_T;
    # TLR4-independent drive (e.g. CSF1/fractalkine from injured neurons) and activity-dependent drive
    drive = (p["glial_drive_tlr4"] + p["w_op"] * a_op) * (1.0 - theta) + p["glial_drive_other"]
    f2 = fx**2
    drive = drive + p["w_F"] * f2 / (p["K_F"] ** 2 + f2)
    # OGF–OGFr brake on glial activation (Zagon & McLaughlin): met-enkephalin (= opioid growth factor,
    # part of the endogenous opioid tone E) acting on OGFr (density ∝ Rμ, assumed) that naltrexone also
    # occupies (OGFr occupancy = its μ occupancy: an ASSUMED affinity). Transduced with reserve tau_ogf,
    # per sub-step, so the response depends on the time course of blockade: intermittent or partial
    # blockade keeps the brake (up-regulation compensates), continuous near-complete blockade removes it
    # and glia activate faster (24 h/day blockade accelerates proliferation in Zagon's models).
    s_ogf = y[..., IR] * y[..., IE] * (1.0 - o_x)
    t_o = p["tau_ogf"]
    brake = t_o * s_ogf / (1.0 + t_o * s_ogf)
    brake0 = t_o / (1.0 + t_o)
    ogf = (1.0 + p["g_ogf"] * brake0) / (1.0 + p["g_ogf"] * brake)
    act = p["k_M"] * drive * (1.0 + p["ogf_on"] * (ogf - 1.0))
    resolve = p["k_MQ"] * (1.0 + p["kappa_10"] * _pos(a10 - 1.0, xp))
    pm = act * _pos(1.0 - q, xp)
    lm = act + resolve + p["k_Md"]
    pq = resolve * m
    lq = p["k_Qd"] + pq  # Q ≤ 1: written as resolve·M·(1 − Q) − k_Qd·Q
    # reactive astrocytes: induced by activated microglia (IL-1α, TNF, C1q; Liddelow 2017), slow reversal
    ca = p["k_A"] * m / (p["K_AM"] + m)
    pa, la = ca, ca + p["k_Ad"]
    # IL-10/TGF-β: induced by resolving microglia and cytokines
    p10 = p["k_10"] * (1.0 + p["s_Q"] * q + p["s_C10"] * cx)
    l10 = p["k_10"] * one
    # GLT-1: repressed by cytokines (NF-κB, PKC endocytosis) and peroxynitrite
    pt = p["k_T"] / (1.0 + p["kappa_TC"] * cx + p["kappa_TX"] * xx)
    lt = p["k_T"] * one
    # central sensitisation: activity-dependent (threshold, cooperative) induction, decay slowed by astrocytes
    fs = fx ** p["n_S"]
    ind = p["k_S"] * fs / (p["K_S"] ** p["n_S"] + fs)
    ps = ind
    ls = ind + p["k_Sd"] / (1.0 + p["kappa_SA"] * a)
    # latent sensitisation ("priming"): fed by S, very slow reversal
    pl = p["k_L"] * s
    ll = p["k_L"] * s + p["k_Ld"]
    # endorphin tone and μ density: compensatory rise with antagonist occupancy. 'mu-rebound' variant
    # (rebound_on = 1): the rise is driven by the time spent above an occupancy threshold (a steep Hill
    # of the occupancy, averaged over the day's sub-steps = fraction of the day above theta_reb), so its
    # size depends on the time course of blockade, not on the mean occupancy
    o_n = o_x ** p["n_reb"]
    above = o_n / (p["theta_reb"] ** p["n_reb"] + o_n)
    up = (1.0 - p["rebound_on"]) * o_x + p["rebound_on"] * above
    pe = p["k_E"] * (1.0 + p["alpha_E"] * up)
    le = p["k_E"] * one
    pr = p["k_R"] * (1.0 + p["alpha_R"] * up)
    lr = p["k_R"] * one
    # tolerance: follows the agonist's signal (its stimulus before tolerance, relative to healthy tone,
    # through a saturating transducer tau_tol), faster up than down; the high-affinity antagonist
    # site (ultra-low-dose regime) slows its development
    s_a = y[..., IR] * p["e_A"] * alg["mu_agonist_eff"] / p["phi0"]
    sig_a = p["tau_tol"] * s_a / (1.0 + p["tau_tol"] * s_a)
    tol_target = p["tol_max"] * sig_a * (1.0 - p["chi_uld"] * d["uld_site"])
    k_tol = xp.where(tol_target > tol, p["k_ton"], p["k_toff"])
    ptol = k_tol * tol_target
    ltol = k_tol
    return (pm, pq, pa, p10, pt, ps, pl, pe, pr, ptol), (lm, lq, la, l10, lt, ls, ll, le, lr, ltol), f


def rhs(y: Any, d: Mapping[str, Any], p: Mapping[str, Any], xp: Any) -> Any:
    """``dy/dt`` (1/h), shaped like ``y`` (for reference integrators and tests)."""
    prod, loss = production_loss(y, d, p, xp)
    return prod - loss * y
