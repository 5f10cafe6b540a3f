//! What a visitor sees of a web form, kept out of the domain crate: the hosted page
//! (`GET /f/<key>`), the thank-you page (`GET /f/<key>/thanks`), the page listing invalid
//! fields after a post without JavaScript, the page for a form that does not exist, and the
//! embed script (`GET /f/<key>.js`) that renders the same form on another site and posts it
//! with `fetch`. `components/intake` serves them; the rules of a submission are
//! `crm_core::intake`'s.
//!
//! The markup lives in `templates/` ([`template`]), filled in one pass; this crate adds what
//! depends on the form (its fields, labels and language). Pure functions: every piece of form or
//! visitor text is escaped (`html_escape` in HTML, a script-safe JSON literal in the embed
//! script). The pages are complete HTML5 documents with one inline style ([`PAGE_STYLE`]) and,
//! on the hosted page, one inline script ([`PAGE_SCRIPT`]); both are constants, so
//! [`content_security_policy`] allows exactly them by hash. Pages come in English or Russian
//! ([`language`]).

pub mod template;
mod texts;

use base64::Engine as _;
use crm_core::FieldErrors;
use crm_core::intake::form::{Form, FormField, html_escape};
use crm_core::intake::{CONSENT, HONEYPOT, SUBMISSION_ID, TIME_TOKEN};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

pub use texts::language;
use texts::{EN, RU, texts, texts_json};

/// The attribution parameters copied from the page address into hidden inputs.
pub const UTM_PARAMS: &[&str] = &["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];
/// The hidden input carrying the address of the page the form was filled on.
pub const PAGE_URL: &str = "_page_url";
/// The hidden input carrying the page the visitor came from (`document.referrer`).
pub const REFERRER: &str = "_referrer";

/// The one inline script of the hosted page (`templates/page.js`): fills the hidden inputs
/// marked `data-fill` (UTM and same-named parameters from the address, the page address, the
/// referrer, a fresh submission id) and keeps a second click from posting twice. The page works
/// without it.
pub const PAGE_SCRIPT: &str = template::PAGE_JS;

/// The one inline style of every page (`templates/page.css`): system fonts, light and dark
/// schemes, a visible focus ring, the honeypot moved off-screen.
pub const PAGE_STYLE: &str = template::PAGE_CSS;

/// The embed script's source (`templates/embed.js`); `/*CONFIG*/ null` is replaced by the form
/// as a JSON literal.
const EMBED_JS: &str = template::EMBED_JS;
/// Where [`embed_script`] puts the form definition.
const CONFIG_SLOT: &str = "/*CONFIG*/ null";

/// A field's label in `lang` (Russian falls back to English, English to the posted name).
fn label<'a>(field: &'a FormField, lang: &str) -> &'a str {
    let ru = field.label.ru.trim();
    let en = field.label.en.trim();
    if lang == "ru" && !ru.is_empty() {
        ru
    } else if !en.is_empty() {
        en
    } else {
        &field.name
    }
}

/// The browser autofill token for the CRM field a form field fills.
fn autocomplete(field: &FormField) -> Option<&'static str> {
    match field.target.as_str() {
        "name" => Some("name"),
        "first_name" => Some("given-name"),
        "last_name" => Some("family-name"),
        "middle_name" => Some("additional-name"),
        "email" => Some("email"),
        "phone" => Some("tel"),
        "website" => Some("url"),
        "company_title" => Some("organization"),
        _ => None,
    }
}

/// The success text: the form's own, or the default in `lang`.
fn success_text<'a>(form: &'a Form, lang: &str) -> &'a str {
    match form.success_message.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text,
        _ => texts(lang).thanks,
    }
}

/// Base64 of the SHA-256 of `text`, as CSP hash sources want it.
fn sha256_base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// Base64 SHA-256 of [`PAGE_SCRIPT`], for `script-src 'sha256-<this>'`.
pub fn page_script_hash() -> String {
    sha256_base64(PAGE_SCRIPT)
}

