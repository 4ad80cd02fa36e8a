// ldnsim web app: the only script besides htmx (no inline scripts; CSP script-src 'self').
"use strict";
function ldnsimInit(root) {
  // Send the browser's IANA time zone with forms that ask for it.
  let tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { tz = ""; }
  root.querySelectorAll("input[data-browser-tz]").forEach(function (el) {
    if (!el.value && tz) { el.value = tz; }
  });
  root.querySelectorAll("[data-print]").forEach(function (el) {
    if (!el.dataset.bound) { el.dataset.bound = "1"; el.addEventListener("click", function () { window.print(); }); }
  });
  // Fill the design YAML box from the chosen published design.
  root.querySelectorAll("select[data-yaml-target]").forEach(function (sel) {
    if (sel.dataset.bound) { return; }
    sel.dataset.bound = "1";
    sel.addEventListener("change", function () {
      const opt = sel.options[sel.selectedIndex];
      const box = document.getElementById(sel.dataset.yamlTarget);
      const src = document.getElementById("yaml-" + opt.value);
      if (box && src) { box.value = src.content.textContent; }
      syncUncertainty(opt.value);
    });
    syncUncertainty(sel.value);
  });
  // The uncertainty option (posterior draws, hypotheses) applies to pain-model designs only: disabled and
  // unticked for a Crohn's/MS preset, ticked again (the default) for a pain preset.
  function syncUncertainty(preset) {
    const box = root.querySelector("input[data-disease-presets]");
    if (!box) { return; }
    const disease = box.dataset.diseasePresets.split(" ").indexOf(preset) >= 0;
    if (disease) { box.checked = false; } else if (box.disabled) { box.checked = true; }
    box.disabled = disease;
  }
}
document.addEventListener("DOMContentLoaded", function () { ldnsimInit(document); });
document.addEventListener("htmx:afterSwap", function (ev) { ldnsimInit(ev.target); });
