//! Splits an SQL script (a migration file) into single statements, and compacts one ([`compact`]).
//!
//! Both Spin's SQLite interface and rusqlite's `execute` run ONE statement per call, so the
//! migration runner needs the statements one by one. This is a small lexer, not a parser: it
//! knows just enough SQLite syntax to find the semicolons that end statements. It skips `--` and
//! `/* */` comments, `'...'` strings (with `''` escapes), `"..."`, `` `...` `` and `[...]`
//! identifiers, and keeps `CREATE [TEMP|TEMPORARY] TRIGGER ... BEGIN ...; ...; END` whole (a
//! `CASE ... END` inside the body does not end it). Anything it cannot close (an unterminated
//! string, a trigger without `END`) is passed through as the last statement, so SQLite reports
//! the real error.

/// The statements of `sql`, in order, without their terminating `;`.
///
/// Leading comments and whitespace are dropped from each statement; comments inside are kept.
/// Empty statements (a lone `;`, or only comments) are skipped.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut statements = Vec::new();
    let mut start: Option<usize> = None;
    let mut trigger = TriggerState::default();
    let mut i = 0;

    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = find_from(bytes, i + 2, b"\n").map_or(bytes.len(), |end| end + 1);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // SQLite accepts a block comment left open at the end of input.
                i = find_from(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2);
                continue;
            }
            _ if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ => {}
        }

        let token_start = i;
        start.get_or_insert(token_start);
        match b {
            b'\'' | b'"' | b'`' => i = skip_quoted(bytes, i, b),
            b'[' => i = find_from(bytes, i + 1, b"]").map_or(bytes.len(), |end| end + 1),
            b';' => {
                if trigger.in_body() {
                    i += 1;
                    continue;
                }
                if let Some(s) = start.take()
                    && s < token_start
                {
                    statements.push(sql[s..token_start].trim_end());
                }
                trigger = TriggerState::default();
                i += 1;
            }
            _ if is_word_byte(b) => {
                let mut end = i + 1;
                while end < bytes.len() && is_word_byte(bytes[end]) {
                    end += 1;
                }
                trigger.word(&sql[i..end]);
                i = end;
            }
            _ => i += 1,
        }
    }

    if let Some(s) = start {
        let rest = sql[s..].trim_end();
        if !rest.is_empty() {
            statements.push(rest);
        }
    }
    statements
}

/// `sql` without its comments and with every run of whitespace outside quotes as one space:
/// the same statements in fewer bytes. `build.rs` embeds the migrations so, because every
/// component carries all of them; their checksums stay those of the files as written.
pub fn compact(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut gap = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = match b {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                gap = true;
                i = find_from(bytes, i + 2, b"\n").map_or(bytes.len(), |end| end + 1);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                gap = true;
                i = find_from(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2);
                continue;
            }
            _ if b.is_ascii_whitespace() => {
                gap = true;
                i += 1;
                continue;
            }
            b'\'' | b'"' | b'`' => skip_quoted(bytes, i, b),
            b'[' => find_from(bytes, i + 1, b"]").map_or(bytes.len(), |end| end + 1),
            _ => i + sql[i..].chars().next().map_or(1, char::len_utf8),
        };
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        out.push_str(&sql[i..next]);
        i = next;
    }
    out
}

/// Whether the statement's first keyword is `PRAGMA` (such statements must run outside a
/// transaction, e.g. `PRAGMA journal_mode=WAL`). Expects a statement from [`split_statements`].
pub fn is_pragma(statement: &str) -> bool {
    let word_end = statement
        .bytes()
        .position(|b| !is_word_byte(b))
        .unwrap_or(statement.len());
    statement[..word_end].eq_ignore_ascii_case("pragma")
}

/// Tracks the words of the current statement to recognise a trigger and its body.
#[derive(Debug, Default)]
struct TriggerState {
    /// Words seen so far in this statement (only the first three matter).
    words: usize,
    /// `CREATE` was the first word.
    create: bool,
    /// The statement is `CREATE [TEMP|TEMPORARY] TRIGGER`.
    trigger: bool,
    /// Inside `BEGIN ... END` of a trigger.
    body: bool,
    /// Open `CASE` expressions inside the body.
    case_depth: usize,
}

impl TriggerState {
    fn in_body(&self) -> bool {
        self.body
    }

