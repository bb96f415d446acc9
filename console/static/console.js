// Kelian staff console: small progressive enhancements; every page works without them.
"use strict";

(function () {
  const tz = document.body.dataset.tz || undefined;
  const locale = document.body.dataset.lang === "zh" ? "zh-CN" : "en-GB";

  // The inbox refreshes its tables every 5 s; a request that was not there before is marked new and counted
  // in the page's title until the page is looked at again (queue operations, #16 item 3).
  const inbox = document.querySelector("[data-refresh]");
  if (inbox) {
    const title = document.title;
    const waitingIds = () => new Set(Array.from(inbox.querySelectorAll("#waiting tr[data-handoff]"), (row) => row.dataset.handoff));
    let known = waitingIds();
    let unseen = 0;
    setInterval(async () => {
      try {
        const response = await fetch(inbox.dataset.refresh, { headers: { Accept: "text/html" }, credentials: "same-origin" });
        if (!response.ok || response.url.indexOf("/login") >= 0) return;
        inbox.innerHTML = await response.text();
        const now = waitingIds();
        now.forEach((id) => {
          if (!known.has(id)) {
            unseen += 1;
            inbox.querySelector(`#waiting tr[data-handoff="${id}"]`).classList.add("new-request");
          }
        });
        known = now;
        document.title = unseen && !document.hasFocus() ? `(${unseen}) ${title}` : title;
      } catch (error) { /* offline for a moment: the next tick tries again */ }
    }, 5000);
    window.addEventListener("focus", () => { unseen = 0; document.title = title; });
  }

  // Presence: the header's choice shows what counts now, and the open page keeps the agent present (a
  // console silent for longer than the presence timeout counts as offline).
  const presence = document.querySelector("#presence[data-heartbeat]");
  if (presence) {
    const beat = async () => {
      try {
        const token = presence.querySelector("input[name=csrf_token]").value;
        const response = await fetch(presence.dataset.heartbeat, {
          method: "POST", headers: { "X-CSRF-Token": token, Accept: "application/json" }, credentials: "same-origin",
        });
        if (response.ok) {
          const state = await response.json();
          presence.querySelector("select").value = state.chosen;
          presence.dataset.status = state.status;
        }
      } catch (error) { /* the next beat tries again */ }
    };
    beat();
    setInterval(beat, 60000);
  }

  // The live exchange of a hand-off is polled every 4 s (masked, as the page shows it).
  const live = document.querySelector("#live[data-live]");
  if (live) {
    const render = (messages) => {
      live.replaceChildren(...messages.map((m) => {
        const item = document.createElement("li");
        item.className = "msg " + m.who;
        const who = document.createElement("span");
        who.className = "who";
        who.textContent = m.label || m.who;
        const text = document.createElement("span");
        text.className = "text";
        text.textContent = m.text;
        item.append(who, text);
        if (m.image) { // attachments: the image itself, from the console (staff only)
          const link = document.createElement("a");
          link.className = "attachment";
          link.href = m.image;
          link.target = "_blank";
          link.rel = "noopener";
          const image = document.createElement("img");
          image.src = m.image;
          image.alt = live.dataset.imageAlt || "";
          link.append(image);
          item.append(link);
        }
        if (m.at) {
          const time = document.createElement("time");
          time.textContent = new Date(m.at).toLocaleTimeString(locale, { timeZone: tz, hour12: false });
          item.append(time);
        }
        return item;
      }));
    };
    setInterval(async () => {
      try {
        const response = await fetch(live.dataset.live, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) return;
        const data = await response.json();
        if (!data.problem) render(data.messages);
      } catch (error) { /* try again on the next tick */ }
    }, 4000);
  }
})();

