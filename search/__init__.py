"""Search: one SearchBackend interface with a SQL full-text backend (the
embedded default) and a Meilisearch backend. Imports no Flask. (Issue 5.)"""
