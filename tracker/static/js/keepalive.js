// Staff pages: nothing typed is lost to the idle logout.
// - A form held while its sender was signed out (templates/auth/resume.html) is sent at once.
// - Before the idle limit a banner (not a dialog) warns and offers "Stay signed in". Someone who
//   has typed on the page since it last reached the server is kept signed in without asking.
// - When the login has ended the banner says so: a form sent now is held until its sender signs
//   in again (accounts/held.py), so it is still saved.
// Other scripts report with events: "tracker:server-contact" (a request the login answered,
// e.g. an autosave) and "tracker:signed-out" (one it refused).
document.addEventListener("DOMContentLoaded", () => {
  const resume = document.querySelector("form[data-resume-now]");
  if (resume) HTMLFormElement.prototype.submit.call(resume);

  const box = document.querySelector("form[data-idle-seconds]");
  const limit = box ? parseInt(box.dataset.idleSeconds, 10) : 0;
  if (!box || !(limit > 0)) return;
  const warnBefore = Math.min(120, Math.floor(limit / 3)); // seconds; shorter for short limits
  const token = box.querySelector('input[name="csrf_token"]');
  let lastContact = Date.now();
  let typed = false;
  let timer = null;
  let banner = null;

  const minutes = (seconds) => (seconds < 60 ? "less than a minute"
    : `about ${Math.round(seconds / 60)} minute${Math.round(seconds / 60) === 1 ? "" : "s"}`);
  const show = (text, offerStay) => {
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "alert alert-warning idle-banner";
      banner.setAttribute("role", "status");
      banner.dataset.idleBanner = "";
      banner.append(document.createElement("p"));
      const stay = document.createElement("button");
      stay.type = "button";
      stay.className = "secondary";
      stay.textContent = "Stay signed in";
      stay.addEventListener("click", keepAlive);
      banner.append(stay);
      const main = document.getElementById("main") || document.body;
      main.prepend(banner);
    }
    banner.querySelector("p").textContent = text;
    banner.querySelector("button").hidden = !offerStay;
    banner.classList.toggle("ended", !offerStay);
    banner.hidden = false;
  };
  const hide = () => { if (banner) banner.hidden = true; };
  const later = (seconds, fn) => {
    clearTimeout(timer);
    timer = setTimeout(fn, Math.max(seconds, 1) * 1000);
  };

  const signedOut = () => {
    clearTimeout(timer);
    show("You have been signed out after a while without activity. Nothing on this page is " +
         "lost: when you save or sign it, you will be asked to sign in again and it is saved " +
         "then.", false);
  };
  const contact = () => {
    lastContact = Date.now();
    typed = false;
    hide();
    later(limit - warnBefore, check);
  };

  async function keepAlive() {
    const body = new FormData();
    if (token) body.append("csrf_token", token.value);
    try {
      const response = await fetch(box.dataset.keepAliveUrl, {
        method: "POST", body, credentials: "same-origin", redirect: "manual",
        headers: { "X-Requested-With": "fetch" },
      });
      if (response.ok) contact();
      else if (response.status === 401 || response.type === "opaqueredirect") signedOut();
      else show("Could not reach the server to keep you signed in. Save your work now.", true);
    } catch {
      show("You are offline: you could not be kept signed in. Save your work when the " +
           "connection returns.", true);
    }
  }

  async function check() {
    let left = null;
    try { // the server's count, which another tab's activity also resets
      const response = await fetch(box.dataset.idleUrl, {
        credentials: "same-origin", redirect: "manual", headers: { "X-Requested-With": "fetch" },
      });
      if (response.ok) left = (await response.json()).seconds_left;
    } catch { /* offline: count from this page's last contact */ }
    if (typeof left !== "number") left = limit - (Date.now() - lastContact) / 1000;
    if (left <= 0) { signedOut(); return; }
    if (left > warnBefore + 5) { hide(); later(left - warnBefore, check); return; }
    if (typed) { keepAlive(); return; } // someone is at work on this page
    show(`You will be signed out in ${minutes(left)} without activity.`, true);
    later(Math.min(left + 1, 15), check);
  }

  document.addEventListener("input", () => { typed = true; }, true);
  document.addEventListener("tracker:server-contact", contact);
  document.addEventListener("tracker:signed-out", signedOut);
  // Browsers slow the timers of hidden tabs: look again when the page is seen.
  document.addEventListener("visibilitychange", () => { if (!document.hidden) check(); });
  window.addEventListener("pageshow", (event) => { if (event.persisted) check(); });
  later(limit - warnBefore, check);
});
