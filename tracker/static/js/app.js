// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so screen-reader and keyboard users hear what to fix.
  const problems = document.getElementById("form-problems");
  if (problems) problems.focus();

  // Buttons with data-confirm ask before submitting (no inline handlers: CSP forbids them).
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });

  // Copy buttons: data-copy-target names the input whose value is copied.
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copyTarget);
      try {
        await navigator.clipboard.writeText(source.value || source.textContent);
        button.textContent = "Copied";
      } catch {
        source.select();
        button.textContent = "Press Ctrl+C to copy";
      }
    });
  });
});

// Intake: the tappable body map mirrors the region checkboxes (which work on their own).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("svg[data-bodymap]").forEach((map) => {
    const boxes = new Map();
    document.querySelectorAll('input[name="regions"]').forEach((box) => boxes.set(box.value, box));
    const paint = () => {
      map.querySelectorAll(".region").forEach((shape) => {
        const box = boxes.get(shape.dataset.region);
        shape.classList.toggle("on", Boolean(box && box.checked));
      });
    };
    map.addEventListener("click", (event) => {
      const shape = event.target.closest(".region");
      const box = shape && boxes.get(shape.dataset.region);
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    });
    boxes.forEach((box) => box.addEventListener("change", paint));
    map.hidden = false;
    paint();
  });

  // Questions only for some answers (fibromyalgia symptoms, "other" condition) hide until needed.
  const conditions = document.querySelectorAll('input[name="conditions"]');
  const toggle = () => {
    const ticked = new Set([...conditions].filter((b) => b.checked).map((b) => b.value));
    document.querySelectorAll("[data-show-with]").forEach((el) => {
      el.hidden = !ticked.has(el.dataset.showWith);
    });
  };
  if (conditions.length) {
    conditions.forEach((box) => box.addEventListener("change", toggle));
    toggle();
  }

  // A second tap on a submit button while the first is on its way does nothing.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
  // Pages restored from the back-forward cache must accept a new submit.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-once]").forEach((form) => delete form.dataset.sent);
  });
});
