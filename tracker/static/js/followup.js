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

  // A midline point (GV, CV, Yintang ...) is one needle: its row's side turns to midline as soon
  // as its code is typed or chosen, or another side is picked for it, so the count is right at
  // once. The server applies the same rule on saving (clinical.acupoints.side_for); the codes
  // and the old meridian names come from it (the page's data-midline, data-code-aliases).
  const pointRows = document.querySelector(".point-rows[data-midline]");
  if (pointRows) {
    const midline = new Set(pointRows.dataset.midline.split(" ").filter(Boolean));
    let aliases = {};
    try { aliases = JSON.parse(pointRows.dataset.codeAliases || "{}"); } catch { aliases = {}; }
    const codeOf = (text) => {
      const typed = (text || "").trim();
      const extra = /^EX\s*[-\s]?\s*(HN|B|CA|UE|LE)\s*[-\s]?\s*(\d{1,2})(?:\s|$)/i.exec(typed);
      if (extra) return `EX-${extra[1].toUpperCase()}${parseInt(extra[2], 10)}`;
      const code = /^([A-Za-z]{1,4})\s*[-.\s]?\s*(\d{1,3})(?:\s|$)/.exec(typed);
      if (!code) return "";
      const prefix = code[1].toUpperCase();
      return `${aliases[prefix] || prefix}${parseInt(code[2], 10)}`;
    };
    // A side this script set goes back to what it was when the point typed is no longer one
    // on the midline (GV4 corrected to GB34).
    const settle = (event) => {
      const row = event.target.closest(".point-row");
      const point = row && row.querySelector('input[name$="-point"]');
      const side = row && row.querySelector('select[name$="-side"]');
      if (!point || !side) return;
      if (midline.has(codeOf(point.value))) {
        if (side.value === "midline") return;
        side.dataset.sideBefore = event.target === side ? "bilateral" : side.value;
        side.value = "midline";
      } else if (side.dataset.sideBefore && event.target === point) {
        if (side.value === "midline") side.value = side.dataset.sideBefore;
        delete side.dataset.sideBefore;
      }
    };
    // On the rows, so the side is settled before the page's count (app.js, on the document).
    pointRows.addEventListener("input", settle);
    pointRows.addEventListener("change", settle);
  }

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
