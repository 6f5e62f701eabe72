"""The Conversations API: listing, filtering, search, detail, recordings, handoff state, concurrency."""
