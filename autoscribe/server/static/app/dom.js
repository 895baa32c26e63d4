// A small element builder: h("p", {class: "x"}, "text", child) — text is always text, never HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// Runs `render` (which may take nodes out of the page and put them back) and gives the focus
// back to the element that had it, by its id, with its text selection: a live refresh must not
// take the caret away from someone typing.
export function keepingFocus(render) {
  const active = document.activeElement;
  const id = active && active.id;
  const selection = active && typeof active.selectionStart === "number"
    ? [active.selectionStart, active.selectionEnd] : null;
  render();
  if (!id || document.activeElement === active) return;
  const again = document.getElementById(id);
  if (!again) return;
  again.focus({ preventScroll: true });
  if (selection && typeof again.setSelectionRange === "function") again.setSelectionRange(...selection);
}
