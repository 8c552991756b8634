"""Security headers on every response, from one place (`init_security`, called by create_app).

- HTML pages: a Content-Security-Policy with no inline script or style (every script and style is a file
  under app/static/), no plugin, no framing, forms and <base> to this site only. One page widens it for
  itself only with `allow_on_this_page({...})` during its request: the card payment pages do so for
  Stripe's origins and the Payment Request API (billing's template global `stripe_js_src()`).
- Framing: forbidden everywhere (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), except on a page that
  calls `allow_framing_on_this_page(ancestors)` during its request (the embeddable widget of app.opendata):
  its own `frame-ancestors`, and no X-Frame-Options (which cannot name several origins).
- Everything else (JSON, PDF, CSV, files): `default-src 'none'; frame-ancestors 'none'`; a policy the
  view set itself (e.g. `sandbox` on downloads) is kept and completed.
- On every response: X-Frame-Options, X-Content-Type-Options, Referrer-Policy, Permissions-Policy,
  Cross-Origin-Opener-Policy; Strict-Transport-Security when SESSION_COOKIE_SECURE is on.
- `@no_store` on a view (or `no_store_this_page()` during its request): `Cache-Control: no-store`, for pages
  that show a secret (a new API token, a reset link's form, a voucher code, a payment's client secret).
- Cookies: the remember-me cookie gets the session cookie's SameSite, HttpOnly and Secure.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

NO_STORE_ATTR = "_hub_no_store"
HTML_POLICY = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "frame-src": ("'none'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
OTHER_POLICY = {"default-src": ("'none'",), "frame-ancestors": ("'none'",)}
FEATURES_OFF = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
HSTS = "max-age=31536000; includeSubDomains"


def no_store(view):
    """Mark a view whose page shows a secret: never kept by the browser or a proxy."""
    setattr(view, NO_STORE_ATTR, True)
    return view


def allow_on_this_page(sources: dict[str, tuple[str, ...]], *, payment: bool = False) -> None:
    """Widen this response's CSP, and only this one (e.g. {"img-src": ("https://tiles.example.org",)});
    `payment`: its frames from those origins may use the Payment Request API."""
    extra = g.setdefault("hub_csp_extra", {})
    for directive, added in sources.items():
        extra[directive] = tuple(dict.fromkeys(extra.get(directive, ()) + tuple(added)))
    if payment:
        exact = tuple(o for o in sources.get("frame-src", ()) if "*" not in o)
        g.hub_payment_origins = tuple(dict.fromkeys(g.get("hub_payment_origins", ()) + exact))


def allow_framing_on_this_page(ancestors: tuple[str, ...] = ("*",)) -> None:
    """This page may be shown in a frame of the given origins ("*": any web page), and only this one."""
    allow_on_this_page({"frame-ancestors": ancestors})
    g.hub_frameable = True


def no_store_this_page() -> None:
    """This response shows a secret (as `@no_store`, from inside the request)."""
    g.hub_no_store = True


def content_security_policy(response: Response) -> str:
    if response.mimetype != "text/html":
        policy = dict(OTHER_POLICY)
    else:
        policy = dict(HTML_POLICY)
        for directive, sources in g.get("hub_csp_extra", {}).items():
            policy[directive] = tuple(s for s in policy.get(directive, ()) if s != "'none'") + sources
    existing = response.headers.get("Content-Security-Policy", "")
    kept = {part.split()[0] for part in existing.split(";") if part.strip()}
    added = "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items() if k not in kept)
    return f"{existing.rstrip('; ')}; {added}" if existing else added


def permissions_policy() -> str:
    origins = g.get("hub_payment_origins", ())
    payment = "(self " + " ".join(f'"{origin}"' for origin in origins) + ")" if origins else "()"
    return ", ".join([f"{feature}=()" for feature in FEATURES_OFF] + [f"payment={payment}"])


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(response)
    if g.get("hub_frameable") and response.mimetype == "text/html":
        headers.pop("X-Frame-Options", None)
    else:
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = permissions_policy()
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = HSTS
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, NO_STORE_ATTR, False) or g.get("hub_no_store"):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_security(app: Flask) -> None:
    config = app.config
    config["SESSION_COOKIE_SAMESITE"] = config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    config.setdefault("REMEMBER_COOKIE_SAMESITE", config["SESSION_COOKIE_SAMESITE"])
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("REMEMBER_COOKIE_SECURE", bool(config.get("SESSION_COOKIE_SECURE")))
    app.after_request(set_security_headers)
