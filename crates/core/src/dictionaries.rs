//! Dictionaries (lead statuses, sources, types...) and currencies.