// Agent workspace (#16): "/" and a shortcut in the reply box offer the quick replies; the one picked is filled
// by the server for this conversation and put into the box as plain text (a text box holds no markup).
(function () {
  const box = document.querySelector("#reply-text");
  const library = document.querySelector("#quick-replies");
  if (!box || !library) return;
  const items = Array.from(library.querySelectorAll("li[data-fill]")).map((li) => ({
    shortcut: li.dataset.shortcut, title: li.dataset.title, url: li.dataset.fill, element: li,
  }));
  if (!items.length) return;
  const token = box.form.querySelector("input[name=csrf_token]").value;
  const notice = document.querySelector("#quick-reply-notice");
  const menu = document.createElement("ul");
  menu.className = "quick-reply-menu";
  menu.id = "quick-reply-menu";
  menu.setAttribute("role", "listbox");
  menu.hidden = true;
  box.after(menu);
  let shown = [];
  let active = 0;

  // The "/word" just before the caret, at the start of the box or after a space.
  const typed = () => {
    const before = box.value.slice(0, box.selectionStart);
    const match = /(^|\s)\/([A-Za-z0-9_-]{0,24})$/.exec(before);
    return match ? { start: before.length - match[2].length - 1, word: match[2].toLowerCase() } : null;
  };
  const close = () => { menu.hidden = true; shown = []; };
  const say = (message) => { notice.textContent = message || ""; notice.hidden = !message; };
  const draw = () => {
    if (!shown.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = library.dataset.empty;
      menu.replaceChildren(empty);
    } else {
      menu.replaceChildren(...shown.map((item, i) => {
        const option = document.createElement("li");
        option.setAttribute("role", "option");
        option.dataset.shortcut = item.shortcut;
        option.setAttribute("aria-selected", i === active ? "true" : "false");
        const code = document.createElement("code");
        code.textContent = "/" + item.shortcut;
        option.append(code, " " + item.title);
        option.addEventListener("mousedown", (event) => { event.preventDefault(); pick(item); });
        return option;
      }));
    }
    menu.hidden = false;
  };
  async function pick(item) {
    const at = typed();
    const end = box.selectionStart;
    close();
    try {
      const response = await fetch(item.url, {
        method: "POST", credentials: "same-origin", headers: { Accept: "application/json", "X-CSRF-Token": token },
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      const start = at ? at.start : end;
      box.value = box.value.slice(0, start) + data.text + box.value.slice(end);
      const caret = start + data.text.length;
      box.focus();
      box.setSelectionRange(caret, caret);
      say(data.notice);
    } catch (error) {
      say(library.dataset.failed);
    }
  }
  box.addEventListener("input", () => {
    const at = typed();
    if (!at) { close(); return; }
    shown = items.filter((item) => item.shortcut.startsWith(at.word) || item.title.toLowerCase().includes(at.word));
    active = 0;
    draw();
  });
  box.addEventListener("keydown", (event) => {
    if (menu.hidden) return;
    if (event.key === "Escape") { close(); return; }
    if (!shown.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      draw();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      pick(shown[active]);
    }
  });
  box.addEventListener("blur", () => setTimeout(close, 200));
  items.forEach((item) => item.element.addEventListener("click", () => pick(item)));
})();

// Attachments (#16 item 6): the serving agent sends an image; the file is the request's body (the CSRF token
// in a header), and the live exchange shows it once Rasa has delivered it.
(function () {
  const form = document.querySelector("#send-image");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const status = form.querySelector("#send-image-status");
  const say = (message) => { status.textContent = message; status.hidden = !message; };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files && input.files[0];
    if (!file) return;
    const button = form.querySelector("button");
    button.disabled = true;
    say("");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRF-Token": form.dataset.csrf, "Content-Type": "application/octet-stream" },
        body: file,
      });
      const data = await response.json().catch(() => ({}));
      say(data.ok ? form.dataset.sent : (data.error || form.dataset.failed));
      if (data.ok) input.value = "";
    } catch (error) {
      say(form.dataset.failed);
    } finally {
      button.disabled = false;
    }
  });
})();
