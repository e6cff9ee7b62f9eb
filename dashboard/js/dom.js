/*
 * dom.js - the few DOM helpers every view uses.  el() is how payload text
 * reaches the page: through textContent, never as markup.
 */
import { S } from '/assets/model.js';

export function $(id) { return document.getElementById(id); }

/* Builds an element; text goes through textContent, never markup. */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/* A short message at the bottom of the page, gone after 1.6 s. */
export function toast(msg) {
  const t = $('toast');
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(S.toastTimer);
  S.toastTimer = setTimeout(() => { t.hidden = true; }, 1600);
}

export async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // Fallback when the Clipboard API is refused (not a secure context).
    const ta = el('textarea');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast('copied ' + what);
}

/* Closes every dropdown menu of the filter bar. */
export function closeMenus() { document.querySelectorAll('.menu').forEach((m) => { m.hidden = true; }); }
