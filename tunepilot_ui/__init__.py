"""The run page and the terminal's live display: client-side only, never shipped to Lambda.

``source``  one read-only interface (``RunSource``) over a run's data, for the local cloud and a deployed stack
``graph``   the deployed ASL as boxes and arrows, each state coloured from the execution history
``api``     the JSON the page is built on (``/api/runs``, ``/api/runs/<run_id>``)
``server``  the HTTP server on 127.0.0.1 (stdlib ``ThreadingHTTPServer``, Jinja2 templates with autoescape)
``live``    the rich live display of ``tunepilot local run``/``watch``/``submit --watch`` on a TTY
"""
