//! Typed values parsed from request JSON: each parser either builds the typed value or reports
//! why not, with a stable code. Pure: no database, no clock.