    fn word(&mut self, word: &str) {
        let is = |keyword: &str| word.eq_ignore_ascii_case(keyword);
        self.words += 1;
        match self.words {
            1 => self.create = is("create"),
            2 if self.create => self.trigger = is("trigger"),
            3 if self.create && !self.trigger => self.trigger = is("trigger"),
            _ => {}
        }
        if !self.trigger || self.words <= 2 {
            return;
        }
        if !self.body {
            if is("begin") {
                self.body = true;
            }
        } else if is("case") {
            self.case_depth += 1;
        } else if is("end") {
            if self.case_depth > 0 {
                self.case_depth -= 1;
            } else {
                // The trigger's own END: the next `;` ends the statement.
                self.body = false;
                self.trigger = false;
            }
        }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Index just past the quote that closes the one at `open`. A doubled quote (`''`) is an
/// escape; the end of input closes an unterminated quote.
fn skip_quoted(bytes: &[u8], open: usize, quote: u8) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_without_changing_statements() {
        let sql = "-- heading\nCREATE TABLE t (\n    a TEXT DEFAULT 'x  -- not a comment',  /* c */ b \"y  z\"\n);\n\nCREATE TRIGGER r AFTER INSERT ON t BEGIN\n  -- inside\n  UPDATE t SET a = CASE WHEN 1 THEN 'é  ;' END;\nEND;\n";
        let compacted = compact(sql);
        assert_eq!(
            compacted,
            "CREATE TABLE t ( a TEXT DEFAULT 'x  -- not a comment', b \"y  z\" ); CREATE TRIGGER r AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 THEN 'é  ;' END; END;"
        );
        let original: Vec<String> = split_statements(sql).into_iter().map(compact).collect();
        let again: Vec<&str> = split_statements(&compacted);
        assert_eq!(again, original.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn splits_scripts_into_statements() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("empty script", "", &[]),
            ("only comments and semicolons", "-- hi\n;/* x */ ; ;\n", &[]),
            ("two statements", "SELECT 1; SELECT 2;", &["SELECT 1", "SELECT 2"]),
            (
                "last statement without semicolon",
                "SELECT 1;\nSELECT 2\n",
                &["SELECT 1", "SELECT 2"],
            ),
            (
                "line comment with semicolon",
                "SELECT 1; -- a; b\nSELECT 2;",
                &["SELECT 1", "SELECT 2"],
            ),
            ("leading comment dropped", "/* head; */ -- x\nSELECT 1;", &["SELECT 1"]),
            ("inner comment kept", "SELECT /* ; */ 1;", &["SELECT /* ; */ 1"]),
            (
                "string with semicolon and escape",
                "INSERT INTO t VALUES ('a;''b');SELECT 2",
                &["INSERT INTO t VALUES ('a;''b')", "SELECT 2"],
            ),
            (
                "double-quoted identifier",
                "CREATE TABLE \"a;b\"(x);",
                &["CREATE TABLE \"a;b\"(x)"],
            ),
            (
                "backquoted identifier",
                "CREATE TABLE `a;b`(x);",
                &["CREATE TABLE `a;b`(x)"],
            ),
            (
                "bracketed identifier",
                "CREATE TABLE [a;b](x);",
                &["CREATE TABLE [a;b](x)"],
            ),
            (
                "dash inside string is not a comment",
                "SELECT '--;';",
                &["SELECT '--;'"],
            ),
            (
                "trigger body stays whole",
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); UPDATE c SET n = n + 1; END; SELECT 1;",
                &[
                    "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); UPDATE c SET n = n + 1; END",
                    "SELECT 1",
                ],
            ),
            (
                "temp trigger, lowercase, with case expression",
                "create temp trigger t after update on a begin update b set x = case when new.y then 1 else 2 end; end;\nselect 2",
                &[
                    "create temp trigger t after update on a begin update b set x = case when new.y then 1 else 2 end; end",
                    "select 2",
                ],
            ),
            (
                "temporary trigger with quoted semicolon",
                "CREATE TEMPORARY TRIGGER t BEFORE DELETE ON a BEGIN SELECT RAISE(ABORT, 'no; way'); END;",
                &["CREATE TEMPORARY TRIGGER t BEFORE DELETE ON a BEGIN SELECT RAISE(ABORT, 'no; way'); END"],
            ),
            (
                "transaction BEGIN outside a trigger splits",
                "BEGIN; SELECT 1; END;",
                &["BEGIN", "SELECT 1", "END"],
            ),
            (
                "unterminated string passes through",
                "SELECT 'oops; SELECT 2;",
                &["SELECT 'oops; SELECT 2;"],
            ),
            (
                "unicode identifiers",
                "SELECT 'привет'; SELECT имя FROM t;",
                &["SELECT 'привет'", "SELECT имя FROM t"],
            ),
        ];
        for (name, sql, expected) in cases {
            assert_eq!(split_statements(sql), *expected, "case: {name}");
        }
    }

    #[test]
    fn recognises_pragmas() {
        let cases = [
            ("PRAGMA journal_mode=WAL", true),
            ("pragma foreign_keys = ON", true),
            ("PRAGMAS", false),
            ("SELECT 1", false),
        ];
        for (statement, expected) in cases {
            assert_eq!(is_pragma(statement), expected, "statement {statement:?}");
        }
    }
}
