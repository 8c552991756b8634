"""Personal data (issue 18): the register of processing, the privacy policy, the right of access
and portability (the export of a person's data) and the access log the person sees.

`register.py` is the register's typed loader (its docstring lists the stable API)."""
