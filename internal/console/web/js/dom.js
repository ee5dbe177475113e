// h builds an element: h('button', {class: 'x', onclick}, 'text', child…).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = v;
    // styles through the CSSOM: the page's CSP refuses inline style attributes
    else if (k === 'style') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
export const fmt = n => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US'));
// ids from pointers: stable across renders, valid in CSS selectors
export const idOf = (...ks) => 'n' + ks.join('-').replace(/[^A-Za-z0-9_-]/g, c => '_' + c.charCodeAt(0).toString(16));
