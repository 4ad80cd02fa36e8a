"""Virtual populations: reproducible, covariate frequencies as in population.yaml, IIV as specified."""

import numpy as np
import pytest

from ldnsim.errors import InputError
from ldnsim.population import sample_population


def test_same_seed_same_patients():
    a = sample_population(200, "fibromyalgia", 42)
    b = sample_population(200, "fibromyalgia", 42)
    assert a.equals(b)
    c = sample_population(200, "fibromyalgia", 43)
    assert not a["weight_kg"].equals(c["weight_kg"])


def test_covariates_and_iiv():
    df = sample_population(20000, "fibromyalgia", 1, sex="female", age_range=(18, 65))
    assert (df.sex == "female").all()
    assert df.age.between(18, 65).all()
    pm = (df.cyp2d6 == "pm").mean()
    assert 0.06 < pm < 0.08  # 7% poor metabolisers (population.yaml)
    assert set(df.cyp2d6) <= {"pm", "im", "em", "um"}
    assert set(df.hepatic) <= {"none", "mild"}
    assert not df.concomitant_opioid.any()  # FM trials: opioids excluded
    # log-normal IIV with CV 0.3 on the disease drive: SD of eta = sqrt(log(1.09))
    assert np.std(df.eta_glial_drive) == pytest.approx(np.sqrt(np.log1p(0.09)), rel=0.05)
    rho = np.corrcoef(df.eta_glial_drive, df.eta_k_Sd)[0, 1]
    assert -0.4 < rho < -0.2
    assert df.adherence.between(0, 1).all()
    assert (df.placebo_responsiveness >= 0).all()


def test_params_override_typical_values():
    df = sample_population(
        500, "fibromyalgia", 3, params={"k_Sd": 0.002, "glial_drive": 1.0}, iiv_cv={"k_Sd": 0.0}
    )
    assert np.allclose(df.k_Sd, 0.002)
    assert np.exp(np.log(df.glial_drive).mean()) == pytest.approx(1.0, rel=0.05)


@pytest.mark.parametrize(
    "kw", [{"n": 0}, {"n": 2.5}, {"n": 10, "sex": "x"}, {"n": 10, "iiv_cv": {"zz": 0.1}}]
)
def test_bad_input(kw):
    n = kw.pop("n")
    with pytest.raises(InputError):
        sample_population(n, "fibromyalgia", 0, **kw)


def test_esr_tail_is_clipped_to_the_models_range(monkeypatch):
    """The log-normal ESR passes 150 mm/h ~3 times per million patients; a 10-million-patient run met it.
    With the median moved to 150 mm/h half the draws would be out of range: all are clipped, none invalid."""
    import copy

    import ldnsim.population as pop
    from ldnsim.system import condition_params, resolve_params

    spec = copy.deepcopy(pop.population_spec())
    spec["covariates"]["esr_mm_h"]["median"]["value"] = 150.0
    monkeypatch.setattr(pop, "population_spec", lambda: spec)
    df = pop.sample_population(2000, "fibromyalgia", seed=1)
    esr = df["esr_mm_h"].to_numpy()
    assert esr.max() == 150.0 and (esr == 150.0).mean() > 0.3 and esr.min() > 0
    resolve_params(condition_params("fibromyalgia"), 2000, esr_mm_h=esr)  # accepted by the model


def test_out_of_range_esr_names_the_patients():
    import numpy as np
    import pytest

    from ldnsim.errors import InputError
    from ldnsim.system import condition_params, resolve_params

    esr = np.full(10, 12.0)
    esr[7] = 151.0
    with pytest.raises(InputError) as exc:
        resolve_params(condition_params("fibromyalgia"), 10, esr_mm_h=esr)
    assert "[7]" in str(exc.value) and "151" in str(exc.value)
