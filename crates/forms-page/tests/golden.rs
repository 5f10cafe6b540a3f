//! Every page and the embed script, byte for byte, against the files in `tests/golden/` (made
//! by the pages as they were built before the templates; the embed script's header comment
//! names this crate since). Form text that looks like a template slot (`{{main}}`) stays text.
//!
//! After an intended change to a page, rewrite the files with `UPDATE_GOLDEN=1 cargo test -p
//! crm-forms-page --test golden` and read the diff.

use std::path::PathBuf;

use crm_core::FieldErrors;
use crm_core::intake::form::{Consent, Form, FormField, Label};
use crm_forms_page::{content_security_policy, embed_script, error_page, hosted_page, not_found_page, thanks_page};

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

/// A form with every field type, escapable text everywhere and a required consent.
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

/// Every page of the golden set, by file name.
fn pages() -> Vec<(&'static str, String)> {
    let f = form();
    let mut plain = form();
    plain.consent = None;
    plain.fields.push(field("utm_source", "comments", "", "hidden", false));
    plain.fields.retain(|x| !x.required);
    let mut custom = form();
    custom.success_message = Some("Got it <3, {{main}} talk soon".into());
    let mut errors = FieldErrors::new();
    errors.push("email", "invalid_email", "not an email address");
    errors.push("name", "required", "is required");
    errors.push("_consent", "consent_required", "your consent is needed");
    errors.push("website", "invalid_url", "<not> a URL");
    errors.push("", "other", "something {{title}} else");
    vec![
        (
            "hosted_en.html",
            hosted_page(&f, "1700000000.beef", "/f/k3y", "en-GB,en;q=0.9"),
        ),
        ("hosted_ru.html", hosted_page(&f, "1700000000.beef", "/f/k3y", "ru")),
        (
            "hosted_plain.html",
            hosted_page(&plain, "t{{main}}", "/f/k3y?a=1&b=\"2\"", "de"),
        ),
        ("thanks_en.html", thanks_page(&f, "en")),
        ("thanks_ru.html", thanks_page(&custom, "ru")),
        ("error_en.html", error_page(&f, &errors, "/f/k3y", "en")),
        ("error_ru.html", error_page(&f, &FieldErrors::new(), "/f/k3y", "ru")),
        ("not_found_en.html", not_found_page("en")),
        ("not_found_ru.html", not_found_page("ru-RU")),
        (
            "embed_ru.js",
            embed_script(&custom, "1700000000.beef", "https://crm.example/f/k3y", "ru"),
        ),
        ("embed_en.js", embed_script(&f, "t", "https://crm.example/f/k3y", "")),
        ("csp.txt", content_security_policy()),
    ]
}

#[test]
fn pages_are_byte_for_byte_the_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (name, text) in pages() {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, &text).expect("write golden file");
            continue;
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if text != golden {
            let line = text
                .lines()
                .zip(golden.lines())
                .position(|(a, b)| a != b)
                .map_or("the end".to_string(), |l| format!("line {}", l + 1));
            panic!("{name} differs from its golden file at {line}");
        }
    }
}
