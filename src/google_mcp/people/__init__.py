"""Many people on one server: each signs in with their own Google account through this server's OAuth
(oauth.py), which keeps their Google grant encrypted (grants.py) in Redis or an embedded file (kv.py)."""
