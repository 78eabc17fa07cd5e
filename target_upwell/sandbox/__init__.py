"""A local emulator of Upwell's customers API, for tests, demos and rehearsing failures.

Standard library only, and it never imports the rest of ``target_upwell``: if the sandbox
shared code with the target, the two would agree by construction and prove nothing.
"""
