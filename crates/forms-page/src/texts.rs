//! The words of the pages and the embed script, in English and Russian, and which of the two a
//! visitor gets ([`language`]).

use serde_json::{Value as Json, json};

/// The words of the pages and the embed script in one language.
pub(crate) struct Texts {
    pub submit: &'static str,
    pub required_note: &'static str,
    pub choose: &'static str,
    pub honeypot: &'static str,
    pub thanks: &'static str,
    pub errors_title: &'static str,
    pub errors_none: &'static str,
    pub consent: &'static str,
    pub back: &'static str,
    pub back_hint: &'static str,
    pub sending: &'static str,
    pub too_many: &'static str,
    pub network: &'static str,
    pub failed: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
}

pub(crate) const EN: Texts = Texts {
    submit: "Send",
    required_note: "Fields marked * are required.",
    choose: "Choose…",
    honeypot: "Leave this field empty",
    thanks: "Thank you! We will contact you soon.",
    errors_title: "Please correct the form",
    errors_none: "The form could not be sent.",
    consent: "Consent",
    back: "Back to the form",
    back_hint: "Your browser's Back button keeps what you typed.",
    sending: "Sending…",
    too_many: "Too many submissions, try again later.",
    network: "The form could not be sent: check your connection and try again. What you typed is kept.",
    failed: "The form could not be sent. Please try again later.",
    not_found_title: "Form not found",
    not_found: "This form does not exist or no longer takes submissions.",
};

pub(crate) const RU: Texts = Texts {
    submit: "Отправить",
    required_note: "Поля, отмеченные *, обязательны.",
    choose: "Выберите…",
    honeypot: "Оставьте это поле пустым",
    thanks: "Спасибо! Мы скоро с вами свяжемся.",
    errors_title: "Пожалуйста, исправьте форму",
    errors_none: "Не удалось отправить форму.",
    consent: "Согласие",
    back: "Вернуться к форме",
    back_hint: "Кнопка «Назад» браузера сохранит введённые данные.",
    sending: "Отправка…",
    too_many: "Слишком много отправок, попробуйте позже.",
    network: "Не удалось отправить форму: проверьте подключение и попробуйте ещё раз. Введённые данные сохранены.",
    failed: "Не удалось отправить форму. Попробуйте позже.",
    not_found_title: "Форма не найдена",
    not_found: "Такой формы нет, или она больше не принимает заявки.",
};

pub(crate) fn texts(lang: &str) -> &'static Texts {
    if language(lang) == "ru" { &RU } else { &EN }
}

/// The page language for a language tag (`ru`, `ru-RU`) or a whole `Accept-Language` value
/// (`de-DE,ru;q=0.8`): the first of `en` and `ru` it names, else `en`.
pub fn language(requested: &str) -> &'static str {
    for part in requested.split(',') {
        let tag = part.split(';').next().unwrap_or_default().trim();
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("ru") {
            return "ru";
        }
        if primary.eq_ignore_ascii_case("en") {
            return "en";
        }
    }
    "en"
}

/// The embed script's words, by key.
pub(crate) fn texts_json(t: &Texts) -> Json {
    json!({
        "submit": t.submit,
        "choose": t.choose,
        "honeypot": t.honeypot,
        "consent": t.consent,
        "sending": t.sending,
        "too_many": t.too_many,
        "network": t.network,
        "failed": t.failed,
    })
}
