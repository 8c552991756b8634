"""Knowledge base services, one module per concern:

- `identifiers`: public numbers (R42), parsing them, following merges;
- `rights`: who may see, edit and download a resource, manage a producer or a licence;
- `history`: the fields a resource's history records, its snapshots, diffs and events;
- `producers`: producers (people or structures) and their members;
- `resources`: creating, editing, publishing, deleting and browsing resources;
- `files`: files and their versions, stored once by content;
- `moderation`: reports and merges of duplicates (hub staff);
- `licences`: usage licence offers and grants (given by hand or paid by card: see `app.library.purchase`).

Services take plain values and the acting user; they flush, never commit (the view's
`app.core.web.transaction` does). Every change to a resource writes a `ResourceEvent` (who,
when, which fields, before and after) in the same transaction.
"""
