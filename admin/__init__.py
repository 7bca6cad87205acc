"""Flask-Admin back office."""
def init_admin(app):  # placeholder replaced below
    pass
