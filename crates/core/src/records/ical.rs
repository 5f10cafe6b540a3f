//! An iCalendar (RFC 5545) writer: pure functions from plain data to the text a calendar
//! client subscribes to. Only what a read-only feed needs: `VCALENDAR` with `VEVENT`s and
//! `VTODO`s (each optionally with one display `VALARM`), times in UTC (`YYYYMMDDTHHMMSSZ`).
//!
//! The format rules are applied here once: every content line ends with CRLF and is folded so
//! no line exceeds 75 octets (a continuation line starts with one space; a UTF-8 character is
//! never split), and TEXT values escape `\`, `;`, `,` and line breaks (RFC 5545 §3.3.11).

/// The calendar as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// `PRODID`, e.g. `-//crm//activities//EN`.
    pub prodid: String,
    /// The display name (`X-WR-CALNAME` and RFC 7986 `NAME`), if any.
    pub name: Option<String>,
    /// How often clients should refresh, in minutes (`REFRESH-INTERVAL`, `X-PUBLISHED-TTL`).
    pub refresh_minutes: Option<u32>,
    /// The events and to-dos, in order.
    pub components: Vec<Component>,
}

/// What kind of component an entry is, with its times (unix seconds, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `VEVENT`: something at a time (a meeting, a call).
    Event {
        /// `DTSTART`.
        start: i64,
        /// `DTEND`, if known (ignored unless after `start`).
        end: Option<i64>,
    },
    /// A `VTODO`: something to be done (a task).
    Todo {
        /// `DUE`, if any.
        due: Option<i64>,
        /// `COMPLETED`: when it was done, if it was.
        completed: Option<i64>,
    },
}

/// One `VEVENT` or `VTODO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// `UID`, globally unique and stable (`activity-7@crm`).
    pub uid: String,
    /// `DTSTAMP`: when the entry was last revised.
    pub stamp: i64,
    /// The kind and its times.
    pub kind: Kind,
    /// `SUMMARY`.
    pub summary: String,
    /// `DESCRIPTION`, if any.
    pub description: Option<String>,
    /// `STATUS` (`CONFIRMED`, `NEEDS-ACTION`, `COMPLETED`...).
    pub status: &'static str,
    /// `PRIORITY`, 1 (highest) to 9 (lowest).
    pub priority: Option<u8>,
    /// `SEQUENCE`: the revision number.
    pub sequence: Option<i64>,
    /// `CATEGORIES`.
    pub categories: Vec<String>,
    /// A display alarm at this time, if any.
    pub alarm: Option<i64>,
}

/// `20261122T083000Z` for unix seconds (UTC).
pub fn utc(unix: i64) -> String {
    crate::clock::rfc3339(unix)
        .chars()
        .enumerate()
        .filter(|(i, c)| !(*i > 0 && (*c == '-' || *c == ':')))
        .map(|(_, c)| c)
        .collect()
}

/// A TEXT value escaped (RFC 5545 §3.3.11): `\` `;` `,` get a backslash, line breaks (CRLF, LF
/// or CR) become `\n`, and other control characters (but tab) are dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded to at most 75 octets per physical line and ended with CRLF.
pub fn fold(line: &str) -> String {
    const MAX: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / MAX * 3 + 2);
    let mut used = 0;
    for c in line.chars() {
        let width = c.len_utf8();
        if used + width > MAX {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += width;
    }
    out.push_str("\r\n");
    out
}

/// The whole calendar as iCalendar text.
pub fn write(calendar: &Calendar) -> String {
    let mut out = String::new();
    let mut line = |text: String| out.push_str(&fold(&text));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!("PRODID:{}", escape_text(&calendar.prodid)));
    line("CALSCALE:GREGORIAN".into());
    if let Some(name) = &calendar.name {
        line(format!("NAME:{}", escape_text(name)));
        line(format!("X-WR-CALNAME:{}", escape_text(name)));
    }
    if let Some(minutes) = calendar.refresh_minutes {
        line(format!("REFRESH-INTERVAL;VALUE=DURATION:PT{minutes}M"));
        line(format!("X-PUBLISHED-TTL:PT{minutes}M"));
    }
    for component in &calendar.components {
        for text in component_lines(component) {
            line(text);
        }
    }
    line("END:VCALENDAR".into());
    out
}

