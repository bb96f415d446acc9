/* Kelian web chat: one conversation over socket.io with the Rasa server that serves this page.
   The events and who decides the conversation id: bot/channels/web.py. Nothing here comes from
   another site; bot text is always inserted as text, never as HTML. */
(function () {
  "use strict";

  const TEXTS = {
    en: {
      title: "Kelian customer service",
      placeholder: "Type your message…",
      send: "Send",
      typing: "Kelian is typing",
      welcome: "Hi, I'm Kelian. Ask me about your orders, delivery, refunds or products — in English or 中文.",
      connecting: "Connecting…",
      offline: "Connection lost. Reconnecting… Messages you send now will go out when it's back.",
      unavailable: "The chat can't start: its script is missing.",
      queued: "Waiting for the connection…",
      guest: "Guest",
      signedIn: "Signed in as {user}",
      attach: "Send a photo",
      photo: "Photo",
      uploading: "Sending your photo…",
      upload_not_image: "That file isn't an image we can take: please send a JPG, PNG or WebP photo.",
      upload_too_large: "That image is too large (5 MB at most): please send a smaller one.",
      upload_too_many_pixels: "That image is too big in pixels: please send an ordinary photo.",
      upload_empty: "The image was empty: please choose it again.",
      upload_rate_limited: "You've sent quite a few images: please wait a while before sending more.",
      upload_unavailable: "Sorry, we can't take images right now: please try again in a moment.",
      upload_unauthorized: "Please wait until the chat is connected, then send the photo again.",
    },
    zh: {
      title: "客连 在线客服",
      placeholder: "请输入您的问题…",
      send: "发送",
      typing: "客连正在输入",
      welcome: "您好,我是客连。订单、物流、退款、商品推荐都可以问我,中文或 English 都行。",
      connecting: "正在连接…",
      offline: "连接已断开,正在重新连接… 现在发送的消息会在恢复后发出。",
      unavailable: "聊天无法启动:缺少脚本文件。",
      queued: "等待连接…",
      guest: "访客",
      signedIn: "已登录:{user}",
      attach: "发送照片",
      photo: "照片",
      uploading: "正在发送照片…",
      upload_not_image: "这个文件不是我们能接收的图片,请发送 JPG、PNG 或 WebP 格式的照片。",
      upload_too_large: "图片太大了(最大 5 MB),请换一张小一点的。",
      upload_too_many_pixels: "图片尺寸太大了,请发送一张普通的照片。",
      upload_empty: "图片是空的,请重新选择。",
      upload_rate_limited: "您发送的图片有点多,请稍后再发。",
      upload_unavailable: "图片暂时无法接收,请稍后再试。",
      upload_unauthorized: "请等聊天连接后再发送照片。",
    },
  };
  const GUEST_KEY = "kelian.web.guest";
  const LANGUAGE_KEY = "kelian.web.language";
  const TRANSCRIPT_KEY = "kelian.web.transcript.";
  const TRANSCRIPT_LIMIT = 200;
  const UPLOAD_MAX_BYTES = 5 * 1024 * 1024; // the server checks again (bot/channels/web.py)

  const params = new URLSearchParams(window.location.search);
  const token = params.get("token");
  const body = document.body;
  const messages = document.getElementById("messages");
  const conversation = document.getElementById("conversation");
  const typing = document.getElementById("typing");
  const statusLine = document.getElementById("status");
  const identity = document.getElementById("identity");
  const composer = document.getElementById("composer");
  const input = document.getElementById("input");
  const attach = document.getElementById("attach");
  const photoInput = document.getElementById("photo");

  // Storage can be refused (private windows, third-party iframes): the chat still works without it.
  function stored(storage, key) {
    try { return window[storage].getItem(key); } catch (e) { return null; }
  }
  function store(storage, key, value) {
    try { window[storage].setItem(key, value); } catch (e) { /* nothing kept: fine */ }
  }

  let language = params.get("lang") || stored("localStorage", LANGUAGE_KEY) ||
    ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");
  if (!TEXTS[language]) language = "en";
  let status = "connecting";
  let sender = null;
  let signedIn = false;
  let ready = false; // the server confirmed who we are on the current connection
  let waiting = 0; // messages sent whose answer is not complete yet
  let transcript = [];
  const outbox = []; // {payload, element} written while not ready

  function t(key) {
    return TEXTS[language][key];
  }

  // ---- rendering -------------------------------------------------------------------------------

  function scrollToEnd() {
    conversation.scrollTop = conversation.scrollHeight;
  }

  function textWithLinks(parent, text) {
    const parts = String(text).split(/(https?:\/\/[^\s]+)/g);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        const link = document.createElement("a");
        link.href = part;
        link.textContent = part;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        parent.appendChild(link);
      } else if (part) {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  function messageItem(from) {
    const item = document.createElement("li");
    item.className = "message " + from;
    messages.appendChild(item);
    return item;
  }

  function bubble(item, text) {
    const element = document.createElement("div");
    element.className = "bubble";
    textWithLinks(element, text);
    item.appendChild(element);
    return element;
  }

  function buttonRow(className, buttons, onChoose) {
    const row = document.createElement("div");
    row.className = className;
    buttons.forEach(function (button, index) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.title;
      element.dataset.payload = button.payload;
      element.addEventListener("click", function () { onChoose(button, index, row); });
      row.appendChild(element);
    });
    return row;
  }

  function renderUser(entry) {
    const item = messageItem("user");
    if (entry.photo) {
      item.classList.add("photo");
      const element = bubble(item, "");
      const caption = document.createElement("span");
      caption.dataset.text = "photo";
      caption.textContent = t("photo");
      element.appendChild(caption);
      if (entry.src) { // this tab's own copy (not kept across reloads)
        const image = document.createElement("img");
        image.src = entry.src;
        image.alt = t("photo");
        element.appendChild(image);
      }
      return item;
    }
    bubble(item, entry.text);
    return item;
  }

  // Something the page itself says (a refused upload): in the page's language, kept with the transcript.
  function renderNote(entry) {
    const item = messageItem("notice");
    item.classList.add("upload-error");
    item.setAttribute("role", "alert");
    item.dataset.text = entry.key;
    item.textContent = t(entry.key);
    return item;
  }

  function renderText(entry, message) {
    const item = messageItem("bot");
    bubble(item, message.text || "");
    const buttons = message.quick_replies || message.buttons || [];
    if (buttons.length) {
      const row = buttonRow("quick-replies", buttons, function (button, index, row) {
        row.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        entry.chosen = index;
        send(button.payload, button.title);
      });
      if (entry.chosen !== undefined) row.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      item.appendChild(row);
    }
  }

  function renderProduct(message) {
    const item = messageItem("bot");
    const card = document.createElement("article");
    card.className = "product";
    card.dataset.sku = message.sku || "";
    const head = document.createElement("div");
    head.className = "product-head";
    const name = document.createElement("h3");
    name.textContent = message.name || message.sku || "";
    const price = document.createElement("span");
    price.className = "price";
    price.textContent = message.price || "";
    head.append(name, price);
    card.appendChild(head);
    [["description", message.description], ["reason", message.reason]].forEach(function (pair) {
      if (!pair[1]) return;
      const line = document.createElement("p");
      line.className = pair[0];
      line.textContent = pair[1];
      card.appendChild(line);
    });
    if (message.buttons && message.buttons.length) {
      card.appendChild(buttonRow("card-buttons", message.buttons, function (button) {
        send(button.payload, button.title);
      }));
    }
    item.appendChild(card);
  }

  // A person on the shop's team: their messages carry their name and look apart from the bot's;
  // "joined" / "left" are notices across the conversation, not bubbles.
  function renderAgent(message) {
    const agent = message.agent;
    if (agent.event === "joined" || agent.event === "left") {
      const item = messageItem("notice");
      item.classList.add(agent.event);
      item.setAttribute("role", "status");
      item.textContent = message.text || "";
      return;
    }
    const item = messageItem("agent");
    const name = document.createElement("div");
    name.className = "agent-name";
    name.textContent = agent.name || "";
    item.appendChild(name);
    bubble(item, message.text || "");
  }

  function renderBot(entry) {
    const message = entry.message || {};
    if (message.agent && typeof message.agent === "object" && message.text !== undefined) {
      renderAgent(message);
    } else if (message.type === "product") {
      renderProduct(message);
    } else if (message.text !== undefined) {
      renderText(entry, message);
    } else if (message.attachment && message.attachment.type === "image") {
      const item = messageItem(message.agent ? "agent" : "bot");
      if (message.agent && message.agent.name) {
        const name = document.createElement("div");
        name.className = "agent-name";
        name.textContent = message.agent.name;
        item.appendChild(name);
      }
      const image = document.createElement("img");
      image.className = "sent-image";
      image.src = message.attachment.payload.src;
      image.alt = "";
      item.appendChild(image);
    }
  }

  function renderWelcome() {
    const item = messageItem("bot");
    item.classList.add("welcome");
    bubble(item, "").dataset.text = "welcome";
  }

  function render(entry) {
    if (entry.from === "user") return renderUser(entry);
    if (entry.from === "page") return renderNote(entry);
    renderBot(entry);
    return null;
  }

  // ---- the conversation kept in this tab (survives a reload) -----------------------------------

  function saveTranscript() {
    const kept = transcript.slice(-TRANSCRIPT_LIMIT).map(function (entry) {
      return entry.src ? Object.assign({}, entry, { src: undefined }) : entry; // a blob: link dies with the tab
    });
    if (sender) store("sessionStorage", TRANSCRIPT_KEY + sender, JSON.stringify(kept));
  }

  function record(entry) {
    transcript.push(entry);
    saveTranscript();
    return render(entry);
  }

  function showConversationOf(newSender) {
    sender = newSender;
    body.dataset.sender = sender;
    let saved = [];
    try { saved = JSON.parse(stored("sessionStorage", TRANSCRIPT_KEY + sender) || "[]"); } catch (e) { saved = []; }
    const unsent = transcript.filter(function (entry) { return entry.unsent; });
    transcript = saved.concat(unsent);
    messages.textContent = "";
    renderWelcome();
    transcript.forEach(function (entry) {
      const element = render(entry);
      const queued = outbox.find(function (item) { return item.entry === entry; });
      if (queued) { queued.element = element; markQueued(element); }
    });
    saveTranscript();
    applyTexts();
    scrollToEnd();
  }

  // ---- sending -----------------------------------------------------------------------------------

  function markQueued(element) {
    element.classList.add("queued");
    const note = document.createElement("span");
    note.className = "note";
    note.dataset.text = "queued";
    note.textContent = t("queued");
    element.appendChild(note);
  }

  function deliver(payload) {
    socket.emit("user_uttered", { message: payload });
    waiting += 1;
    updateTyping();
  }

  function send(payload, shown) {
    const entry = { from: "user", text: shown === undefined ? payload : shown };
    if (ready) {
      record(entry);
      deliver(payload);
    } else {
      entry.unsent = true;
      const element = record(entry);
      markQueued(element);
      outbox.push({ payload: payload, element: element, entry: entry });
    }
    scrollToEnd();
  }

  function flushOutbox() {
    while (outbox.length && ready) {
      const item = outbox.shift();
      delete item.entry.unsent;
      item.element.classList.remove("queued");
      const note = item.element.querySelector(".note");
      if (note) note.remove();
      deliver(item.payload);
    }
    saveTranscript();
  }

  function updateTyping() {
    typing.hidden = waiting === 0;
    body.dataset.waiting = String(waiting);
    scrollToEnd();
  }

  // ---- texts and status --------------------------------------------------------------------------

  function applyTexts() {
    document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    document.querySelectorAll("[data-text]").forEach(function (element) {
      element.textContent = t(element.dataset.text);
    });
    input.placeholder = t("placeholder");
    attach.title = t("attach");
    attach.setAttribute("aria-label", t("attach"));
    document.querySelectorAll("[data-lang]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === language));
    });
    statusLine.textContent = status === "online" ? "" : t(status);
    identity.textContent = sender ? (signedIn ? t("signedIn").replace("{user}", sender) : t("guest")) : "";
  }

  function setStatus(value) {
    status = value;
    body.dataset.status = value;
    applyTexts();
  }

  document.querySelectorAll("[data-lang]").forEach(function (button) {
    button.addEventListener("click", function () {
      language = button.dataset.lang;
      store("localStorage", LANGUAGE_KEY, language);
      applyTexts();
    });
  });

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });

  // ---- photos (attachments) ----------------------------------------------------------------------

  function uploadHeaders() {
    const headers = { "Content-Type": "application/octet-stream" };
    if (token) headers.Authorization = "Bearer " + token;
    else {
      const guest = stored("localStorage", GUEST_KEY);
      if (guest) headers["X-Kelian-Guest"] = guest;
    }
    return headers;
  }

  async function sendPhoto(file) {
    if (file.size > UPLOAD_MAX_BYTES) {
      record({ from: "page", key: "upload_too_large" });
      scrollToEnd();
      return;
    }
    const entry = { from: "user", photo: true, src: URL.createObjectURL(file) };
    const element = record(entry);
    element.classList.add("uploading");
    attach.disabled = true;
    statusLine.textContent = t("uploading");
    scrollToEnd();
    let error = null;
    try {
      const response = await fetch("attachments", { method: "POST", headers: uploadHeaders(), body: file });
      const answer = await response.json().catch(function () { return {}; });
      if (!answer.ok) error = "upload_" + (TEXTS[language]["upload_" + answer.error] ? answer.error : "unavailable");
    } catch (e) {
      error = "upload_unavailable";
    }
    element.classList.remove("uploading");
    attach.disabled = false;
    applyTexts();
    if (error) {
      element.classList.add("refused");
      transcript.splice(transcript.indexOf(entry), 1);
      saveTranscript();
      record({ from: "page", key: error });
    }
    scrollToEnd();
  }

  attach.addEventListener("click", function () { photoInput.click(); });
  photoInput.addEventListener("change", function () {
    const file = photoInput.files && photoInput.files[0];
    photoInput.value = "";
    if (file) sendPhoto(file);
  });

  renderWelcome();
  applyTexts();

  if (typeof window.io !== "function") {
    setStatus("unavailable");
    return;
  }

  // ---- the connection ------------------------------------------------------------------------------

  const socket = window.io({ path: "/socket.io", reconnectionDelay: 500, reconnectionDelayMax: 3000 });

  socket.on("connect", function () {
    // Every (re)connection asks again who we are: the server keeps no state across sockets.
    socket.emit("session_request", { session_id: stored("localStorage", GUEST_KEY), customData: { token: token } });
  });

  socket.on("session_confirm", function (session) {
    if (session.session_id) store("localStorage", GUEST_KEY, session.session_id);
    signedIn = Boolean(session.signed_in);
    if (session.sender !== sender) showConversationOf(session.sender);
    ready = true;
    setStatus("online");
    flushOutbox();
  });

  socket.on("bot_uttered", function (message) {
    record({ from: "bot", message: message });
    scrollToEnd();
  });

  socket.on("bot_done", function () {
    waiting = Math.max(0, waiting - 1);
    updateTyping();
  });

  socket.on("disconnect", function () {
    ready = false;
    waiting = 0; // answers in flight are lost with the connection
    updateTyping();
    setStatus("offline");
  });

  socket.on("connect_error", function () {
    if (!socket.connected) setStatus(sender ? "offline" : "connecting");
  });

  // A phone that loses its network may keep a dead socket for a long time: drop it at once and
  // let socket.io reconnect when the network is back.
  window.addEventListener("offline", function () {
    if (socket.io.engine) socket.io.engine.close();
  });
})();
