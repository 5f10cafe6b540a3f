// The embed script of a CRM web form, served at /f/<key>.js with the form below as a JSON
// literal (crates/forms-page, `embed_script`). It renders the form into the
// element named by its <script> tag's data-target and posts it with fetch as JSON. Markup is
// built with DOM APIs and textContent only: no value of the form is ever parsed as HTML.
(() => {
  "use strict";
  const config = {"key":"k3y","name":"Contact \u003cus\u003e \u0026 \"friends\"","action":"https://crm.example/f/k3y","token":"t","lang":"en","fields":[{"name":"name","target":"name","type":"text","required":true,"options":[],"label":{"en":"Your name","ru":"Ваше имя"},"autocomplete":"name"},{"name":"email","target":"email","type":"email","required":true,"options":[],"label":{"en":"E-mail","ru":"E-mail"},"autocomplete":"email"},{"name":"phone","target":"phone","type":"tel","required":false,"options":[],"label":{"en":"Phone","ru":"Phone"},"autocomplete":"tel"},{"name":"msg","target":"comments","type":"textarea","required":false,"options":[],"label":{"en":"Message","ru":"Message"},"autocomplete":null},{"name":"topic","target":"comments","type":"select","required":false,"options":["Sales","R\u0026D \u003clab\u003e"],"label":{"en":"Topic","ru":"Topic"},"autocomplete":null},{"name":"news","target":"custom.news","type":"checkbox","required":false,"options":[],"label":{"en":"Send news","ru":"Send news"},"autocomplete":null},{"name":"campaign","target":"custom.campaign","type":"hidden","required":false,"options":[],"label":{"en":"campaign","ru":"campaign"},"autocomplete":null},{"name":"x\"\u003e\u003cscript\u003ealert(1)\u003c/script\u003e","target":"comments","type":"bogus","required":false,"options":[],"label":{"en":"\u003cimg src=x onerror=alert(1)\u003e","ru":"\u003cimg src=x onerror=alert(1)\u003e"},"autocomplete":null}],"consent":{"text":"I agree to the processing of my data \u003cb\u003enow\u003c/b\u003e","required":true},"success":{"en":"Thank you! We will contact you soon.","ru":"Спасибо! Мы скоро с вами свяжемся."},"texts":{"en":{"submit":"Send","choose":"Choose…","honeypot":"Leave this field empty","consent":"Consent","sending":"Sending…","too_many":"Too many submissions, try again later.","network":"The form could not be sent: check your connection and try again. What you typed is kept.","failed":"The form could not be sent. Please try again later."},"ru":{"submit":"Отправить","choose":"Выберите…","honeypot":"Оставьте это поле пустым","consent":"Согласие","sending":"Отправка…","too_many":"Слишком много отправок, попробуйте позже.","network":"Не удалось отправить форму: проверьте подключение и попробуйте ещё раз. Введённые данные сохранены.","failed":"Не удалось отправить форму. Попробуйте позже."}},"names":{"honeypot":"_hp","token":"_ts","consent":"_consent","submission":"submission_id","page_url":"_page_url","referrer":"_referrer","utm":["utm_source","utm_medium","utm_campaign","utm_content","utm_term"]}};
  if (!config) return;

  // document.currentScript is set while a classic (also async) script runs; keep it now.
  const me =
    document.currentScript ||
    Array.from(document.getElementsByTagName("script")).find((s) => {
      const src = (s.getAttribute("src") || "").split(/[?#]/)[0];
      return src.endsWith("/f/" + config.key + ".js");
    });
  const attr = (name) => (me && me.getAttribute(name)) || "";
  const lang = String(attr("data-lang") || config.lang).toLowerCase().startsWith("ru") ? "ru" : "en";
  const text = config.texts[lang];
  const names = config.names;
  const targetId = attr("data-target") || "crm-form-" + config.key;
  const params = new URLSearchParams(location.search);

  const label = (l) => (lang === "ru" && l.ru ? l.ru : l.en);

  const el = (tag, attrs, content) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (content !== undefined) node.textContent = content;
    return node;
  };

  const newId = () => {
    if (window.crypto && crypto.randomUUID) {
      try {
        return crypto.randomUUID();
      } catch (_) {
        // Not a secure context: fall through.
      }
    }
    const bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  // Zero-specificity defaults (:where) any site rule overrides; constructed style sheets are
  // not subject to the site's style-src.
  const adoptStyles = () => {
    try {
      if (!("adoptedStyleSheets" in document) || document.adoptedStyleSheets.some((s) => s.crmForm)) return;
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(
        [
          ":where(.crm-form) { max-width: 36rem; }",
          ":where(.crm-form .crm-field) { margin: 0 0 1rem; }",
          ":where(.crm-form label) { display: block; margin: 0 0 0.25rem; font-weight: 600; }",
          ":where(.crm-form .crm-check) { display: flex; gap: 0.5rem; align-items: flex-start; }",
          ":where(.crm-form .crm-check label) { font-weight: 400; margin: 0; }",
          ":where(.crm-form input:not([type=checkbox]), .crm-form select, .crm-form textarea) " +
            "{ box-sizing: border-box; width: 100%; padding: 0.5rem; font: inherit; }",
          ":where(.crm-form .crm-req, .crm-form .crm-error, .crm-form .crm-notice) { color: #b42318; }",
          ":where(.crm-form .crm-error, .crm-form .crm-notice) { margin: 0.25rem 0 0; }",
          ":where(.crm-form :focus-visible) { outline: 3px solid #0b57d0; outline-offset: 2px; }",
          ":where(.crm-form button) { font: inherit; padding: 0.625rem 1.5rem; cursor: pointer; }",
        ].join("\n"),
      );
      sheet.crmForm = true;
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    } catch (_) {
      // Styling is optional; the form works unstyled.
    }
  };

  const render = (host) => {
    const uid = "crm-" + config.key + "-";
    const form = el("form", {
      class: "crm-form",
      method: "post",
      action: config.action,
      "accept-charset": "utf-8",
      "aria-label": config.name,
    });
    const controls = new Map(); // posted name -> { input, error }
    const byTarget = new Map(); // CRM field -> posted name

    const errorSlot = (id) => {
      const error = el("p", { class: "crm-error", id: id + "-error" });
      error.hidden = true;
      return error;
    };

    config.fields.forEach((field, i) => {
      const id = uid + i;
      if (field.type === "hidden") {
        const input = el("input", { type: "hidden", name: field.name });
        input.value = params.get(field.name) || "";
        form.append(input);
        controls.set(field.name, { input, error: null, field });
        return;
      }
      let input;
      if (field.type === "textarea") {
        input = el("textarea", { rows: "4" });
      } else if (field.type === "select") {
        input = el("select");
        input.append(el("option", { value: "" }, text.choose));
        for (const option of field.options || []) input.append(el("option", { value: option }, option));
      } else if (field.type === "checkbox") {
        input = el("input", { type: "checkbox", value: "yes" });
      } else {
        const type = ["email", "tel", "number", "date"].includes(field.type) ? field.type : "text";
        input = el("input", { type });
        if (type === "number") input.setAttribute("step", "any");
      }
      input.id = id;
      input.name = field.name;
      input.required = Boolean(field.required);
      if (field.autocomplete) input.setAttribute("autocomplete", field.autocomplete);
      const caption = el("label", { for: id }, label(field.label));
      if (field.required) caption.append(" ", el("span", { class: "crm-req", "aria-hidden": "true" }, "*"));
      const error = errorSlot(id);
      const wrap = el("div", { class: "crm-field" });
      if (field.type === "checkbox") {
        const row = el("div", { class: "crm-check" });
        row.append(input, caption);
        wrap.append(row, error);
      } else {
        wrap.append(caption, input, error);
      }
      form.append(wrap);
      controls.set(field.name, { input, error, field });
      if (!byTarget.has(field.target)) byTarget.set(field.target, field.name);
    });

    let consent = null;
    if (config.consent) {
      const id = uid + "consent";
      consent = el("input", { type: "checkbox", id, name: names.consent, value: "yes" });
      consent.required = Boolean(config.consent.required);
      const caption = el("label", { for: id }, config.consent.text);
      if (config.consent.required) caption.append(" ", el("span", { class: "crm-req", "aria-hidden": "true" }, "*"));
      const error = errorSlot(id);
      const row = el("div", { class: "crm-check" });
      row.append(consent, caption);
      const wrap = el("div", { class: "crm-field" });
      wrap.append(row, error);
      form.append(wrap);
      controls.set(names.consent, { input: consent, error, field: null });
    }

    // The honeypot: off-screen (inline style, which no site policy blocks when set this way),
    // out of the tab order and hidden from assistive technology.
    const trap = el("div", { "aria-hidden": "true" });
    Object.assign(trap.style, { position: "absolute", left: "-10000px", width: "1px", height: "1px", overflow: "hidden" });
    const trapInput = el("input", { type: "text", id: uid + "hp", name: names.honeypot, tabindex: "-1", autocomplete: "off" });
    trap.append(el("label", { for: uid + "hp" }, text.honeypot), trapInput);
    form.append(trap);

    const notice = el("p", { class: "crm-notice", role: "alert" });
    notice.hidden = true;
    const button = el("button", { type: "submit", class: "crm-submit" }, text.submit);
    form.append(notice, button);

    const showNotice = (message) => {
      notice.textContent = message;
      notice.hidden = false;
    };

    const clearErrors = () => {
      notice.hidden = true;
      notice.textContent = "";
      for (const { input, error } of controls.values()) {
        if (!error) continue;
        error.hidden = true;
        error.textContent = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      }
    };

    const showFieldErrors = (errors) => {
      const loose = [];
      let first = null;
      for (const problem of errors) {
        const field = String(problem.field || "");
        const message = String(problem.message || problem.code || "");
        const control = controls.get(field) || controls.get(byTarget.get(field) || "");
        if (!control || !control.error) {
          loose.push(field ? field + ": " + message : message);
          continue;
        }
        control.error.textContent = control.error.textContent ? control.error.textContent + "; " + message : message;
        control.error.hidden = false;
        control.input.setAttribute("aria-invalid", "true");
        control.input.setAttribute("aria-describedby", control.error.id);
        if (!first) first = control.input;
      }
      if (loose.length) showNotice(loose.join("\n"));
      else if (!first) showNotice(text.failed);
      if (first) first.focus();
    };

    // One id per attempt, so a retry after a network error is not taken twice; a new one
    // after the server judged the values (a corrected post is a new submission).
    let submissionId = newId();
    let sending = false;

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (sending) return;
      clearErrors();
      const body = {};
      for (const [name, { input, field }] of controls) {
        if (!field) continue;
        if (field.type === "checkbox") {
          if (input.checked) body[name] = "yes";
        } else {
          body[name] = input.value;
        }
      }
      if (consent && consent.checked) body[names.consent] = "yes";
      body[names.honeypot] = trapInput.value;
      body[names.token] = config.token;
      for (const name of names.utm) {
        if (!(name in body) && params.get(name)) body[name] = params.get(name);
      }
      body[names.page_url] = location.href;
      body[names.referrer] = document.referrer;
      body[names.submission] = submissionId;

      sending = true;
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      button.textContent = text.sending;
      const finish = () => {
        sending = false;
        button.disabled = false;
        form.removeAttribute("aria-busy");
        button.textContent = text.submit;
      };

      let response;
      try {
        response = await fetch(config.action, {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { Accept: "application/json", "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch (_) {
        finish();
        showNotice(text.network);
        return;
      }
      finish();
      if (response.status === 201 || response.status === 200) {
        const done = el("p", { class: "crm-success", role: "status", tabindex: "-1" }, config.success[lang]);
        done.style.whiteSpace = "pre-line";
        form.replaceWith(done);
        done.focus();
      } else if (response.status === 422) {
        submissionId = newId();
        let problem = {};
        try {
          problem = await response.json();
        } catch (_) {
          // Not JSON: the generic message below.
        }
        showFieldErrors(Array.isArray(problem.errors) ? problem.errors : []);
      } else if (response.status === 429) {
        showNotice(text.too_many);
      } else {
        showNotice(text.failed);
      }
    });

    host.replaceChildren(form);
  };

  const mount = () => {
    const host = document.getElementById(targetId);
    if (!host) {
      console.error("CRM form: no element with id " + targetId);
      return;
    }
    if (host.getAttribute("data-crm-form") === config.key) return;
    host.setAttribute("data-crm-form", config.key);
    adoptStyles();
    render(host);
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
