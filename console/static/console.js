// Kelian staff console: small progressive enhancements; every page works without them.
"use strict";

(function () {
  const tz = document.body.dataset.tz || undefined;
  const locale = document.body.dataset.lang === "zh" ? "zh-CN" : "en-GB";

  // The inbox refreshes its tables every 10 s.
  const inbox = document.querySelector("[data-refresh]");
  if (inbox) {
    setInterval(async () => {
      try {
        const response = await fetch(inbox.dataset.refresh, { headers: { Accept: "text/html" }, credentials: "same-origin" });
        if (response.ok && response.url.indexOf("/login") < 0) inbox.innerHTML = await response.text();
      } catch (error) { /* offline for a moment: the next tick tries again */ }
    }, 10000);
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
