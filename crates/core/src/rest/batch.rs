//! `batch`: up to 50 commands, each `method?query`, `halt`, `$result[key][...]` references (issue 19, transport helper).
