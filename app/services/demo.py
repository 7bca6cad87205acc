def catalog_is_empty(session): return False
