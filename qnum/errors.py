"""The one input-error hierarchy of qnum: every invalid input names the field and the value.

Invalid input is an exception raised when the input is read; solver trouble is a
``Status`` in a :class:`qnum.solution.Solution`, never an exception. The command line
turns any :class:`InputError` into exit status 2 and one line on stderr.

- :class:`ScenarioError` — scenario data (a file, a builder's arguments, a scenario object);
- :class:`OptionError` — an option, method or policy name, or an option value;
- :class:`PolicyError` — a policy's decision breaks the model (the field names the step,
  the value the offending resource);
- :class:`LimitError` — a request larger than qnum's memory or work limits
  (:mod:`qnum.limits`; an option raises them).
"""


class InputError(ValueError):
    """Invalid input: the message reads ``field = value: problem``.

    Examples
    --------
    >>> err = InputError("capacity", 0, "must be an integer >= 1")
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

    def __reduce__(self):  # picklable across sweep worker processes
        return (type(self), (self.field, self.value, self.problem))


class ScenarioError(InputError):
    """Invalid scenario data: the message names the field and the offending value.

    Examples
    --------
    >>> from qnum.errors import ScenarioError
    >>> str(ScenarioError("capacity", 0, "must be an integer >= 1"))
    'capacity = 0: must be an integer >= 1'
    """


class OptionError(InputError):
    """An invalid option, method or policy, or an option that does not apply where it was given.

    Examples
    --------
    >>> str(OptionError("tol", -1.0, "must be a finite number > 0"))
    'tol = -1.0: must be a finite number > 0'
    """


class PolicyError(InputError):
    """A policy's decision breaks the model; ``field`` names the step, ``value`` the resource.

    Examples
    --------
    >>> str(PolicyError("slot 3", "pair (0, 1)", "pumped twice in one slot"))
    "slot 3 = 'pair (0, 1)': pumped twice in one slot"
    """


def _short(value, limit: int = 80) -> str:
    try:
        import numpy as np

        if isinstance(value, np.generic):       # np.float64(-5.0) reads as -5.0
            value = value.item()
        elif isinstance(value, np.ndarray):
            value = value.tolist()
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LimitError(InputError):
    """A request whose estimated memory or work exceeds qnum's limit (raise it: :mod:`qnum.limits`).

    Examples
    --------
    >>> str(LimitError("slots", 10 ** 11, "needs about 745 GiB of memory; the limit is 4 GiB"))
    'slots = 100000000000: needs about 745 GiB of memory; the limit is 4 GiB'
    """
