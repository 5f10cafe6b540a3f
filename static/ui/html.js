// The one rendering helper: a tagged template that builds DOM nodes.
//
//   html`<a href=${url} class="x">${name}</a>`   -> a DocumentFragment
//
// The literal's own static text is read by a small builder of ours (once per call site,
// cached) that makes the nodes with createElement / setAttribute / createTextNode: nothing
// is ever handed to the browser's HTML parser. Every interpolated value becomes a text node or
// an attribute value, never markup, so data such as `<img src=x onerror=alert(1)>` renders as
// those characters. The static text must be well-formed: every non-void element closed.
//
// In element content a value may be: null/undefined/false (nothing), a Node (inserted), an
// array (each item), anything else (text). Inside a tag a value must be a whole attribute value
// (`name=${v}` or `name="${v}"`):
//   name=${v}      setAttribute (omitted when v is null/undefined/false; true gives "")
//   ?name=${b}     a boolean attribute, present when b is truthy
//   .prop=${v}     a DOM property (`.value`, `.checked`)
//   @event=${fn}   addEventListener
//   ref=${fn}      fn(element) once the element exists
// `href`, `src` and `action` take only http(s), mailto:, tel: and same-origin URLs.

const cache = new WeakMap();
const MARK = "h-attr-";

function prepare(strings) {
  let markup = "";
  const attrs = [];
  let skipQuote = "";
  for (let i = 0; i < strings.length; i++) {
    let s = strings[i];
    if (skipQuote) {
      if (s[0] !== skipQuote) throw new Error("html: an attribute value must be the whole quoted value");
      s = s.slice(1);
      skipQuote = "";
    }
    if (i === strings.length - 1) {
      markup += s;
      break;
    }
    const soFar = markup + s;
    if (soFar.lastIndexOf("<") > soFar.lastIndexOf(">")) {
      const m = /([^\s"'<>/=]+)=(["']?)$/.exec(s);
      if (!m) throw new Error(`html: a value inside a tag must be an attribute value (${s.slice(-30)})`);
      markup += `${s.slice(0, m.index)}${MARK}${i}="${m[1]}"`;
      attrs.push(i);
      skipQuote = m[2];
    } else {
      markup += `${s}<!--h${i}-->`;
    }
  }
  // Static text of the source code only: no interpolated value is in `markup`.
  return build(markup);
}

const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function decode(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
    if (name[0] !== "#") return ENTITIES[name.toLowerCase()] ?? whole;
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return String.fromCodePoint(code);
  });
}

/** Builds the nodes of well-formed static markup into a DocumentFragment. */
function build(markup) {
  const fragment = document.createDocumentFragment();
  const open = [fragment];
  const parent = () => open[open.length - 1];
  let i = 0;
  while (i < markup.length) {
    if (markup.startsWith("<!--", i)) {
      const end = markup.indexOf("-->", i + 4);
      if (end < 0) throw new Error("html: an unclosed comment");
      parent().append(document.createComment(markup.slice(i + 4, end)));
      i = end + 3;
    } else if (markup.startsWith("</", i)) {
      const end = markup.indexOf(">", i);
      const name = markup.slice(i + 2, end).trim().toLowerCase();
      const node = open.pop();
      if (end < 0 || !node || node.localName !== name) throw new Error(`html: </${name}> closes nothing open`);
      i = end + 1;
    } else if (markup[i] === "<" && /[a-z]/i.test(markup[i + 1] ?? "")) {
      i = openTag(markup, i, open);
    } else {
      const next = markup.indexOf("<", i + 1);
      const end = next < 0 ? markup.length : next;
      parent().append(document.createTextNode(decode(markup.slice(i, end))));
      i = end;
    }
  }
  if (open.length !== 1) throw new Error(`html: <${parent().localName}> is not closed`);
  return fragment;
}

/** Reads the tag starting at `start`, appends its element and returns where the tag ends. */
function openTag(markup, start, open) {
  const name = /^<([^\s/>]+)/.exec(markup.slice(start))[1].toLowerCase();
  const element = document.createElement(name);
  let i = start + name.length + 1;
  const attribute = /\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/y;
  for (;;) {
    const rest = /\s*(\/?>)/y;
    rest.lastIndex = i;
    const close = rest.exec(markup);
    if (close) {
      i = rest.lastIndex;
      open[open.length - 1].append(element);
      if (close[1] === ">" && !VOID.has(name)) open.push(element);
      return i;
    }
    attribute.lastIndex = i;
    const m = attribute.exec(markup);
    if (!m) throw new Error(`html: cannot read the tag <${name}>`);
    element.setAttribute(m[1], decode(m[2] ?? m[3] ?? m[4] ?? ""));
    i = attribute.lastIndex;
  }
}

const SAFE_URL = /^(?:https?:|mailto:|tel:|\/(?!\/)|\?|#)/i;

function setAttr(el, name, value) {
  if (name.startsWith("@")) {
    el.addEventListener(name.slice(1), value);
  } else if (name.startsWith(".")) {
    el[name.slice(1)] = value;
  } else if (name.startsWith("?")) {
    el.toggleAttribute(name.slice(1), Boolean(value));
  } else if (name === "ref") {
    if (typeof value === "function") value(el);
  } else if (value === null || value === undefined || value === false) {
    el.removeAttribute(name);
  } else {
    let text = value === true ? "" : String(value);
    if ((name === "href" || name === "src" || name === "action") && !SAFE_URL.test(text.trim())) text = "#";
    el.setAttribute(name, text);
  }
}

function toNodes(value, out) {
  if (value === null || value === undefined || value === false) return;
  if (Array.isArray(value)) {
    for (const item of value) toNodes(item, out);
  } else if (value instanceof Node) {
    out.push(value);
  } else {
    out.push(document.createTextNode(String(value)));
  }
}

/** Builds a DocumentFragment from the template; values never become markup. */
export function html(strings, ...values) {
  let template = cache.get(strings);
  if (!template) {
    template = prepare(strings);
    cache.set(strings, template);
  }
  const fragment = template.cloneNode(true);
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_COMMENT);
  const slots = [];
  const elements = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.COMMENT_NODE) {
      if (/^h\d+$/.test(node.data)) slots.push(node);
    } else if (node.hasAttributes()) {
      elements.push(node);
    }
  }
  for (const el of elements) {
    for (const attr of [...el.attributes]) {
      if (!attr.name.startsWith(MARK)) continue;
      el.removeAttribute(attr.name);
      setAttr(el, attr.value, values[Number(attr.name.slice(MARK.length))]);
    }
  }
  for (const slot of slots) {
    const nodes = [];
    toNodes(values[Number(slot.data.slice(1))], nodes);
    slot.replaceWith(...nodes);
  }
  return fragment;
}

/** The first element of an `html` fragment, for when one element is wanted. */
export function el(strings, ...values) {
  return html(strings, ...values).firstElementChild;
}

/** Replaces an element's children with nodes (fragments, elements, text). */
export function mount(target, ...nodes) {
  const list = [];
  toNodes(nodes, list);
  target.replaceChildren(...list);
}