/// Base64 SHA-256 of [`PAGE_STYLE`], for `style-src 'sha256-<this>'`.
pub fn page_style_hash() -> String {
    sha256_base64(PAGE_STYLE)
}

/// The `Content-Security-Policy` of every page of this module: nothing loads but the inline
/// script and style (allowed by hash). Forms post to the same origin; `form-action` also
/// allows any http(s) address because Chromium checks it on the redirect after a post too,
/// and that `303` goes to the form's `redirect_url` on the site's own origin (the one form on
/// the page is ours, so this opens nothing).
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; form-action 'self' https: http:; \
         base-uri 'none'",
        page_script_hash(),
        page_style_hash()
    )
}

/// A whole page: the layout around `main` (and the hosted page's `script`), titled `title`.
fn page(title: &str, lang: &str, main: &str, script: &str) -> String {
    let title = html_escape(title);
    template::render(
        template::LAYOUT,
        &[
            ("lang", lang),
            ("title", &title),
            ("style", PAGE_STYLE),
            ("main", main),
            ("script", script),
        ],
    )
}

/// ` *` after a required field's label, hidden from screen readers (`required` is announced).
const REQUIRED_MARK: &str = " <span class=\"req\" aria-hidden=\"true\">*</span>";

/// One form field as HTML.
fn field_html(out: &mut String, field: &FormField, id: &str, lang: &str) {
    let name = html_escape(&field.name);
    let text = html_escape(label(field, lang));
    let required = if field.required { " required" } else { "" };
    let mark = if field.required { REQUIRED_MARK } else { "" };
    let auto = autocomplete(field)
        .map(|a| format!(" autocomplete=\"{a}\""))
        .unwrap_or_default();
    match field.kind.as_str() {
        "hidden" => {
            out.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"\" data-fill=\"query\">\n"
            ));
        }
        "checkbox" => {
            out.push_str(&format!(
                "<div class=\"field check\">\n<input id=\"{id}\" type=\"checkbox\" name=\"{name}\" value=\"yes\"{required}>\n\
                 <label for=\"{id}\">{text}{mark}</label>\n</div>\n"
            ));
        }
        "textarea" => {
            out.push_str(&format!(
                "<div class=\"field\">\n<label for=\"{id}\">{text}{mark}</label>\n\
                 <textarea id=\"{id}\" name=\"{name}\" rows=\"4\"{required}{auto}></textarea>\n</div>\n"
            ));
        }
        "select" => {
            out.push_str(&format!(
                "<div class=\"field\">\n<label for=\"{id}\">{text}{mark}</label>\n\
                 <select id=\"{id}\" name=\"{name}\"{required}{auto}>\n<option value=\"\">{}</option>\n",
                texts(lang).choose
            ));
            for option in &field.options {
                let option = html_escape(option);
                out.push_str(&format!("<option value=\"{option}\">{option}</option>\n"));
            }
            out.push_str("</select>\n</div>\n");
        }
        kind => {
            let kind = match kind {
                "email" | "tel" | "number" | "date" => kind,
                _ => "text",
            };
            let extra = match kind {
                "number" => " inputmode=\"decimal\" step=\"any\"",
                _ => "",
            };
            out.push_str(&format!(
                "<div class=\"field\">\n<label for=\"{id}\">{text}{mark}</label>\n\
                 <input id=\"{id}\" type=\"{kind}\" name=\"{name}\"{required}{auto}{extra}>\n</div>\n"
            ));
        }
    }
}

