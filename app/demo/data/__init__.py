"""The demo's data files (YAML), read by app/demo/loader.py; a package so that a wheel ships them."""
