//! The response envelope: `result`, `total`, `next`, `time{...}`; errors as `{error, error_description}` (issue 19, transport helper).
