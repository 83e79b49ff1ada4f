"""The browser client: a static single-page app and its HTML shell."""
