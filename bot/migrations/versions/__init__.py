"""The kernel's chain (0001 on). Tables capabilities made before they had migrations of their own (0004 to 0012) keep
their history here; a capability's new tables go in its own folder, on its own branch (bot/db.py says how).
"""
