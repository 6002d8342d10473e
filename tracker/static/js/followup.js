// Session record, routine follow-ups (progressive enhancement: the form works without this).
document.addEventListener("DOMContentLoaded", () => {
  // The last visit's note: a side panel on wide screens (open), a closed section on phones.
  const wide = window.matchMedia("(min-width: 60rem)");
  const panels = document.querySelectorAll("details[data-open-wide]");
  const fit = () => panels.forEach((panel) => { panel.open = wide.matches; });
  if (panels.length) {
    fit();
    wide.addEventListener("change", fit);
  }

  // Clinic phrases: one click puts the phrase at the cursor of its note section (at the end
  // when the section was never focused), set off by a space as the server does without script.
  document.querySelectorAll("[data-phrases-for]").forEach((picker) => {
    const area = document.getElementById(picker.dataset.phrasesFor);
    const chips = picker.querySelector(".phrase-chips");
    const fallback = picker.querySelector(".phrase-fallback");
    if (!area || !chips) return;
    chips.hidden = false;
    if (fallback) fallback.hidden = true;
    let touched = false;
    area.addEventListener("focus", () => { touched = true; });
    chips.addEventListener("click", (event) => {
      const chip = event.target.closest("button[data-phrase]");
      if (!chip) return;
      const text = area.value;
      const start = touched ? area.selectionStart : text.length;
      const end = touched ? area.selectionEnd : text.length;
      const before = text.slice(0, start);
      const after = text.slice(end);
      let phrase = chip.dataset.phrase;
      if (before && !/\s$/.test(before)) phrase = ` ${phrase}`;
      if (after && !/^\s/.test(after)) phrase += " ";
      area.setRangeText(phrase, start, end, "end");
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // One tick for a routine visit: "None" for adverse events and every needle counted out;
  // unticking it undoes what it set (and nothing the practitioner set by hand).
  const allClear = document.querySelector('input[name="all_clear"]');
  if (allClear) {
    let set = [];
    const flip = (box, on) => {
      box.checked = on;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    };
    allClear.addEventListener("change", () => {
      if (!allClear.checked) {
        set.forEach((box) => flip(box, false));
        set = [];
        return;
      }
      // An adverse event already recorded stays: the server then asks which answer is right.
      const some = document.querySelector('input[name="adverse"][value="some"]');
      const none = some && some.checked ? null
        : document.querySelector('input[name="adverse"][value="none"]');
      const counted = document.querySelector('input[name="needles_reconciled"]');
      set = [none, counted].filter((box) => box && !box.checked);
      set.forEach((box) => flip(box, true));
    });
  }
});
