/* Renders LINE message objects (text, sticker, image, location, template, Flex, ...) as DOM nodes,
   the way the LINE app shows them. Built with DOM APIs only: bot content is never parsed as HTML.
   Every tappable element calls onAction(action) with the LINE action object; links (uri actions and
   web addresses in text, which LINE turns into links) go first to LineRender.claimLink(url), which the
   page may set to open some links itself (it returns true when it did). */
"use strict";

(function () {
  const SPACING = { none: "0", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px" };
  const TEXT_SIZE = { xxs: "11px", xs: "13px", sm: "14px", md: "16px", lg: "19px", xl: "22px", xxl: "29px",
    "3xl": "35px", "4xl": "48px", "5xl": "74px" };
  const IMAGE_SIZE = { xxs: "40px", xs: "60px", sm: "80px", md: "100px", lg: "120px", xl: "140px", xxl: "160px",
    "3xl": "180px", "4xl": "200px", "5xl": "220px", full: "100%" };
  const BUBBLE_WIDTH = { nano: "120px", micro: "160px", deca: "220px", hecto: "241px", kilo: "260px",
    mega: "300px", giga: "500px" };
  const SAFE_LINK = /^(https?:|tel:|mailto:|line:)/i;
  const URL_IN_TEXT = /https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/g;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function scaled(table, value) {
    return value in table ? table[value] : value;
  }

  function actionLabel(action) {
    return action.label || action.displayText || action.text || action.data || action.uri || action.type;
  }

  function claimed(url) {
    return Boolean(api.claimLink && api.claimLink(url));
  }

  /* A real link (tel: stays a tel: link), unless the page claims the address when it is tapped. */
  function link(url, className, text) {
    const node = el("a", className, text);
    if (SAFE_LINK.test(url)) node.href = url;
    node.target = /^https?:/i.test(url) ? "_blank" : "_self";
    node.rel = "noopener";
    node.addEventListener("click", (event) => { if (claimed(url)) event.preventDefault(); });
    return node;
  }

  /* A tappable element for an action: a link for uri actions, a button for the others. */
  function actionElement(action, className, onAction, label) {
    const text = label !== undefined ? label : actionLabel(action);
    if (action.type === "uri") return link(action.uri || "", className, text);
    const button = el("button", className, text);
    button.type = "button";
    button.addEventListener("click", () => onAction(action));
    return button;
  }

  function makeClickable(node, action, onAction) {
    if (!action) return;
    node.classList.add("clickable");
    node.addEventListener("click", (event) => {
      if (event.target.closest("button, a") && event.target !== node) return;
      if (action.type !== "uri") onAction(action);
      else if (!claimed(action.uri) && SAFE_LINK.test(action.uri || "")) window.open(action.uri, "_blank");
    });
  }

  function image(url, className, alt) {
    const img = el("img", className);
    img.alt = alt || "รูปภาพ";
    img.src = url || "";
    img.addEventListener("error", () => { img.replaceWith(el("div", "placeholder " + (className || ""), "🖼 " + img.alt)); });
    return img;
  }

  /* Text with its web addresses as links, as LINE shows them. */
  function textBubble(text) {
    const bubble = el("div", "bubble");
    const body = text || "";
    let shown = 0;
    for (const match of body.matchAll(URL_IN_TEXT)) {
      bubble.append(body.slice(shown, match.index), link(match[0], "text-link", match[0]));
      shown = match.index + match[0].length;
    }
    bubble.append(body.slice(shown));
    return bubble;
  }

  function locationCard(message) {
    const card = el("div", "location-card");
    card.append(el("div", "map", "📍"));
    const info = el("div", "info");
    info.append(el("strong", null, message.title || "ตำแหน่ง"), el("div", null, message.address || ""),
      el("small", null, `${message.latitude}, ${message.longitude}`));
    card.append(info);
    return card;
  }

  function mediaBubble(content, fallbackLabel) {
    const bubble = el("div", "bubble media");
    bubble.append(content || el("div", "placeholder", fallbackLabel));
    return bubble;
  }

  function templateCard(template, onAction) {
    const card = el("div", "template-card");
    if (template.thumbnailImageUrl) card.append(image(template.thumbnailImageUrl, "thumb"));
    if (template.title) card.append(el("div", "title", template.title));
    card.append(el("div", "text", template.text));
    const actions = el("div", "actions" + (template.type === "confirm" ? " confirm" : ""));
    for (const action of template.actions || []) actions.append(actionElement(action, "template-action", onAction));
    card.append(actions);
    makeClickable(card, template.defaultAction, onAction);
    return card;
  }

  function template(message, onAction) {
    const t = message.template || {};
    if (t.type === "buttons" || t.type === "confirm") return templateCard(t, onAction);
    const row = el("div", "template-carousel");
    for (const column of t.columns || []) {
      if (t.type === "image_carousel") {
        const card = el("div", "template-card");
        const actions = el("div", "actions");
        actions.append(actionElement(column.action, "template-action", onAction));
        card.append(image(column.imageUrl, "thumb"), actions);
        row.append(card);
      } else {
        row.append(templateCard({ ...column, type: "buttons" }, onAction));
      }
    }
    return row;
  }

  /* ---- Flex ---------------------------------------------------------------------------------- */

  function applyBoxStyle(node, box) {
    const style = node.style;
    style.flexDirection = box.layout === "vertical" ? "column" : "row";
    if (box.layout === "baseline") style.alignItems = "baseline";
    if (box.spacing) style.gap = scaled(SPACING, box.spacing);
    for (const side of ["All", "Top", "Bottom", "Start", "End"]) {
      const value = box["padding" + side];
      if (!value) continue;
      const prop = { All: "padding", Top: "paddingTop", Bottom: "paddingBottom", Start: "paddingLeft", End: "paddingRight" }[side];
      style[prop] = scaled(SPACING, value);
    }
    if (box.backgroundColor) style.backgroundColor = box.backgroundColor;
    if (box.borderColor) style.borderColor = box.borderColor;
    if (box.borderWidth) style.border = `${scaled({ none: "0", light: "0.5px", normal: "1px", medium: "2px", "semi-bold": "3px", bold: "4px" }, box.borderWidth)} solid ${box.borderColor || "#000"}`;
    if (box.cornerRadius) style.borderRadius = scaled(SPACING, box.cornerRadius);
    for (const key of ["width", "maxWidth", "height", "maxHeight"]) if (box[key]) style[key] = box[key];
    if (box.justifyContent) style.justifyContent = box.justifyContent;
    if (box.alignItems) style.alignItems = box.alignItems;
  }

  function applyChildStyle(node, component, parentLayout, isFirst) {
    const style = node.style;
    const horizontal = parentLayout !== "vertical";
    const grow = component.flex !== undefined ? component.flex : (horizontal ? 1 : 0);
    if (component.type !== "separator" && component.type !== "filler") {
      style.flex = grow === 0 ? "0 0 auto" : `${grow} 1 0`;
    }
    if (component.margin && !isFirst) style[horizontal ? "marginLeft" : "marginTop"] = scaled(SPACING, component.margin);
    if (component.position === "absolute") style.position = "absolute";
    for (const [key, prop] of [["offsetTop", "top"], ["offsetBottom", "bottom"], ["offsetStart", "left"], ["offsetEnd", "right"]]) {
      if (component[key]) style[prop] = scaled(SPACING, component[key]);
    }
    if (component.gravity) style.alignSelf = { top: "flex-start", center: "center", bottom: "flex-end" }[component.gravity];
  }

  function flexText(component) {
    const node = el("div", "flex-text");
    if (component.contents && component.contents.length) {
      for (const span of component.contents) {
        const part = el("span", null, span.text);
        if (span.size) part.style.fontSize = scaled(TEXT_SIZE, span.size);
        if (span.weight === "bold") part.style.fontWeight = "bold";
        if (span.color) part.style.color = span.color;
        node.append(part);
      }
    } else {
      node.textContent = component.text || "";
    }
    const style = node.style;
    style.fontSize = scaled(TEXT_SIZE, component.size || "md");
    if (component.weight === "bold") style.fontWeight = "bold";
    if (component.color) style.color = component.color;
    if (component.align) style.textAlign = { start: "left", end: "right", center: "center" }[component.align];
    if (component.style === "italic") style.fontStyle = "italic";
    if (component.decoration && component.decoration !== "none") style.textDecoration = component.decoration;
    style.whiteSpace = component.wrap ? "pre-wrap" : "nowrap";
    if (!component.wrap) style.textOverflow = "ellipsis";
    return node;
  }

  function flexButton(component, onAction) {
    const kind = component.style || "link";
    const node = actionElement(component.action || {}, `flex-button ${kind} ${component.height === "sm" ? "sm" : ""}`, onAction);
    if (component.color) node.style[kind === "link" ? "color" : "backgroundColor"] = component.color;
    return node;
  }

  function flexImage(component, onAction) {
    const node = image(component.url, "flex-image");
    const size = scaled(IMAGE_SIZE, component.size || "md");
    node.style.width = size;
    if (component.aspectRatio) node.style.aspectRatio = component.aspectRatio.replace(":", " / ");
    node.style.objectFit = component.aspectMode === "cover" ? "cover" : "contain";
    if (component.backgroundColor) node.style.backgroundColor = component.backgroundColor;
    if (component.align === "center" || !component.align) node.style.alignSelf = "center";
    makeClickable(node, component.action, onAction);
    return node;
  }

  function flexComponent(component, parentLayout, onAction, isFirst) {
    let node;
    switch (component.type) {
      case "box":
        node = el("div", "flex-box");
        applyBoxStyle(node, component);
        component.contents.forEach((child, i) => node.append(flexComponent(child, component.layout, onAction, i === 0)));
        makeClickable(node, component.action, onAction);
        break;
      case "text": node = flexText(component); makeClickable(node, component.action, onAction); break;
      case "button": node = flexButton(component, onAction); break;
      case "image": node = flexImage(component, onAction); break;
      case "icon":
        node = image(component.url, "flex-icon", "");
        node.style.width = node.style.height = scaled(TEXT_SIZE, component.size || "md");
        break;
      case "separator":
        node = el("div", "flex-separator");
        node.style[parentLayout === "vertical" ? "height" : "width"] = "1px";
        if (component.color) node.style.backgroundColor = component.color;
        break;
      case "filler": node = el("div"); node.style.flex = String(component.flex || 1); break;
      case "spacer": node = el("div"); node.style.height = scaled(SPACING, component.size || "md"); break;
      case "video": node = component.altContent ? flexComponent(component.altContent, parentLayout, onAction, true) : el("div", "placeholder", "วิดีโอ"); break;
      default: node = el("div", "placeholder", component.type);
    }
    applyChildStyle(node, component, parentLayout, isFirst);
    return node;
  }

  function flexBubble(bubble, onAction) {
    const node = el("div", "flex-bubble");
    node.style.width = scaled(BUBBLE_WIDTH, bubble.size || "mega");
    const styles = bubble.styles || {};
    for (const part of ["header", "hero", "body", "footer"]) {
      const component = bubble[part];
      if (!component) continue;
      const section = el("div", `flex-section flex-${part}`);
      if (part !== "hero") section.style.padding = part === "footer" ? "10px" : "20px";
      if (styles[part] && styles[part].backgroundColor) section.style.backgroundColor = styles[part].backgroundColor;
      if (styles[part] && styles[part].separator) section.style.borderTop = `1px solid ${styles[part].separatorColor || "#e5e5e5"}`;
      section.append(flexComponent(component, "vertical", onAction, true));
      node.append(section);
    }
    makeClickable(node, bubble.action, onAction);
    return node;
  }

  function flex(message, onAction) {
    const container = message.contents || {};
    if (container.type !== "carousel") return flexBubble(container, onAction);
    const row = el("div", "flex-carousel");
    for (const bubble of container.contents || []) row.append(flexBubble(bubble, onAction));
    return row;
  }

  /* ---- Messages ------------------------------------------------------------------------------ */

  function message(m, onAction, mediaUrl) {
    switch (m.type) {
      case "text": case "textV2": return textBubble(m.text);
      case "sticker": return el("div", "sticker", "🧸");
      case "image": return mediaBubble(image(mediaUrl || m.previewImageUrl || m.originalContentUrl, null, "รูปภาพ"));
      case "video": return mediaBubble(null, "🎬 วิดีโอ");
      case "audio": return mediaBubble(null, "🎤 ข้อความเสียง");
      case "file": return mediaBubble(null, `📄 ${m.fileName || "ไฟล์"}`);
      case "location": return locationCard(m);
      case "template": return template(m, onAction);
      case "flex": return flex(m, onAction);
      case "imagemap": return mediaBubble(null, `🗺 ${m.altText || "imagemap"}`);
      default: return textBubble(`[${m.type}]`);
    }
  }

  const api = { message, actionElement, actionLabel, image, el, claimLink: null };
  window.LineRender = api;
})();
