"""Errors that the command line reports as a message, without a traceback."""


class DisclosureAuditError(Exception):
    """An expected failure (bad setting, missing server, ...).

    Its message is shown to the user as one paragraph on stderr and the command exits 1;
    `disclosure-audit --debug ...` also prints the traceback. Say what was expected, what was found
    and where, and what the user can do about it.
    """
