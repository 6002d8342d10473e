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

// Intake: answers stay on this device until the server has them. Every change to a step is
// kept in localStorage under the step's address. A step is forgotten once the server has it
// (the page that comes back is another step) and all of them once the intake is sent. Offline,
// "Save and continue" waits and posts by itself when the connection returns; after the
// server's "not saved" page (its database refused the write) it posts again every 30 seconds,
// at most 10 times. A page opened again (a closed tab, a browser error page) gets the typing
// back.
document.addEventListener("DOMContentLoaded", () => {
  const PREFIX = "intake-answers:";
  const SENT = `${PREFIX}sent`;
  let store;
  try {
    store = window.localStorage;
    store.getItem(SENT);
  } catch {
    return; // storage refused (private mode): the form still works, as before
  }
  const read = (key) => {
    try { return JSON.parse(store.getItem(key) || "null"); } catch { return null; }
  };
  if (document.querySelector("[data-intake-done]")) {
    Object.keys(store).filter((k) => k.startsWith(PREFIX)).forEach((k) => store.removeItem(k));
    return;
  }
  const form = document.querySelector("form[data-keep-local]");
  if (!form) return;
  const key = PREFIX + form.getAttribute("action");
  const status = form.querySelector("[data-local-status]");
  const say = (message) => {
    if (status) { status.textContent = message; status.hidden = false; }
  };
  const sent = read(SENT);
  if (sent && sent.key !== key) { // the server moved on from that step: it has it
    store.removeItem(sent.key);
    store.removeItem(SENT);
  }

  const skip = (el) => !el.name || el.name === "csrf_token" || ["submit", "button", "hidden", "file"].includes(el.type);
  const save = () => {
    const values = [...new FormData(form)].filter(([name]) => name !== "csrf_token");
    const names = [...new Set([...form.elements].filter((el) => !skip(el)).map((el) => el.name))];
    try {
      store.setItem(key, JSON.stringify({ values, names, at: Date.now() }));
    } catch { /* storage full: the server copy is the one that counts */ }
  };
  const restore = (kept) => {
    const byName = new Map();
    kept.values.forEach(([name, value]) => byName.set(name, [...(byName.get(name) || []), value]));
    [...form.elements].forEach((el) => {
      if (skip(el) || !kept.names.includes(el.name)) return;
      const values = byName.get(el.name) || [];
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.includes(el.value);
      else if (el.multiple) [...el.options].forEach((o) => { o.selected = values.includes(o.value); });
      else if (values.length) el.value = values[0];
      else el.value = "";
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
  };

  const kept = read(key);
  if (kept && Array.isArray(kept.values) && Array.isArray(kept.names)) restore(kept);
  form.addEventListener("input", save);
  form.addEventListener("change", save);

  const primary = form.querySelector('button[type="submit"][value="next"]');
  const sendWhenOnline = (submitter) => {
    say("You are offline. Your answers are kept on this device and will be sent as soon as the connection returns.");
    window.addEventListener("online", () => {
      delete form.dataset.sent;
      form.requestSubmit(submitter || primary);
    }, { once: true });
  };
  form.addEventListener("submit", (event) => {
    save();
    const attempts = sent && sent.key === key ? sent.attempts || 0 : 0;
    store.setItem(SENT, JSON.stringify({ key, attempts: attempts + 1 }));
    if (navigator.onLine === false) {
      event.preventDefault();
      delete form.dataset.sent;
      sendWhenOnline(event.submitter);
    }
  });

  if (document.querySelector("[data-not-saved]") && sent && sent.key === key) {
    if ((sent.attempts || 0) < 10) {
      say("Not saved yet: your answers are kept on this device and will be sent again in 30 seconds.");
      setTimeout(() => { delete form.dataset.sent; form.requestSubmit(primary); }, 30000);
    }
  }
});
