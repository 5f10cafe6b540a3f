//! Inbound-webhook tokens: `/api/rest-hooks` (name, scopes, the token shown once, stored hashed) and their check for `/rest/<user_id>/<token>/...` (issue 19, transport helper).
