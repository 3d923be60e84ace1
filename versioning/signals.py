"""What versioning tells the rest of the portal: Django signals that apps above it subscribe to in their
``AppConfig.ready()``, so versioning (and the apps beside it) never import their consumers.

``config_changed`` is sent inside the transaction of every change to what the runtime serves — a publish, a
rollback, an (de)activation, a deletion — so a receiver that fails rolls the change back, and what it writes
commits with it. The runtime subscribes to move its config generation (``runtime.apps``); webhooks and
notifications will subscribe the same way.
"""

from django.dispatch import Signal

config_changed = Signal()


def announce_config_change(sender: object = None) -> None:
    """Tell the subscribers that what the runtime serves changed (call inside the changing transaction)."""
    config_changed.send(sender=sender)
