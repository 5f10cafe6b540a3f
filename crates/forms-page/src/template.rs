//! The page templates (`templates/` in this crate, embedded at build time) and the one way
//! they are filled: [`render`] replaces each `{{slot}}` with its value in a single pass, so a
//! value is never scanned again (a form named `{{main}}` stays text). Values are given ready to
//! insert: the callers escape form and visitor text first.
//!
//! The templates are plain files so the UI and tests can read them where they are:
//! `layout.html` (the document around every page), `hosted.html`, `thanks.html`, `error.html`
//! and `not_found.html` (what each page puts inside `<main>`), `page.css` and `page.js` (the
//! one inline style and script, allowed by hash), `embed.js` (the embed script, with the form
//! in its `/*CONFIG*/ null` slot).

/// The document around every page: `lang`, `title`, `style`, `main`, `script`.
pub const LAYOUT: &str = include_str!("../templates/layout.html");
/// The hosted form inside `<main>`: `note`, `action`, `fields`, `consent`, `honeypot_label`,
/// `honeypot`, `time_token`, `token`, `utm`, `page_url`, `referrer`, `submission_id`, `submit`.
pub const HOSTED: &str = include_str!("../templates/hosted.html");
/// The thank-you page inside `<main>`: `message`.
pub const THANKS: &str = include_str!("../templates/thanks.html");
/// The invalid-fields page inside `<main>`: `title`, `list`, `hint`, `form_url`, `back`.
pub const ERROR: &str = include_str!("../templates/error.html");
/// The unknown-form page inside `<main>`: `message`.
pub const NOT_FOUND: &str = include_str!("../templates/not_found.html");
/// The one inline style of every page (trailing whitespace of the file dropped).
pub const PAGE_CSS: &str = include_str!("../templates/page.css").trim_ascii_end();
/// The one inline script of the hosted page (trailing whitespace of the file dropped).
pub const PAGE_JS: &str = include_str!("../templates/page.js").trim_ascii_end();
/// The embed script's source.
pub const EMBED_JS: &str = include_str!("../templates/embed.js");

/// `template` with every `{{name}}` replaced by the value `slots` gives `name`, in one pass.
/// A slot `slots` does not name is left as it is (a test checks every template against the
/// slots its page fills).
pub fn render(template: &str, slots: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + slots.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let value = after.find("}}").and_then(|end| {
            slots
                .iter()
                .find(|(name, _)| *name == &after[..end])
                .map(|(_, v)| (end, *v))
        });
        match value {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The slot names `template` holds, in order of first appearance.
pub fn slots(template: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if !names.contains(&&after[..end]) {
            names.push(&after[..end]);
        }
        rest = &after[end + 2..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled_once_and_values_are_never_read_again() {
        let text = render(
            "<h1>{{title}}</h1>{{main}}{{title}}",
            &[("title", "{{main}}"), ("main", "<p>x</p>")],
        );
        assert_eq!(text, "<h1>{{main}}</h1><p>x</p>{{main}}");
    }

    #[test]
    fn unknown_and_unclosed_slots_stay_as_written() {
        assert_eq!(render("a {{nope}} b {{", &[("x", "y")]), "a {{nope}} b {{");
        assert_eq!(render("no slots", &[]), "no slots");
    }

    #[test]
    fn slots_are_listed_once_in_order() {
        assert_eq!(slots(LAYOUT), ["lang", "title", "style", "main", "script"]);
        assert_eq!(slots(THANKS), ["message"]);
        assert_eq!(slots(NOT_FOUND), ["message"]);
        assert_eq!(slots(ERROR), ["title", "list", "hint", "form_url", "back"]);
        assert_eq!(
            slots(HOSTED),
            [
                "note",
                "action",
                "fields",
                "consent",
                "honeypot_label",
                "honeypot",
                "time_token",
                "token",
                "utm",
                "page_url",
                "referrer",
                "submission_id",
                "submit"
            ]
        );
    }

    #[test]
    fn the_inline_style_and_script_have_no_trailing_whitespace() {
        assert!(PAGE_CSS.ends_with('}') && PAGE_JS.ends_with("})();"));
    }
}
