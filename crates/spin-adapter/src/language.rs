//! The language a client asks for in `Accept-Language`, among those the app speaks.

/// The languages the app's texts come in.
const SPOKEN: [&str; 2] = ["en", "ru"];

/// The first language in an `Accept-Language` value (`ru-RU,ru;q=0.9,en;q=0.8`) that the app
/// speaks, in the order the client lists them; `None` if it names none of them.
pub fn preferred(accept: &str) -> Option<&'static str> {
    accept.split(',').find_map(|item| {
        let tag = item.split(';').next()?.trim();
        let primary = tag.split('-').next()?.to_ascii_lowercase();
        SPOKEN.into_iter().find(|spoken| *spoken == primary)
    })
}

#[cfg(test)]
mod tests {
    use super::preferred;

    #[test]
    fn the_first_spoken_language_wins() {
        assert_eq!(preferred("ru-RU,ru;q=0.9,en-US;q=0.8"), Some("ru"));
        assert_eq!(preferred("de-DE, en;q=0.5, ru;q=0.4"), Some("en"));
        assert_eq!(preferred("EN"), Some("en"));
        assert_eq!(preferred("de, fr"), None);
        assert_eq!(preferred(""), None);
        assert_eq!(preferred("*"), None);
    }
}
