"""Exception types qnum raises for invalid input.

Invalid input is an exception raised when the input is read; solver trouble is a
``Status`` in a :class:`qnum.solution.Solution`, never an exception.
"""


class ScenarioError(ValueError):
    """Invalid scenario data: the message names the field and the offending value.

    Examples
    --------
    >>> from qnum.errors import ScenarioError
    >>> err = ScenarioError("capacity", 0, "must be an integer >= 1")
    >>> str(err)
    'capacity = 0: must be an integer >= 1'
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, field: str, value, problem: str):
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field} = {_short(value)}: {problem}")


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
