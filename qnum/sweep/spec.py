"""Sweep files: parse and validate a declarative sweep (TOML/JSON) and expand it into runs.

Format (TOML; the JSON form has the same keys)::

    family = "pumping"            # a registered family (qnum.families)
    action = "both"               # "solve" | "simulate" | "both" (optimum, online run, gap)
    policy = "pf"                 # online policy, for "simulate" and "both": a built-in name or
                                  # your own, "my_policy.py:NAME" (relative to this file) / "module:NAME"
    seeds = [1, 2, 3]             # or: replications = 3 (seeds 0, 1, 2)
    metrics = ["objective", "seconds"]  # numeric keys of the family's JSON output (default: all)
    draws = 4                     # random draws per grid point (random parameters only)
    sample_seed = 0               # seed of the random parameter draws

    [base]                        # one of: builder = "..." (+ its arguments),
    builder = "random"            #         file = "scenario.json" (relative to the sweep file),
    nodes = 4                     #         scenario = { kind = "pumping", ... } (inline)
    capacity = 2

    [options]                     # run options: method, tol, time_limit and the family's simulate
                                  # options (slots, beta, hop_delay, ... -- see qnum simulate --help)
    slots = 2000

    [parameters]                  # cartesian product of the grids, times draws, times seeds
    capacity = [1, 2]                         # a list of values
    alpha = { linspace = [0.5, 2.0, 4] }      # or logspace = [lo_exp, hi_exp, n], range = [a, b, step]
    slots = { values = [100, 1000] }          # run options may vary too
    side_km = { uniform = [50, 150] }         # seeded random draws: uniform / loguniform / integers

A parameter name is resolved as a builder argument, else a key of the scenario dict, else
a run option; anything else is an error raised before any run starts.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qnum.errors import ScenarioError
from qnum.limits import check_count

ACTIONS = ("solve", "simulate", "both")
#: run options of every family's solve
SOLVE_OPTIONS = ("method", "tol", "time_limit")


def run_options(fam) -> tuple:
    """Run options of a family: the solve options and its simulate options (from the registry).

    Examples
    --------
    >>> from qnum.families import family
    >>> run_options(family("qnum"))[:3]
    ('method', 'tol', 'time_limit')
    """
    return SOLVE_OPTIONS + tuple(name for name, option in fam.SIMULATE_OPTIONS.items()
                                 if option.type != "object" and name != "seed")
_TOP_KEYS = {"family", "action", "policy", "seeds", "replications", "metrics", "draws", "sample_seed", "base",
             "options", "parameters", "name"}
_GRID_FORMS = ("values", "linspace", "logspace", "range")
_RANDOM_FORMS = ("uniform", "loguniform", "integers")


@dataclass
class SweepSpec:
    """A validated sweep: what to run and over which parameters.

    Build it with :func:`parse_sweep` (from a dict) or :func:`load_sweep` (from a file).
    """

    family: str
    action: str
    base: dict
    policy: str | None = None
    seeds: list = field(default_factory=lambda: [0])
    metrics: list | None = None
    options: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)       # name -> list of values
    random: dict = field(default_factory=dict)     # name -> (form, args)
    draws: int = 1
    sample_seed: int = 0
    name: str = "sweep"

    @property
    def parameter_names(self) -> list[str]:
        """Names of the varied parameters, grid first, in file order."""
        return list(self.grid) + list(self.random)

    def runs(self) -> list[dict]:
        """Expand into run specs (plain dicts, deterministic order, each with a ``run_id``).

        Examples
        --------
        >>> spec = parse_sweep({"family": "pumping", "action": "solve", "seeds": [1, 2],
        ...                     "base": {"builder": "random", "nodes": 3},
        ...                     "parameters": {"capacity": [1, 2, 3]}})
        >>> runs = spec.runs()
        >>> len(runs), runs[0]["params"], runs[0]["seed"], len({r["run_id"] for r in runs})
        (6, {'capacity': 1}, 1, 6)
        """
        names = list(self.grid)
        points = list(itertools.product(*(self.grid[n] for n in names))) or [()]
        rng = np.random.default_rng(self.sample_seed)
        runs = []
        for point in points:
            for _ in range(self.draws if self.random else 1):
                params = dict(zip(names, point))
                for rname, (form, args) in self.random.items():
                    params[rname] = _draw(rng, form, args)
                for seed in self.seeds:
                    run = {"family": self.family, "action": self.action, "policy": self.policy,
                           "base": self.base, "params": params, "seed": seed, "options": self.options,
                           "metrics": self.metrics}
                    run["run_id"] = run_id(run)
                    run["index"] = len(runs)
                    runs.append(run)
        return runs


def run_id(run: dict) -> str:
    """Deterministic id of a run: a hash of everything that determines its result.

    Examples
    --------
    >>> run_id({"family": "pumping", "seed": 1}) == run_id({"seed": 1, "family": "pumping"})
    True
    """
    keys = ("family", "action", "policy", "base", "params", "seed", "options", "metrics")
    text = json.dumps({k: run.get(k) for k in keys}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _draw(rng, form, args):
    low, high = args
    if form == "uniform":
        return float(rng.uniform(low, high))
    if form == "loguniform":
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    return int(rng.integers(low, high, endpoint=True))


def load_sweep(path) -> SweepSpec:
    """Read and validate a sweep file (``.toml`` or ``.json``).

    Examples
    --------
    >>> from qnum.sweep import example_path
    >>> load_sweep(example_path("pumping-gap")).family
    'pumping'
    """
    from qnum.networks.io import parse_file

    path = Path(path)
    data = parse_file(path, "sweep file")
    if not isinstance(data, dict):
        raise ScenarioError("sweep file", str(path), "must hold one TOML/JSON object")
    data.setdefault("name", path.stem)
    return parse_sweep(data, root=path.parent)


def parse_sweep(data: dict, root=None) -> SweepSpec:
    """Validate a sweep given as a dict; errors name the offending field.

    ``root`` is the directory relative ``base.file`` paths are resolved against.

    Examples
    --------
    >>> parse_sweep({"family": "pumping", "action": "solve", "base": {"builder": "random"},
    ...              "parameters": {"nodez": [3, 4]}})
    Traceback (most recent call last):
    ...
    qnum.errors.ScenarioError: parameters.nodez = [3, 4]: unknown parameter; not an argument of builder 'random', ...
    """
    from qnum.families import family as get_family
    from qnum.families import kinds

    for key in data:
        if key not in _TOP_KEYS:
            raise ScenarioError(key, data[key], f"unknown key; allowed keys: {', '.join(sorted(_TOP_KEYS))}")
    if "family" not in data:
        raise ScenarioError("family", None, "required key is missing")
    if not isinstance(data["family"], str) or data["family"] not in kinds():
        raise ScenarioError("family", data["family"], f"must be one of {', '.join(kinds())}")
    fam = get_family(data["family"])
    action = data.get("action", "solve")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ScenarioError("action", action, f"must be one of {list(ACTIONS)}")
    policy = data.get("policy")
    if action in ("simulate", "both"):
        policy = _policy(policy, fam, root)
    elif policy is not None:
        raise ScenarioError("policy", policy, 'only used with action "simulate" or "both"')

    seeds = _seeds(data)
    metrics = data.get("metrics")
    if metrics is not None and (not isinstance(metrics, list) or not metrics
                                or not all(isinstance(m, str) for m in metrics)):
        raise ScenarioError("metrics", metrics, "must be a non-empty list of key names")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ScenarioError("options", options, "must be a table of run options")
    allowed_options = run_options(fam)
    for key in options:
        if key not in allowed_options:
            raise ScenarioError(f"options.{key}", options[key],
                                f"unknown run option; allowed: {', '.join(allowed_options)}")

    base = _base(data.get("base"), data["family"], root)
    builder_args = _builder_args(fam.SWEEP_BUILDERS[base["builder"]]) if "builder" in base else set()

    params = data.get("parameters", {})
    if not isinstance(params, dict):
        raise ScenarioError("parameters", params, "must be a table name -> values")
    grid, random = {}, {}
    for name, value in params.items():
        where = f"parameters.{name}"
        if name == "seed":
            raise ScenarioError(where, value, "vary seeds with `seeds` or `replications`")
        grid_or_random = _parameter(where, value)
        if grid_or_random[0] == "grid":
            grid[name] = grid_or_random[1]
        else:
            random[name] = grid_or_random[1]
        if name not in builder_args and name not in allowed_options and not _scenario_key_ok(fam, base, name, value):
            where_b = f"builder {base['builder']!r}" if "builder" in base else "the builder"
            raise ScenarioError(where, value, f"unknown parameter; not an argument of {where_b}, a scenario key "
                                f"or a run option ({', '.join(allowed_options)})")
    draws = data.get("draws", 1)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ScenarioError("draws", draws, "must be an integer >= 1")
    sample_seed = data.get("sample_seed", 0)
    if isinstance(sample_seed, bool) or not isinstance(sample_seed, int):
        raise ScenarioError("sample_seed", sample_seed, "must be an integer")
    if "draws" in data and not random:
        raise ScenarioError("draws", draws, "applies only to random parameters (uniform, integers, ...); this sweep "
                            "has none: remove draws or make a parameter random")
    total = math.prod(len(v) for v in grid.values()) * (draws if random else 1) * len(seeds)
    check_count("parameters", {k: len(v) for k, v in grid.items()}, total, "runs",
                "runs in the sweep (grid points x draws x seeds)")
    spec = SweepSpec(family=data["family"], action=action, base=base, policy=policy, seeds=seeds, metrics=metrics,
                     options=options, grid=grid, random=random, draws=draws, sample_seed=sample_seed,
                     name=str(data.get("name", "sweep")))
    _check_first_run(spec)
    return spec


def _policy(policy, fam, root):
    """A built-in policy name, or a user policy ``file.py:NAME`` (relative to the sweep file) /
    ``module:NAME``, loaded once here so a bad one fails before any run starts."""
    from qnum.policies import is_policy_spec, load_policy

    if is_policy_spec(policy):
        target, _, name = policy.rpartition(":")
        if (target.endswith(".py") or "/" in target) and root is not None and not Path(target).is_absolute():
            policy = f"{Path(root) / target}:{name}"
        load_policy(policy)
        return policy
    if not isinstance(policy, str) or policy not in fam.POLICIES:
        raise ScenarioError("policy", policy, f"family {fam.KIND!r} has policies {', '.join(fam.POLICIES)} "
                            "(or your own: file.py:NAME, module:NAME)")
    return policy


def _seeds(data):
    if "seeds" in data and "replications" in data:
        raise ScenarioError("seeds", data["seeds"], "give either seeds or replications, not both")
    if "replications" in data:
        reps = data["replications"]
        if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
            raise ScenarioError("replications", reps, "must be an integer >= 1")
        check_count("replications", reps, reps, "runs", "runs (one per seed)")
        return list(range(reps))
    seeds = data.get("seeds", [0])
    if (not isinstance(seeds, list) or not seeds
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)):
        raise ScenarioError("seeds", seeds, "must be a non-empty list of integers >= 0")
    if len(set(seeds)) != len(seeds):
        raise ScenarioError("seeds", seeds, "must not repeat a seed")
    return seeds


def _base(base, family_name, root):
    from qnum.families import family as get_family
    from qnum.networks.io import read_scenario_data

    if not isinstance(base, dict):
        raise ScenarioError("base", base, 'must be a table with "builder", "file" or "scenario"')
    given = [k for k in ("builder", "file", "scenario") if k in base]
    if len(given) != 1:
        raise ScenarioError("base", base, 'must have exactly one of "builder", "file", "scenario"')
    if "builder" in base:
        builders = get_family(family_name).SWEEP_BUILDERS
        if not isinstance(base["builder"], str) or base["builder"] not in builders:
            raise ScenarioError("base.builder", base["builder"],
                                f"family {family_name!r} has builders {sorted(builders)}")
        allowed = _builder_args(builders[base["builder"]])
        for key in base:
            if key != "builder" and key not in allowed:
                raise ScenarioError(f"base.{key}", base[key], f"not an argument of builder {base['builder']!r}; "
                                    f"allowed: {', '.join(sorted(allowed))}")
        return dict(base)
    if len(base) != 1:
        extra = sorted(set(base) - set(given))[0]
        raise ScenarioError(f"base.{extra}", base[extra], "arguments are only allowed with a builder")
    if "file" in base:
        if not isinstance(base["file"], str) or not base["file"]:
            raise ScenarioError("base.file", base["file"], "must be a path (a string)")
        path = Path(base["file"])
        if not path.is_absolute() and root is not None:
            path = Path(root) / path
        scenario = read_scenario_data(path)
        root = path.parent                          # a topology path in the file is relative to the file
    else:
        scenario = base["scenario"]
        if not isinstance(scenario, dict):
            raise ScenarioError("base.scenario", scenario, "must be a scenario table")
    kind = get_family(family_name).KIND
    if scenario.get("kind", kind) != kind:
        raise ScenarioError("base.kind", scenario.get("kind"), f"family {family_name!r} reads kind {kind!r}")
    if "topology" in scenario:
        # a scenario naming a network is swept in its expanded file form: parameters then name scenario keys
        from qnum.networks.from_topology import expand

        scenario = expand({"kind": kind, **scenario}, root).to_dict()
    return {"scenario": {"kind": kind, **scenario}}


def _builder_args(fn) -> set:
    return {p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _parameter(where, value):
    if isinstance(value, list):
        if not value:
            raise ScenarioError(where, value, "empty grid: give at least one value")
        return "grid", value
    if not isinstance(value, dict) or len(value) != 1:
        raise ScenarioError(where, value, "must be a list of values or one of "
                            f"{{{', '.join(_GRID_FORMS + _RANDOM_FORMS)} = ...}}")
    (form, args), = value.items()
    if form == "values":
        return _parameter(where, args)
    if form in ("linspace", "logspace"):
        if not (isinstance(args, list) and len(args) == 3 and isinstance(args[2], int) and args[2] >= 1):
            raise ScenarioError(f"{where}.{form}", args, "must be [start, stop, count] with count >= 1")
        check_count(f"{where}.{form}", args, args[2], "runs", "grid values")
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args[:2]) or \
                (form == "logspace" and not all(abs(a) <= 300 for a in args[:2])):
            raise ScenarioError(f"{where}.{form}", args, "start and stop must be numbers"
                                + (" in [-300, 300] (exponents of 10)" if form == "logspace" else ""))
        fn = np.linspace if form == "linspace" else np.logspace
        return "grid", [float(x) for x in fn(args[0], args[1], args[2])]
    if form == "range":
        if not (isinstance(args, list) and len(args) in (2, 3)
                and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)):
            raise ScenarioError(f"{where}.range", args, "must be [start, stop] or [start, stop, step]")
        start, stop, step = (args + [1])[:3]
        if step == 0:
            raise ScenarioError(f"{where}.range", args, "step must not be 0")
        check_count(f"{where}.range", args, max(0.0, math.ceil((stop - start) / step)), "runs", "grid values")
        values = np.arange(*args).tolist()
        if not values:
            raise ScenarioError(f"{where}.range", args, "empty grid: the range holds no value")
        return "grid", values
    if form in _RANDOM_FORMS:
        if not (isinstance(args, list) and len(args) == 2 and all(isinstance(a, (int, float)) for a in args)
                and args[0] <= args[1]):
            raise ScenarioError(f"{where}.{form}", args, "must be [low, high] with low <= high")
        if form == "loguniform" and args[0] <= 0:
            raise ScenarioError(f"{where}.{form}", args, "needs low > 0")
        return "random", (form, args)
    raise ScenarioError(where, value, f"unknown form {form!r}; use one of {', '.join(_GRID_FORMS + _RANDOM_FORMS)}")


def _scenario_key_ok(fam, base, name, value) -> bool:
    """Whether ``name`` is a key the family's scenario reader accepts."""
    if "scenario" in base and name in base["scenario"]:
        return True
    if "builder" in base:  # a key of the built scenario dict (builder defaults, seed 0)
        fn = fam.SWEEP_BUILDERS[base["builder"]]
        kwargs = {k: v for k, v in base.items() if k != "builder"}
        if "seed" in _builder_args(fn):
            kwargs.setdefault("seed", 0)
        try:
            return name in fn(**kwargs)
        except Exception:  # noqa: BLE001 - a bad base is reported by the first-run check
            return False
    sample = value[0] if isinstance(value, list) else None
    try:
        fam.SCENARIO_TYPE.from_dict({**base["scenario"], name: sample})
    except ScenarioError as exc:
        return "unknown key" not in exc.problem
    except Exception:  # noqa: BLE001 - the value may be wrong; the key is known
        return True
    return True


