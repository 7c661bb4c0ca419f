/* The sandbox chat page: pick a simulated user, talk to the bot, tap what it sends.
   Every action goes to the sandbox's JSON endpoints (/sandbox/users/<id>/<action>), which build and post
   the same webhook events as the Python API; new messages arrive by polling /sandbox/chat/<id>.
   Tapping LINE's "oaMessage" link to the bot (https://line.me/R/oaMessage/<bot's LINE ID>/?<text>) types
   the text into the box, as LINE opens the chat with the text pre-filled; the person then sends it. */
"use strict";

(function () {
  const { el, actionElement, actionLabel } = window.LineRender;
  const POLL_MS = 700;
  const ROLE_LABEL = { youth: "เยาวชน", mentor: "พี่เลี้ยง", coordinator: "ผู้ประสานงาน" };
  const STATUS_LABEL = { new: "ยังไม่ได้เพิ่มเพื่อน", friend: "เป็นเพื่อนแล้ว", blocked: "บล็อกอยู่" };
  const OA_MESSAGE = /^https:\/\/line\.me\/R\/oaMessage\/([^/?#]+)\/?(?:\?([^#]*))?$/;
  const state = { userId: null, next: 0, lastEntry: null, richMenuId: null, pollTimer: null, picker: null,
    basicId: null };
  const $ = (id) => document.getElementById(id);

  async function api(path, options = {}) {
    const response = await fetch(path, options);
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : null;
  }

  function postJson(path, body) {
    return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
  }

  /* ---- users --------------------------------------------------------------------------------- */

  async function loadUsers() {
    await api("/sandbox/users/presets", { method: "POST" });
    const users = await api("/sandbox/users");
    const list = $("user-list");
    list.replaceChildren();
    for (const user of users) {
      const button = el("button", user.userId === state.userId ? "selected" : "", user.displayName);
      button.dataset.userId = user.userId;
      button.append(el("small", null, ROLE_LABEL[user.role] || user.userId.slice(0, 9) + "…"));
      button.addEventListener("click", () => selectUser(user.userId));
      list.append(button);
    }
  }

  async function selectUser(userId) {
    Object.assign(state, { userId, next: 0, lastEntry: null, richMenuId: null });
    $("messages").replaceChildren();
    $("rich-menu").hidden = true;
    $("chat").hidden = false;
    await loadUsers();
    await poll();
  }

  async function createUser() {
    const name = window.prompt("ชื่อที่แสดงของผู้ใช้ใหม่", "ผู้ใช้ใหม่");
    if (!name) return;
    const user = await postJson("/sandbox/users", { displayName: name });
    await selectUser(user.userId);
  }

  /* ---- actions ------------------------------------------------------------------------------- */

  async function act(action, body, raw) {
    if (!state.userId) return;
    clearQuickReplies();
    const path = `/sandbox/users/${state.userId}/${action}`;
    const result = raw ? await api(path, { method: "POST", headers: { "Content-Type": raw.type || "application/octet-stream" }, body: raw })
      : await postJson(path, body);
    showBanner(result && result.status !== 200 ? `บอทตอบ webhook ด้วยสถานะ ${result.status}: ${result.text || ""}` : "");
    await poll();
  }

  function onAction(action) {
    switch (action.type) {
      case "message": return act("text", { text: action.text || action.label });
      case "postback": return act("postback", { data: action.data, displayText: action.displayText || null });
      case "datetimepicker": return openPicker(action);
      case "location": $("location-form").hidden = false; return;
      case "camera": case "cameraRoll": $("photo-input").click(); return;
      case "clipboard": if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || ""); return;
      case "richmenuswitch":
        return act("postback", { data: action.data, params: { newRichMenuAliasId: action.richMenuAliasId, status: "SUCCESS" } });
      default: showBanner(`ยังไม่รองรับ action แบบ ${action.type}`);
    }
  }

  function openPicker(action) {
    const input = $("picker-input");
    input.type = { date: "date", time: "time", datetime: "datetime-local" }[action.mode] || "text";
    input.value = action.initial || "";
    $("picker-label").firstChild.textContent = `${actionLabel(action)} `;
    state.picker = action;
    $("picker-form").hidden = false;
  }

  /* ---- LINE links --------------------------------------------------------------------------- */

  function parseOaMessage(url) {
    const match = OA_MESSAGE.exec(url || "");
    if (!match) return null;
    try {
      return { lineId: decodeURIComponent(match[1]), text: decodeURIComponent(match[2] || "") };
    } catch (error) {
      return null;  // malformed percent-encoding: LINE would not open it either
    }
  }

  /* LineRender.claimLink: open an oaMessage link to the bot as LINE does; other links open normally. */
  function claimLink(url) {
    const link = parseOaMessage(url);
    if (!link) return false;
    if (!state.basicId || link.lineId.toLowerCase() !== state.basicId.toLowerCase()) {
      showBanner(`ลิงก์นี้เปิดแชตกับบัญชี ${link.lineId} ซึ่งไม่มีใน sandbox (บอทที่นี่คือ ${state.basicId || "?"})`);
      return true;
    }
    const input = $("text-input");
    input.value = link.text;
    input.focus();
    showBanner("");
    return true;
  }

  /* ---- feed ---------------------------------------------------------------------------------- */

  async function poll() {
    if (!state.userId) return;
    const userId = state.userId;
    const feed = await api(`/sandbox/chat/${userId}?after=${state.next}`);
    if (!feed || userId !== state.userId) return;
    // Polls overlap (timer + after an action): render each entry once, in order.
    for (const entry of feed.entries) if (entry.seq >= state.next) renderEntry(entry);
    state.next = Math.max(state.next, feed.next);
    renderHeader(feed);
    renderTyping(feed.loading);
    markRead(feed.lastReadSeq);
    if (feed.entries.length) renderQuickReplies();
    renderRichMenu(feed.richMenu);
    if (!feed.webhookConfigured) showBanner("ยังไม่ได้ตั้ง webhook URL ของบอท: ข้อความจะไม่ถึงบอท");
  }

  function renderHeader(feed) {
    $("chat-title").textContent = `${feed.user.displayName} ↔ บอท`;
    $("user-status").textContent = STATUS_LABEL[feed.user.status] || feed.user.status;
    $("follow").hidden = feed.user.status === "friend";
    $("unfollow").hidden = feed.user.status !== "friend";
  }

  function renderEntry(entry) {
    state.lastEntry = entry;
    const row = el("div", `entry ${entry.from}`);
    row.dataset.seq = entry.seq;
    if (entry.kind === "follow" || entry.kind === "unfollow") {
      row.className = "entry system";
      row.textContent = entry.kind === "follow" ? "— เพิ่มบอทเป็นเพื่อนแล้ว —" : "— บล็อกบอทแล้ว —";
    } else if (entry.kind === "postback") {
      if (entry.text) row.append(el("div", "bubble", entry.text));
      else { row.className = "entry system"; row.textContent = `(postback: ${entry.message.data})`; }
    } else {
      const mediaUrl = entry.from === "user" && entry.message.type === "image" ? `/sandbox/media/${entry.message.id}` : null;
      row.append(window.LineRender.message(entry.message, onAction, mediaUrl));
    }
    const list = $("messages");
    list.querySelector(".typing-row")?.remove();
    list.append(row);
    list.scrollTop = list.scrollHeight;
  }

  function markRead(lastReadSeq) {
    if (lastReadSeq === null || lastReadSeq === undefined) return;
    for (const row of document.querySelectorAll(".entry.user:not(.read)")) {
      if (Number(row.dataset.seq) > lastReadSeq) continue;
      row.classList.add("read");
      row.prepend(el("span", "read-mark", "อ่านแล้ว"));
    }
  }

  function renderTyping(loading) {
    const list = $("messages");
    const existing = list.querySelector(".typing-row");
    if (loading && !existing) {
      const row = el("div", "entry bot typing-row");
      row.append(el("div", "typing", "• • •"));
      list.append(row);
    } else if (!loading && existing) existing.remove();
  }

  /* Quick replies show under the last message only, and only while it is the bot's. */
  function renderQuickReplies() {
    clearQuickReplies();
    const entry = state.lastEntry;
    const items = entry && entry.from === "bot" && entry.message && entry.message.quickReply
      ? entry.message.quickReply.items || [] : [];
    for (const item of items) $("quick-replies").append(actionElement(item.action, "chip", onAction));
  }

  function clearQuickReplies() {
    $("quick-replies").replaceChildren();
  }

  function renderRichMenu(menu) {
    const box = $("rich-menu");
    const menuId = menu ? menu.richMenuId : null;
    if (menuId === state.richMenuId) return;
    state.richMenuId = menuId;
    box.replaceChildren();
    box.hidden = !menu;
    if (!menu) return;
    const panel = el("div", "rich-menu-panel");
    panel.style.aspectRatio = `${menu.size.width} / ${menu.size.height}`;
    panel.append(window.LineRender.image(`/sandbox/richmenu/${menuId}/image`, null, menu.chatBarText));
    for (const area of menu.areas || []) panel.append(richMenuArea(area, menu.size));
    panel.hidden = menu.selected === false;
    const bar = el("button", "rich-menu-bar", `${menu.chatBarText || "เมนู"} ▾`);
    bar.type = "button";
    bar.addEventListener("click", () => { panel.hidden = !panel.hidden; });
    box.append(bar, panel);
  }

  function richMenuArea(area, size) {
    const button = actionElement(area.action, "area", onAction);
    const { x, y, width, height } = area.bounds;
    Object.assign(button.style, { left: `${(100 * x) / size.width}%`, top: `${(100 * y) / size.height}%`,
      width: `${(100 * width) / size.width}%`, height: `${(100 * height) / size.height}%` });
    return button;
  }

  function showBanner(text) {
    $("banner").textContent = text;
    $("banner").hidden = !text;
  }

  /* ---- wiring -------------------------------------------------------------------------------- */

  function wireComposer() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("text-input").value.trim();
      if (!text) return;
      $("text-input").value = "";
      act("text", { text });
    });
    $("send-sticker").addEventListener("click", () => act("sticker", { packageId: "446", stickerId: "1988" }));
    $("photo-input").addEventListener("change", (event) => {
      const file = event.target.files[0];
      if (file) act("image", null, file);
      event.target.value = "";
    });
  }

  function wireForms() {
    $("attach-location").addEventListener("click", () => { $("location-form").hidden = false; });
    $("location-cancel").addEventListener("click", () => { $("location-form").hidden = true; });
    $("location-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      $("location-form").hidden = true;
      act("location", { title: form.get("title"), address: form.get("address"),
        latitude: Number(form.get("latitude")), longitude: Number(form.get("longitude")) });
    });
    $("picker-cancel").addEventListener("click", () => { $("picker-form").hidden = true; });
    $("picker-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const action = state.picker;
      const key = action.mode === "datetime" ? "datetime" : action.mode;
      $("picker-form").hidden = true;
      act("postback", { data: action.data, params: { [key]: $("picker-input").value } });
    });
  }

  function start() {
    wireComposer();
    wireForms();
    $("new-user").addEventListener("click", createUser);
    $("follow").addEventListener("click", () => act("follow"));
    $("unfollow").addEventListener("click", () => act("unfollow"));
    window.LineRender.claimLink = claimLink;
    api("/sandbox/bot").then((bot) => { state.basicId = bot && bot.basicId; });
    state.pollTimer = setInterval(poll, POLL_MS);
    loadUsers();
  }

  start();
})();
