"""The legal pages (legal notice, terms of use, privacy policy's introduction, accessibility statement) as
versioned Markdown that hub staff edit (each edit publishes a new version, never an overwrite), and the
record of which version of the terms each person accepted."""
