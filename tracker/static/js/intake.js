// The patient's intake (templates/intake/public/). Progressive enhancement only: without this
// file every question is shown, the region list replaces the body map, and answers are saved by
// "Save and continue".
document.addEventListener("DOMContentLoaded", () => {
  // Copies kept on the device by an earlier version of this page: a waiting-room tablet is
  // shared, so health answers live on the server only.
  try {
    Object.keys(window.localStorage).filter((k) => k.startsWith("intake-answers:"))
      .forEach((k) => window.localStorage.removeItem(k));
  } catch { /* storage refused: nothing was kept either */ }

  const form = document.querySelector("form[data-intake-save]");
  if (!form) return;

  // Follow-up questions wait until the answer they follow is given: data-show-when holds
  // "question=answer|answer" (tracker/intake/conditional.py, which the server applies too),
  // or several such joined by ";" for "any of these" (the help to seek now, urgent.py).
  const followUps = [...form.querySelectorAll("[data-show-when]")].filter((el) => el.dataset.showWhen);
  const answered = (rule) => {
    const [name, values] = rule.split("=");
    const wanted = values.split("|");
    const given = [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
    return given.some((v) => wanted.includes(v));
  };
  const showFollowUps = () => {
    followUps.forEach((el) => {
      el.hidden = !el.dataset.showWhen.split(";").some(answered);
    });
  };
  // "None of these / not sure" answers a ticked list on its own: ticking it clears the others,
  // ticking another clears it (the server refuses both together).
  form.querySelectorAll(".exclusive-none").forEach((group) => {
    group.addEventListener("change", (event) => {
      const box = event.target;
      if (!box.checked || box.type !== "checkbox") return;
      group.querySelectorAll('input[type="checkbox"]').forEach((other) => {
        if (other !== box && (box.value === "none" || other.value === "none")) other.checked = false;
      });
    });
  });
  form.addEventListener("change", showFollowUps);
  showFollowUps();

  // The body map: tap an area of the overview, then the regions in it (drawn large). Every
  // region shape mirrors its checkbox in the list, which stays the form's real field.
  const picker = form.querySelector("[data-bodypicker]");
  if (picker) {
    const boxes = new Map();
    form.querySelectorAll('input[name="regions"]').forEach((box) => boxes.set(box.value, box));
    const marked = picker.querySelector("[data-marked]");
    const paint = () => {
      picker.querySelectorAll(".region").forEach((shape) => {
        const box = boxes.get(shape.dataset.region);
        shape.classList.toggle("on", Boolean(box && box.checked));
      });
      const names = [...boxes.values()].filter((b) => b.checked)
        .map((b) => b.closest("label").textContent.trim());
      marked.textContent = names.length ? `Marked: ${names.join(", ")}.` : "Nothing marked yet.";
    };
    const zoom = (key) => {
      picker.querySelectorAll("[data-zoom]").forEach((panel) => {
        panel.hidden = panel.dataset.zoom !== key;
      });
      picker.querySelectorAll(".zone").forEach((zone) => {
        zone.classList.toggle("open", zone.dataset.zone === key);
      });
      const open = picker.querySelector(`[data-zoom="${key}"]`);
      if (open && open.getBoundingClientRect().bottom > window.innerHeight) {
        open.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    };
    picker.addEventListener("click", (event) => {
      const zone = event.target.closest(".zone");
      if (zone) { zoom(zone.dataset.zone); return; }
      const shape = event.target.closest(".zoomed .region");
      const box = shape && boxes.get(shape.dataset.region);
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    });
    boxes.forEach((box) => box.addEventListener("change", paint));
    picker.hidden = false;
    paint();
    // With the map working the list becomes its alternative behind a disclosure, folded on a
    // phone (where the map is the way in) unless it carries an error.
    const list = form.querySelector("[data-region-list]");
    if (list) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = "Choose from a list instead";
      details.className = "regions-list";
      details.append(summary);
      list.replaceWith(details);
      details.append(list);
      details.open = !window.matchMedia("(max-width: 40rem)").matches || Boolean(list.querySelector(".has-error"));
    }
  }

  // Answers are saved on the server as the patient types (never on the device): a second
  // after the last change, and at once when the page is hidden or closed.
  const url = form.dataset.intakeSave;
  const status = form.querySelector("[data-save-status]");
  const say = (text) => { if (status) status.textContent = text; };
  const answers = () => {
    const data = new FormData(form);
    data.delete("action");
    return data;
  };
  let dirty = false;
  let timer = null;
  const save = async () => {
    clearTimeout(timer);
    if (!dirty || form.dataset.sent) return;
    dirty = false;
    try {
      const response = await fetch(url, {
        method: "POST", body: answers(), credentials: "same-origin", redirect: "error",
        headers: { "X-Requested-With": "fetch" },
      });
      if (response.ok) {
        say(`Saved ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`);
      } else {
        say("Not saved yet: press the button at the bottom to save this page.");
      }
    } catch {
      dirty = true;
      say(navigator.onLine === false ? "Offline: your answers are still on this page." : "Not saved yet.");
    }
  };
  const changed = () => {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, 1000);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", () => { dirty = false; clearTimeout(timer); });
  const leave = () => {
    if (!dirty || form.dataset.sent) return;
    dirty = false;
    clearTimeout(timer);
    // The CSRF token travels in the body (FormData), as a beacon cannot set headers.
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, answers()))) {
      fetch(url, { method: "POST", body: answers(), credentials: "same-origin", keepalive: true });
    }
  };
  window.addEventListener("pagehide", leave);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leave();
  });

  // Offline, "Save and continue" waits on the page and posts by itself when the connection
  // returns. After the server's "not saved" page (its database refused the write) it posts
  // again in 30 seconds, at most 10 times in this tab (only the count is kept, no answers).
  const notice = form.querySelector("[data-local-status]");
  const warn = (text) => { if (notice) { notice.textContent = text; notice.hidden = false; } };
  const primary = form.querySelector('button[type="submit"][value="next"]');
  form.addEventListener("submit", (event) => {
    if (navigator.onLine !== false) return;
    event.preventDefault();
    delete form.dataset.sent;
    warn("You are offline. Your answers are still on this page and will be sent as soon as the connection returns.");
    const submitter = event.submitter || primary;
    window.addEventListener("online", () => {
      delete form.dataset.sent;
      form.requestSubmit(submitter);
    }, { once: true });
  });
  if (document.querySelector("[data-not-saved]")) {
    const key = `intake-retries:${form.getAttribute("action")}`;
    let tries = 0;
    try { tries = Number(window.sessionStorage.getItem(key)) || 0; } catch { tries = 10; }
    if (tries < 10) {
      try { window.sessionStorage.setItem(key, String(tries + 1)); } catch { /* no count: one try */ }
      warn("Not saved yet: your answers are still on this page and will be sent again in 30 seconds.");
      setTimeout(() => { delete form.dataset.sent; form.requestSubmit(primary); }, 30000);
    }
  } else {
    try { window.sessionStorage.removeItem(`intake-retries:${form.getAttribute("action")}`); } catch { /* none kept */ }
  }
});