def _check_first_run(spec: SweepSpec) -> None:
    """Build the scenario of the first run so a bad base fails before any run starts."""
    runs = spec.runs()
    build_scenario(runs[0])


def option_parameters(fam, run: dict) -> dict:
    """The varied parameters of a run that are run options: a builder argument comes first, then
    a key of an inline or file scenario, then a run option (the order :func:`parse_sweep` documents)."""
    base = run["base"]
    taken = _builder_args(fam.SWEEP_BUILDERS[base["builder"]]) if "builder" in base else set(base["scenario"])
    options = run_options(fam)
    return {k: v for k, v in run["params"].items() if k in options and k not in taken}


def _call_builder(name: str, fn, kwargs: dict) -> dict:
    """Call a sweep builder; an argument of the wrong type (judged by a bool, int or str default; a
    float default may also take a string such as alpha = "maxmin") or one the builder refuses is a
    ScenarioError naming the argument, never a Python exception."""
    from qnum.errors import InputError

    params = inspect.signature(fn).parameters
    for key, value in kwargs.items():
        default = params[key].default if key in params else None
        if isinstance(default, bool):
            ok, what = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, what = isinstance(value, int) and not isinstance(value, bool), "an integer"
        elif isinstance(default, str):
            ok, what = isinstance(value, str), "a string"
        else:
            ok, what = True, ""
        if not ok:
            raise ScenarioError(f"base.{key}", value, f"must be {what} (argument of builder {name!r})")
    try:
        data = fn(**kwargs)
    except InputError:
        raise
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, IndexError, KeyError) as exc:
        raise ScenarioError("base", {"builder": name, **kwargs}, f"builder {name!r} cannot use these "
                            f"arguments ({type(exc).__name__}: {exc})") from None
    return data


def build_scenario(run: dict):
    """The validated scenario object of a run (base + parameter overrides).

    Examples
    --------
    >>> from qnum.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"family": "pumping", "base": {"builder": "random", "nodes": 3},
    ...                     "parameters": {"capacity": [2]}})
    >>> build_scenario(spec.runs()[0]).capacity
    2
    """
    from qnum.families import family

    fam = family(run["family"])
    base = run["base"]
    options = run_options(fam)
    if "builder" in base:
        fn = fam.SWEEP_BUILDERS[base["builder"]]
        args = _builder_args(fn)
        kwargs = {k: v for k, v in base.items() if k != "builder"}
        if "seed" in args and "seed" not in kwargs:
            kwargs["seed"] = run["seed"]
        kwargs.update({k: v for k, v in run["params"].items() if k in args})
        data = _call_builder(base["builder"], fn, kwargs)
        data.update({k: v for k, v in run["params"].items() if k not in args and k not in options})
    else:
        scenario = base["scenario"]
        data = {**scenario, **{k: v for k, v in run["params"].items() if k in scenario or k not in options}}
    return fam.SCENARIO_TYPE.from_dict(data)
