"""gunicorn settings read from the working directory (`gunicorn wsgi:app`)."""


def post_worker_init(worker):
    """Each worker warms its in-process search index now, off the requests' path
    (app/searching/warmer.py), and reloads it in the background after a rebuild."""
    from app.searching.warmer import start_search_warmer

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "config"):
        start_search_warmer(app)
