// The funnel: a bar per step as long as its share, its figures beside it. The start page loads it.

import { html } from "./html.js";
import { loc } from "../i18n/i18n.js";

const COLOR = /^#[0-9a-f]{3,8}$/i;

/** A bar's length (share 0..1) and colour as CSS custom properties, set through CSSOM (the CSP allows it). */
function bar(share, color) {
  return (node) => {
    node.style.setProperty("--share", String(Math.max(0, Math.min(1, Number(share) || 0))));
    if (COLOR.test(color || "")) node.style.setProperty("--c", color);
  };
}

/** The funnel: a row per step (`{code, name, color, share}`), `lines(step)` its figures, `href(step)` its list. */
export function funnelBars(steps, { lines, href = () => null, label }) {
  return html`<ol class="funnel" aria-label=${label}>
    ${steps.map((s) => {
      const name = loc(s.name) || s.code;
      return html`<li>
        <p class="funnel-text"><b>${href(s) ? html`<a href=${href(s)}>${name}</a>` : name}</b> ${lines(s).map((l) => html`<span>${l}</span>`)}</p>
        <div class="funnel-track"><div class="funnel-bar" ref=${bar(s.share, s.color)}></div></div>
      </li>`;
    })}
  </ol>`;
}
