//! The leaky-bucket rate limit per webhook token (2 requests/s, a burst of 50): `QUERY_LIMIT_EXCEEDED` with 503 (issue 19, transport helper).