/// The unfolded content lines of one component.
fn component_lines(c: &Component) -> Vec<String> {
    let name = match c.kind {
        Kind::Event { .. } => "VEVENT",
        Kind::Todo { .. } => "VTODO",
    };
    let mut lines = vec![
        format!("BEGIN:{name}"),
        format!("UID:{}", escape_text(&c.uid)),
        format!("DTSTAMP:{}", utc(c.stamp)),
    ];
    match c.kind {
        Kind::Event { start, end } => {
            lines.push(format!("DTSTART:{}", utc(start)));
            if let Some(end) = end.filter(|e| *e > start) {
                lines.push(format!("DTEND:{}", utc(end)));
            }
        }
        Kind::Todo { due, completed } => {
            if let Some(due) = due {
                lines.push(format!("DUE:{}", utc(due)));
            }
            if let Some(completed) = completed {
                lines.push(format!("COMPLETED:{}", utc(completed)));
            }
        }
    }
    lines.push(format!("SUMMARY:{}", escape_text(&c.summary)));
    if let Some(description) = c.description.as_deref().filter(|d| !d.is_empty()) {
        lines.push(format!("DESCRIPTION:{}", escape_text(description)));
    }
    lines.push(format!("STATUS:{}", c.status));
    if let Some(priority) = c.priority {
        lines.push(format!("PRIORITY:{}", priority.min(9)));
    }
    if let Some(sequence) = c.sequence {
        lines.push(format!("SEQUENCE:{}", sequence.max(0)));
    }
    if !c.categories.is_empty() {
        let list: Vec<String> = c.categories.iter().map(|s| escape_text(s)).collect();
        lines.push(format!("CATEGORIES:{}", list.join(",")));
    }
    if let Some(at) = c.alarm {
        lines.extend([
            "BEGIN:VALARM".to_string(),
            "ACTION:DISPLAY".to_string(),
            format!("DESCRIPTION:{}", escape_text(&c.summary)),
            format!("TRIGGER;VALUE=DATE-TIME:{}", utc(at)),
            "END:VALARM".to_string(),
        ]);
    }
    lines.push(format!("END:{name}"));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_basic_format() {
        assert_eq!(utc(0), "19700101T000000Z");
        assert_eq!(utc(1_795_336_200), "20261122T083000Z");
    }

    #[test]
    fn text_escapes_backslash_semicolon_comma_and_line_breaks() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(escape_text("one\ntwo\r\nthree\rfour"), r"one\ntwo\nthree\nfour");
        assert_eq!(escape_text("tab\there\u{7}"), "tab\there");
        assert_eq!(escape_text("Встреча: «Ромашка»"), "Встреча: «Ромашка»");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let short = fold("SUMMARY:hello");
        assert_eq!(short, "SUMMARY:hello\r\n");
        let ascii = fold(&format!("SUMMARY:{}", "x".repeat(200)));
        let parts: Vec<&str> = ascii.trim_end_matches("\r\n").split("\r\n").collect();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.len() <= 75), "{parts:?}");
        assert!(parts[1..].iter().all(|p| p.starts_with(' ')));
        let unfolded: String = parts
            .iter()
            .enumerate()
            .map(|(i, p)| if i == 0 { *p } else { &p[1..] })
            .collect();
        assert_eq!(unfolded, format!("SUMMARY:{}", "x".repeat(200)));
        // Two-byte Cyrillic letters: a boundary never falls inside one.
        let cyrillic = fold(&format!("SUMMARY:{}", "ж".repeat(100)));
        for part in cyrillic.trim_end_matches("\r\n").split("\r\n") {
            assert!(part.len() <= 75, "{} octets", part.len());
        }
        assert_eq!(cyrillic.matches('ж').count(), 100);
    }

    #[test]
    fn writes_a_calendar_with_an_event_and_a_todo() {
        let calendar = Calendar {
            prodid: "-//crm//activities//EN".into(),
            name: Some("CRM, activities".into()),
            refresh_minutes: Some(15),
            components: vec![
                Component {
                    uid: "activity-1@crm".into(),
                    stamp: 0,
                    kind: Kind::Event {
                        start: 1_795_336_200,
                        end: Some(1_795_339_800),
                    },
                    summary: "Call; Ivan, re: offer".into(),
                    description: Some("line one\nline two".into()),
                    status: "CONFIRMED",
                    priority: Some(1),
                    sequence: Some(2),
                    categories: vec!["CALL".into()],
                    alarm: Some(1_795_335_300),
                },
                Component {
                    uid: "activity-2@crm".into(),
                    stamp: 0,
                    kind: Kind::Todo {
                        due: Some(1_795_336_200),
                        completed: None,
                    },
                    summary: "Send the contract".into(),
                    description: None,
                    status: "NEEDS-ACTION",
                    priority: None,
                    sequence: None,
                    categories: Vec::new(),
                    alarm: None,
                },
            ],
        };
        let text = write(&calendar);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//crm//activities//EN\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "every line ends with CRLF");
        for expected in [
            "X-WR-CALNAME:CRM\\, activities\r\n",
            "BEGIN:VEVENT\r\nUID:activity-1@crm\r\nDTSTAMP:19700101T000000Z\r\nDTSTART:20261122T083000Z\r\nDTEND:20261122T093000Z\r\n",
            "SUMMARY:Call\\; Ivan\\, re: offer\r\n",
            "DESCRIPTION:line one\\nline two\r\n",
            "STATUS:CONFIRMED\r\nPRIORITY:1\r\nSEQUENCE:2\r\nCATEGORIES:CALL\r\n",
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Call\\; Ivan\\, re: offer\r\nTRIGGER;VALUE=DATE-TIME:20261122T081500Z\r\nEND:VALARM\r\nEND:VEVENT\r\n",
            "BEGIN:VTODO\r\nUID:activity-2@crm\r\nDTSTAMP:19700101T000000Z\r\nDUE:20261122T083000Z\r\nSUMMARY:Send the contract\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\n",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
    }

    #[test]
    fn an_event_end_not_after_its_start_is_left_out() {
        let lines = component_lines(&Component {
            uid: "u".into(),
            stamp: 0,
            kind: Kind::Event {
                start: 100,
                end: Some(100),
            },
            summary: "s".into(),
            description: Some(String::new()),
            status: "CONFIRMED",
            priority: None,
            sequence: None,
            categories: Vec::new(),
            alarm: None,
        });
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("DTEND") || l.starts_with("DESCRIPTION"))
        );
    }
}
