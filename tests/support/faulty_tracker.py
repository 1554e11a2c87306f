"""The ``tracker`` command with SSM writes that fail (fault injection for tests).

Given to the release-deployment module as its ``tracker_command`` (through a
small launcher), it runs the module's programs unchanged, except that
``ParameterStore.put_values`` raises the way an exhausted AWS retry would:
after the DynamoDB transaction, before SSM is written.
"""

from typing import Any

from tracker.__main__ import main
from tracker.errors import AwsError
from tracker.stores.parameters import ParameterStore


def broken_put_values(self: Any, values: Any, description: str) -> None:
    raise AwsError("injected fault: SSM PutParameter failed (ThrottlingException)", "ThrottlingException")


ParameterStore.put_values = broken_put_values  # type: ignore[method-assign]
main()
