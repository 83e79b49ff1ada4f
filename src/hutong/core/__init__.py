"""Infrastructure every domain stands on. Imports no domain."""
