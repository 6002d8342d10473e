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

  // A table wider than a phone scrolls sideways in its wrapper: let the keyboard reach and
  // scroll it too (WCAG 2.1.1), named after its caption or first heading.
  const scrollers = () => document.querySelectorAll(".table-wrap, [data-scrolls]").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      if (!box.hasAttribute("tabindex")) {
        const caption = box.querySelector("caption, th");
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table")
          + " (scrolls sideways)");
      }
    } else if (box.getAttribute("role") === "region" && box.tabIndex === 0) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
  scrollers();
  window.addEventListener("resize", scrollers);
});

// Forms marked data-once (the intake's steps and its "Send"): a second tap on a submit button
// while the first is on its way does nothing. The rest of the intake's script is intake.js.
document.addEventListener("DOMContentLoaded", () => {
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

// Session record: every change is kept as a server-side draft as it is made (shortly after
// typing stops; at once for a choice), show adverse-event details only when they apply, and
// keep the computed insertion count current. A draft counts as kept only when the server says
// so: after the login has expired it answers 401, and the page says plainly it was not saved.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-autosave]");
  if (form && form.dataset.autosave) {
    const status = form.querySelector("[data-autosave-status]");
    const say = (text, problem) => {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("not-saved", Boolean(problem));
    };
    let timer = null;
    let saving = false;
    let again = false;
    let sent = false;
    const later = (delay) => {
      if (sent) return;
      clearTimeout(timer);
      timer = setTimeout(save, delay);
    };
    async function save() {
      timer = null;
      if (sent) return;
      if (saving) { again = true; return; }
      saving = true;
      try {
        const response = await fetch(form.dataset.autosave, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          redirect: "manual", headers: { "X-Requested-With": "fetch" },
        });
        const json = (response.headers.get("Content-Type") || "").includes("application/json");
        const answer = json ? await response.json().catch(() => ({})) : {};
        if (response.ok && answer.saved === true) {
          say(`Draft kept ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`);
          document.dispatchEvent(new CustomEvent("tracker:server-contact"));
        } else if (response.status === 401 || response.type === "opaqueredirect") {
          say("Draft NOT saved: your login has expired. Press “Sign and lock” or “Save draft” " +
              "and sign in again: what is on this page is kept and saved then.", true);
          document.dispatchEvent(new CustomEvent("tracker:signed-out"));
        } else {
          say("Could not keep a draft: save the record now", true);
        }
      } catch {
        say("Offline: not saved yet", true);
        timer = setTimeout(save, 15000);
      } finally {
        saving = false;
        if (again) { again = false; later(0); }
      }
    }
    form.addEventListener("input", () => later(1500));
    form.addEventListener("change", () => later(300));
    form.addEventListener("submit", () => { sent = true; clearTimeout(timer); });
    window.addEventListener("pageshow", () => { sent = false; });
  }

  const sync = () => {
    document.querySelectorAll("[data-show-when-select]").forEach((el) => {
      const [name, value] = el.dataset.showWhenSelect.split(":");
      const select = document.querySelector(`select[name="${name}"]`);
      if (select) el.hidden = select.value !== value;
    });
    document.querySelectorAll("[data-show-when-radio]").forEach((el) => {
      const [name, value] = el.dataset.showWhenRadio.split(":");
      const checked = document.querySelector(`input[name="${name}"]:checked`);
      el.hidden = !checked || checked.value !== value;
    });
    const count = document.querySelector("[data-insertions]");
    if (count) {
      let total = 0;
      document.querySelectorAll(".point-row").forEach((row) => {
        const point = row.querySelector('input[name$="-point"]');
        const side = row.querySelector('select[name$="-side"]');
        if (point && point.value.trim()) total += side && side.value === "bilateral" ? 2 : 1;
      });
      const extra = document.querySelector('input[name="extra_insertions"]');
      total += Math.max(parseInt(extra && extra.value, 10) || 0, 0);
      count.textContent = String(total);
    }
  };
  if (document.querySelector(".session-form")) {
    document.addEventListener("input", sync);
    document.addEventListener("change", sync);
    sync();
  }
});