/// The public form page (`GET /f/<key>`). `token` is a fresh time token
/// (`crm_core::intake::token::issue`), `action` where the form posts (`/f/<key>`), `lang` a
/// language tag or an `Accept-Language` value (see [`language`]). Serve it with
/// [`content_security_policy`].
pub fn hosted_page(form: &Form, token: &str, action: &str, lang: &str) -> String {
    let lang = language(lang);
    let t = texts(lang);
    let any_required = form.fields.iter().any(|f| f.required && f.kind != "hidden")
        || form.consent.as_ref().is_some_and(|c| c.required);
    let note = if any_required {
        format!("<p class=\"note\">{}</p>\n", t.required_note)
    } else {
        String::new()
    };
    let mut fields = String::new();
    for (i, field) in form.fields.iter().enumerate() {
        field_html(&mut fields, field, &format!("f-{i}"), lang);
    }
    let consent = match &form.consent {
        Some(consent) => {
            let required = if consent.required { " required" } else { "" };
            let mark = if consent.required { REQUIRED_MARK } else { "" };
            format!(
                "<div class=\"field check\">\n<input id=\"f-consent\" type=\"checkbox\" name=\"{CONSENT}\" value=\"yes\"{required}>\n\
                 <label for=\"f-consent\">{}{mark}</label>\n</div>\n",
                html_escape(&consent.text)
            )
        }
        None => String::new(),
    };
    let has_field = |name: &str| form.fields.iter().any(|f| f.name == name);
    let utm: String = UTM_PARAMS
        .iter()
        .filter(|p| !has_field(p))
        .map(|param| format!("<input type=\"hidden\" name=\"{param}\" value=\"\" data-fill=\"query\">\n"))
        .collect();
    let main = template::render(
        template::HOSTED,
        &[
            ("note", &note),
            ("action", &html_escape(action)),
            ("fields", &fields),
            ("consent", &consent),
            ("honeypot_label", t.honeypot),
            ("honeypot", HONEYPOT),
            ("time_token", TIME_TOKEN),
            ("token", &html_escape(token)),
            ("utm", &utm),
            ("page_url", PAGE_URL),
            ("referrer", REFERRER),
            ("submission_id", SUBMISSION_ID),
            ("submit", t.submit),
        ],
    );
    page(&form.name, lang, &main, &format!("<script>{PAGE_SCRIPT}</script>\n"))
}

/// The thank-you page (`GET /f/<key>/thanks`): the form's `success_message`, or "Thank you! We
/// will contact you soon." in `lang`. Serve it with [`content_security_policy`].
pub fn thanks_page(form: &Form, lang: &str) -> String {
    let lang = language(lang);
    let main = template::render(template::THANKS, &[("message", &html_escape(success_text(form, lang)))]);
    page(&form.name, lang, &main, "")
}

/// The page answering a post without JavaScript whose fields are invalid (status 422): each
/// error with the field's label where the form knows it (by posted name, CRM field, or the
/// consent box), and a link back to `form_url` (the hosted page, `/f/<key>`). Serve it with
/// [`content_security_policy`].
pub fn error_page(form: &Form, errors: &FieldErrors, form_url: &str, lang: &str) -> String {
    let lang = language(lang);
    let t = texts(lang);
    let mut list = String::new();
    if errors.is_empty() {
        list.push_str(&format!("<p>{}</p>\n", t.errors_none));
    } else {
        list.push_str("<ul>\n");
        for error in errors.iter() {
            let name = if error.field == CONSENT {
                Some(t.consent)
            } else {
                form.fields
                    .iter()
                    .find(|f| f.name == error.field)
                    .or_else(|| form.fields.iter().find(|f| f.target == error.field))
                    .map(|f| label(f, lang))
                    .or_else(|| (!error.field.is_empty()).then_some(error.field.as_str()))
            };
            match name {
                Some(name) => list.push_str(&format!(
                    "<li><strong>{}</strong>: {}</li>\n",
                    html_escape(name),
                    html_escape(&error.message)
                )),
                None => list.push_str(&format!("<li>{}</li>\n", html_escape(&error.message))),
            }
        }
        list.push_str("</ul>\n");
    }
    let main = template::render(
        template::ERROR,
        &[
            ("title", t.errors_title),
            ("list", &list),
            ("hint", t.back_hint),
            ("form_url", &html_escape(form_url)),
            ("back", t.back),
        ],
    );
    page(&form.name, lang, &main, "")
}

/// The page for `GET /f/<key>` of no form, or of a deactivated one (status 404). Serve it
/// with [`content_security_policy`].
pub fn not_found_page(lang: &str) -> String {
    let lang = language(lang);
    let t = texts(lang);
    let main = template::render(template::NOT_FOUND, &[("message", t.not_found)]);
    page(t.not_found_title, lang, &main, "")
}

