"""A Python interpreter stand-in that makes SSM writes fail (fault injection for tests).

Given to the release-deployment module as its ``python`` input (through a
small launcher), it runs the module's program unchanged, except that
``ParameterStore.put_values`` raises the way an exhausted AWS retry would:
after the DynamoDB transaction, before SSM is written.
"""

import runpy
import sys

from tracker.errors import AwsError
from tracker.store import ParameterStore


def broken_put_values(self, values, description):  # noqa: ANN001
    raise AwsError("injected fault: SSM PutParameter failed (ThrottlingException)", "ThrottlingException")


ParameterStore.put_values = broken_put_values  # type: ignore[method-assign]
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
