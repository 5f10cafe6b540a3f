//! Parameters from a query string, a form or multipart body with PHP-style bracketed keys (`fields[PHONE][0][VALUE]`), or JSON, into one JSON object (issue 19, transport helper).