/// JSON for a `<script>` or a script file: also `<`, `>`, `&` and the JavaScript line
/// separators escaped, so no value can close a script element or break the source.
fn script_json(value: &Json) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The embed script (`GET /f/<key>.js`, `text/javascript`, not cached: it carries a fresh
/// `token`). It renders the form into the element named by its `<script>` tag's
/// `data-target` (default `crm-form-<key>`) with DOM APIs only, and posts it as JSON to
/// `action_url` (the absolute `https://crm.example/f/<key>`, since it runs on another site):
/// 201 shows the success message, 422 each error beside its field, 429 a "try again later",
/// a network error a retry message with the typed data kept. `lang` (see [`language`]) is the
/// default; a `data-lang` attribute on the tag overrides it.
pub fn embed_script(form: &Form, token: &str, action_url: &str, lang: &str) -> String {
    let fields: Vec<Json> = form
        .fields
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "target": f.target,
                "type": f.kind,
                "required": f.required,
                "options": f.options,
                "label": {"en": label(f, "en"), "ru": label(f, "ru")},
                "autocomplete": autocomplete(f),
            })
        })
        .collect();
    let config = json!({
        "key": form.public_key,
        "name": form.name,
        "action": action_url,
        "token": token,
        "lang": language(lang),
        "fields": fields,
        "consent": form.consent.as_ref().map(|c| json!({"text": c.text, "required": c.required})),
        "success": {"en": success_text(form, "en"), "ru": success_text(form, "ru")},
        "texts": {"en": texts_json(&EN), "ru": texts_json(&RU)},
        "names": {
            "honeypot": HONEYPOT,
            "token": TIME_TOKEN,
            "consent": CONSENT,
            "submission": SUBMISSION_ID,
            "page_url": PAGE_URL,
            "referrer": REFERRER,
            "utm": UTM_PARAMS,
        },
    });
    EMBED_JS.replacen(CONFIG_SLOT, &script_json(&config), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::intake::form::{Consent, Label};

    fn field(name: &str, target: &str, en: &str, kind: &str, required: bool) -> FormField {
        FormField {
            name: name.into(),
            target: target.into(),
            label: Label {
                en: en.into(),
                ru: String::new(),
            },
            required,
            kind: kind.into(),
            options: Vec::new(),
        }
    }

    fn form() -> Form {
        let mut name = field("name", "name", "Your name", "text", true);
        name.label.ru = "Ваше имя".into();
        let mut topic = field("topic", "comments", "Topic", "select", false);
        topic.options = vec!["Sales".into(), "R&D <lab>".into()];
        Form {
            id: 1,
            name: "Contact <us> & \"friends\"".into(),
            public_key: "k3y".into(),
            secret: "s3cret-never-shown".into(),
            active: true,
            fields: vec![
                name,
                field("email", "email", "E-mail", "email", true),
                field("phone", "phone", "Phone", "tel", false),
                field("msg", "comments", "Message", "textarea", false),
                topic,
                field("news", "custom.news", "Send news", "checkbox", false),
                field("campaign", "custom.campaign", "", "hidden", false),
                field(
                    "x\"><script>alert(1)</script>",
                    "comments",
                    "<img src=x onerror=alert(1)>",
                    "bogus",
                    false,
                ),
            ],
            creates: "lead".into(),
            pipeline_id: None,
            stage: None,
            responsible_ids: vec![1],
            source: "WEBFORM".into(),
            source_description: None,
            consent: Some(Consent {
                text: "I agree to the processing of my data <b>now</b>".into(),
                required: true,
            }),
            success_message: None,
            redirect_url: None,
            allowed_origins: vec![],
            duplicates: "attach".into(),
            notify_minutes: None,
            ip_limit_per_minute: 20,
            form_limit_per_minute: 600,
            version: 1,
            workspace: None,
        }
    }

    /// The one tag that contains `needle`.
    fn tag_with<'a>(html: &'a str, needle: &str) -> &'a str {
        let at = html.find(needle).unwrap_or_else(|| panic!("{needle} not in page"));
        let start = html[..at].rfind('<').unwrap();
        let end = at + html[at..].find('>').unwrap();
        &html[start..=end]
    }

    #[test]
    fn the_hosted_page_is_a_complete_accessible_document() {
        let page = hosted_page(&form(), "123.abc", "/f/k3y", "en-GB,en;q=0.9");
        assert!(page.starts_with("<!doctype html>\n<html lang=\"en\">"), "{page}");
        assert!(page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        assert!(page.contains("<title>Contact &lt;us&gt; &amp; &quot;friends&quot;</title>"));
        assert!(page.contains("<form method=\"post\" action=\"/f/k3y\" accept-charset=\"utf-8\">"));
        assert!(page.trim_end().ends_with("</html>"));
        // Every visible input has a label tied to it.
        for (i, kind) in [(0, "text"), (1, "email"), (2, "tel")] {
            assert!(page.contains(&format!("<label for=\"f-{i}\">")), "label {i}");
            assert!(
                page.contains(&format!("<input id=\"f-{i}\" type=\"{kind}\"")),
                "input {i}"
            );
        }
        assert!(
            page.contains("<label for=\"f-0\">Your name <span class=\"req\" aria-hidden=\"true\">*</span></label>")
        );
        assert!(tag_with(&page, "id=\"f-0\"").contains(" required"));
        assert!(tag_with(&page, "id=\"f-0\"").contains("autocomplete=\"name\""));
        assert!(tag_with(&page, "id=\"f-1\"").contains("autocomplete=\"email\""));
        assert!(!tag_with(&page, "id=\"f-2\"").contains("required"));
        assert!(page.contains("<textarea id=\"f-3\" name=\"msg\" rows=\"4\"></textarea>"));
        assert!(page.contains("<select id=\"f-4\" name=\"topic\">\n<option value=\"\">Choose…</option>"));
        assert!(page.contains("<option value=\"R&amp;D &lt;lab&gt;\">R&amp;D &lt;lab&gt;</option>"));
        assert!(page.contains("<input id=\"f-5\" type=\"checkbox\" name=\"news\" value=\"yes\">"));
        assert!(page.contains("<input type=\"hidden\" name=\"campaign\" value=\"\" data-fill=\"query\">"));
        assert!(page.contains(":focus-visible"));
        assert!(page.contains("Fields marked * are required."));
        assert!(page.contains("<button type=\"submit\">Send</button>"));
        assert!(!page.contains("s3cret"));
    }

    #[test]
    fn everything_the_form_defines_is_escaped() {
        let page = hosted_page(&form(), "1.\"><x", "/f/k3y?a=1&b=\"2\"", "en");
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>now"), "{page}");
        assert!(page.contains("name=\"x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        // An unknown type is a text input.
        assert!(tag_with(&page, "name=\"x&quot;").contains("type=\"text\""));
        assert!(page.contains("action=\"/f/k3y?a=1&amp;b=&quot;2&quot;\""));
        assert!(page.contains("name=\"_ts\" value=\"1.&quot;&gt;&lt;x\""));
        // Exactly one script element: ours.
        assert_eq!(page.matches("<script").count(), 1);
    }

    #[test]
    fn the_honeypot_is_hidden_from_people_but_not_a_hidden_input() {
        let page = hosted_page(&form(), "t", "/f/k3y", "en");
        let input = tag_with(&page, "name=\"_hp\"");
        assert!(input.contains("type=\"text\""), "{input}");
        assert!(
            input.contains("tabindex=\"-1\"") && input.contains("autocomplete=\"off\""),
            "{input}"
        );
        let before = &page[..page.find("name=\"_hp\"").unwrap()];
        let wrapper = &before[before.rfind("<div").unwrap()..];
        assert!(
            wrapper.starts_with("<div class=\"hp\" aria-hidden=\"true\">"),
            "{wrapper}"
        );
        assert!(PAGE_STYLE.contains(".hp { position: absolute; left: -10000px;"));
    }

    #[test]
    fn the_token_consent_and_attribution_inputs_are_there() {
        let page = hosted_page(&form(), "1700000000.beef", "/f/k3y", "en");
        assert!(page.contains("<input type=\"hidden\" name=\"_ts\" value=\"1700000000.beef\">"));
        let consent = tag_with(&page, "name=\"_consent\"");
        assert!(
            consent.contains("type=\"checkbox\"") && consent.contains("value=\"yes\""),
            "{consent}"
        );
        assert!(
            consent.contains(" required") && !consent.contains("checked"),
            "{consent}"
        );
        assert!(page.contains("<label for=\"f-consent\">I agree to the processing of my data &lt;b&gt;now&lt;/b&gt;"));
        for name in UTM_PARAMS {
            assert!(
                page.contains(&format!("name=\"{name}\" value=\"\" data-fill=\"query\"")),
                "{name}"
            );
        }
        assert!(page.contains("name=\"_page_url\" value=\"\" data-fill=\"href\""));
        assert!(page.contains("name=\"_referrer\" value=\"\" data-fill=\"referrer\""));
        assert!(page.contains("name=\"submission_id\" value=\"\" data-fill=\"id\""));

        let mut plain = form();
        plain.consent = None;
        plain.fields.push(field("utm_source", "comments", "", "hidden", false));
        let page = hosted_page(&plain, "t", "/f/k3y", "en");
        assert!(!page.contains("_consent"));
        assert_eq!(page.matches("name=\"utm_source\"").count(), 1);
    }

    #[test]
    fn labels_follow_the_language_and_fall_back_to_english() {
        let page = hosted_page(&form(), "t", "/f/k3y", "ru-RU,ru;q=0.9,en;q=0.8");
        assert!(page.contains("<html lang=\"ru\">"));
        assert!(page.contains(">Ваше имя <span"));
        assert!(page.contains(">E-mail <span"), "no Russian label: English");
        assert!(page.contains("<button type=\"submit\">Отправить</button>"));
        let page = hosted_page(&form(), "t", "/f/k3y", "de");
        assert!(page.contains("<html lang=\"en\">") && page.contains(">Your name <span"));
        assert_eq!(language("de-DE,ru;q=0.8"), "ru");
        assert_eq!(language(""), "en");
        assert_eq!(language("RU"), "ru");
    }

    #[test]
    fn the_inline_script_and_style_are_the_hashed_constants() {
        let page = hosted_page(&form(), "t", "/f/k3y", "en");
        let script = &page[page.find("<script>").unwrap() + 8..page.find("</script>").unwrap()];
        assert_eq!(script, PAGE_SCRIPT);
        let style = &page[page.find("<style>").unwrap() + 7..page.find("</style>").unwrap()];
        assert_eq!(style, PAGE_STYLE);
        let hash = page_script_hash();
        assert_eq!(hash.len(), 44, "{hash}");
        assert_eq!(hash, sha256_base64(script));
        let csp = content_security_policy();
        assert!(csp.contains(&format!("script-src 'sha256-{hash}';")), "{csp}");
        assert!(
            csp.contains(&format!("style-src 'sha256-{}';", page_style_hash())),
            "{csp}"
        );
        assert!(
            csp.starts_with("default-src 'none';") && csp.contains("form-action 'self' https: http:;"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    #[test]
    fn the_thanks_page_shows_the_forms_message_or_the_default() {
        let mut f = form();
        let page = thanks_page(&f, "en");
        assert!(page.contains("<p class=\"message\" role=\"status\">Thank you! We will contact you soon.</p>"));
        assert!(thanks_page(&f, "ru").contains("Спасибо! Мы скоро с вами свяжемся."));
        f.success_message = Some("Got it <3, talk soon".into());
        let page = thanks_page(&f, "ru");
        assert!(page.contains(">Got it &lt;3, talk soon</p>"));
        assert!(page.starts_with("<!doctype html>\n<html lang=\"ru\">"));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn the_error_page_names_each_field_and_links_back() {
        let mut errors = FieldErrors::new();
        errors.push("email", "invalid_email", "not an email address");
        errors.push("name", "required", "is required");
        errors.push("_consent", "consent_required", "your consent is needed");
        errors.push("website", "invalid_url", "<not> a URL");
        let page = error_page(&form(), &errors, "/f/k3y", "en");
        assert!(page.contains("role=\"alert\""));
        assert!(page.contains("<li><strong>E-mail</strong>: not an email address</li>"));
        assert!(page.contains("<li><strong>Your name</strong>: is required</li>"));
        assert!(page.contains("<li><strong>Consent</strong>: your consent is needed</li>"));
        assert!(page.contains("<li><strong>website</strong>: &lt;not&gt; a URL</li>"));
        assert!(page.contains("<a href=\"/f/k3y\">Back to the form</a>"));
        assert!(!page.contains("javascript:"));
        let page = error_page(&form(), &FieldErrors::new(), "/f/k3y", "ru");
        assert!(page.contains("Не удалось отправить форму.") && page.contains("Вернуться к форме"));
    }

    #[test]
    fn the_not_found_page_says_so_in_the_visitors_language() {
        let page = not_found_page("en");
        assert!(page.contains("<title>Form not found</title>") && page.contains("no longer takes submissions"));
        let page = not_found_page("ru");
        assert!(page.contains("<html lang=\"ru\">") && page.contains("<h1>Форма не найдена</h1>"));
    }

    #[test]
    fn the_embed_script_carries_the_form_as_a_script_safe_literal() {
        let mut f = form();
        f.success_message = Some("Done </script>\u{2028}<script>alert(1)</script>".into());
        let js = embed_script(&f, "1700000000.beef", "https://crm.example/f/k3y", "ru");
        assert!(!js.contains(CONFIG_SLOT));
        assert!(!js.contains("</script"), "a value closed the script");
        assert!(!js.contains('\u{2028}'));
        assert!(!js.contains("s3cret"));
        let start = js.find("const config = ").unwrap() + "const config = ".len();
        let end = start + js[start..].find(";\n").unwrap();
        let config: Json = serde_json::from_str(&js[start..end]).unwrap();
        assert_eq!(config["token"], "1700000000.beef");
        assert_eq!(config["action"], "https://crm.example/f/k3y");
        assert_eq!(config["key"], "k3y");
        assert_eq!(config["lang"], "ru");
        assert_eq!(
            config["fields"][0]["label"],
            json!({"en": "Your name", "ru": "Ваше имя"})
        );
        assert_eq!(config["fields"][1]["label"]["ru"], "E-mail");
        assert_eq!(config["fields"][1]["autocomplete"], "email");
        assert_eq!(config["fields"][4]["options"], json!(["Sales", "R&D <lab>"]));
        assert_eq!(config["consent"]["required"], true);
        assert_eq!(
            config["success"]["en"],
            "Done </script>\u{2028}<script>alert(1)</script>"
        );
        assert_eq!(
            config["texts"]["en"]["too_many"],
            "Too many submissions, try again later."
        );
        assert_eq!(config["names"]["honeypot"], HONEYPOT);
        assert_eq!(config["names"]["token"], TIME_TOKEN);
        assert_eq!(config["names"]["utm"][0], "utm_source");
        f.success_message = None;
        let js = embed_script(&f, "t", "https://crm.example/f/k3y", "");
        assert!(js.contains("\"success\":{\"en\":\"Thank you! We will contact you soon.\",\"ru\":\"Спасибо!"));
    }

    #[test]
    fn the_embed_script_never_writes_markup() {
        assert!(!EMBED_JS.contains("innerHTML") && !EMBED_JS.contains("outerHTML"));
        assert!(!EMBED_JS.contains("insertAdjacentHTML") && !EMBED_JS.contains("document.write"));
        assert!(!EMBED_JS.contains("eval("));
        assert_eq!(EMBED_JS.matches(CONFIG_SLOT).count(), 1);
    }
}
