"""Views and our own web pages: one HTML/CSS set, no build step, served inline."""
