"""Machine-readable JSON Schemas (draft 2020-12) of qnum's scenario files and JSON outputs (``qnum schema``).

:func:`scenario_schema` describes the file form of each scenario kind: its keys (taken from the
readers themselves, so a key the reader refuses is refused by the schema too), their JSON types
and the required ones. A schema checks the shape of a file; the physical ranges and cross-checks
(probabilities summing to 1, symmetric matrices, links named by routes, ...) stay with the readers
(:func:`qnum.load_scenario`), which name the field and value they refuse.

:func:`output_schema` describes the JSON documents of the ``qnum`` command: ``solution``
(``qnum solve --json``), ``trace`` (``simulate``), ``report`` (``compare``), ``bench``
(``bench --json``) and ``sweep-row`` (one line of a sweep's ``runs.jsonl``). Every document
carries :data:`SCHEMA_VERSION` and an ``environment`` block (:mod:`qnum.environment`); the
family-specific labelled values are allowed beyond the common keys listed here.

Examples
--------
>>> schema = scenario_schema("qnum")
>>> schema["$schema"], schema["title"]
('https://json-schema.org/draft/2020-12/schema', 'qnum scenario file, kind "qnum"')
>>> sorted(output_schema("solution")["required"])[:4]
['bound', 'environment', 'gap', 'kind']
"""

from __future__ import annotations

from qnum.errors import OptionError

#: version of the JSON outputs' layout; bumped when a key changes meaning or disappears
SCHEMA_VERSION = "1"

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_NUMBER = {"type": "number"}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_MATRIX = {"type": "array", "items": {"type": "array", "items": _NUMBER}}
_STRING = {"type": "string"}


def _any(description: str) -> dict:
    return {"description": description}


def _pumping() -> dict:
    from qnum.networks.pumping import _KEYS

    props = {
        "name": _STRING,
        "nodes": {"type": "integer", "minimum": 2, "description": "number of QKD nodes N"},
        "capacity": {"type": "integer", "minimum": 1, "description": "K, the most pairs pumped per slot"},
        "alpha": {"oneOf": [{"type": "number", "minimum": 0}, {"enum": ["maxmin", "inf"]}],
                  "description": "α of the α-fair utility (1: proportional fairness), or max-min"},
        "states": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["prob", "skr"], "additionalProperties": False,
            "properties": {"prob": _NUMBER, "skr": _MATRIX}},
            "description": "channel states: probability and the N x N SKR matrix (bit/s)"},
        "sharing": {"oneOf": [{"const": "independent"}, {
            "type": "object", "additionalProperties": False, "required": ["per_count_factor"],
            "properties": {"per_count_factor": {"type": "array", "items": _NUMBER}}}]},
        "topologies": {"oneOf": [{"enum": ["at-most-k", "matching"]},
                                 {"type": "array", "items": {"type": "array"}}]},
        "weights": {"type": ["array", "object"]},
        "channel": {"type": "object", "properties": {"process": _STRING}},
        "distance_km": _MATRIX, "qber": _MATRIX,
        "qber_states": {"type": "array", "items": _MATRIX},
        "probabilities": {"type": "array", "items": _NUMBER},
        "attenuation_db_per_km": _NUMBER, "repetition_rate_hz": _NUMBER,
    }
    return {"keys": _KEYS, "props": props, "required": ["kind", "nodes", "capacity"],
            "one_of": [{"required": ["states"]}, {"required": ["distance_km"]}]}


def _rwa() -> dict:
    from qnum.networks.rwa import _BUILDER_KEYS, _KEYS, OBJECTIVES, PHYSICS_KEYS

    event = {"type": "object", "required": ["t", "op", "users"],
             "properties": {"t": _NUMBER, "op": {"enum": ["add", "delete"]},
                            "users": {"type": "array", "items": _STRING, "minItems": 2, "maxItems": 2},
                            "qos": _NUMBER}}
    props = {
        "name": _STRING,
        "network": {"type": "object", "description": "an explicit optical network (devices and links)"},
        "builder": {"type": "object", "additionalProperties": False,
                    "properties": {k: {} for k in sorted(_BUILDER_KEYS)},
                    "description": "a built-in network of the DSER/FRFS papers"},
        "physics": {"type": "object", "additionalProperties": False,
                    "properties": {k: {} for k in PHYSICS_KEYS}},
        "n_cap": {"type": "integer", "minimum": 1},
        "objective": {"enum": list(OBJECTIVES)},
        "events": {"type": "array", "items": event},
    }
    return {"keys": _KEYS, "props": props, "required": ["kind", "events"],
            "one_of": [{"required": ["network"]}, {"required": ["builder"]}]}


def _mqce() -> dict:
    from qnum.networks.relay import FILE_KEYS

    props = {
        "name": _STRING,
        "coordinates": {"type": "array", "items": {"type": "array", "items": _NUMBER, "minItems": 2,
                                                   "maxItems": 2}, "description": "node positions (km)"},
        "nodes": {"type": ["integer", "array"]},
        "edges": {"type": "array"},
        "decay_length_km": _NUMBER, "attenuation_db_per_km": _NUMBER,
        "p_malicious": {"type": "number", "minimum": 0, "maximum": 1},
        "alpha": {"type": "number", "minimum": 0},
    }
    return {"keys": FILE_KEYS, "props": props, "required": ["kind"], "one_of": None}


def _qnum() -> dict:
    from qnum.networks.repeater import FILE_KEYS
    from qnum.physics.werner import UTILITIES

    props = {
        "links": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["name", "length_km"], "additionalProperties": False,
            "properties": {"name": {"type": ["string", "integer"]}, "length_km": _NUMBER}}},
        "routes": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["links"], "additionalProperties": False,
            "properties": {"links": {"type": "array", "items": {"type": ["string", "integer"]}, "minItems": 1},
                           "weight": _NUMBER, "name": _STRING}}},
        "utility": {"enum": sorted(UTILITIES)},
        "attempt_time_s": _NUMBER, "attenuation_db_per_km": _NUMBER, "efficiency": _NUMBER,
        "decoherence_rate_per_s": _NUMBER, "fiber_speed_km_per_s": _NUMBER,
    }
    return {"keys": set(FILE_KEYS), "props": props, "required": ["kind", "links", "routes"], "one_of": None}


_SCENARIOS = {"pumping": _pumping, "rwa": _rwa, "mqce": _mqce, "qnum": _qnum}


def _topology_form(kind: str) -> dict | None:
    """The file form that names a ``topology`` instead of listing the network (when qnum has it)."""
    try:
        from qnum.networks.from_topology import builder_keys
    except ImportError:
        return None
    keys = sorted(builder_keys(kind))
    props = {k: {} for k in keys}
    props["kind"] = {"const": kind}
    props["topology"] = {"type": "string", "minLength": 1,
                         "description": "a topology file, \"topohub:<key>\" or a built-in topology name"}
    return {"type": "object", "required": ["kind", "topology"], "additionalProperties": False, "properties": props}


def scenario_schema(kind: str) -> dict:
    """JSON Schema of the scenario files of one kind.

    Examples
    --------
    >>> import json, jsonschema
    >>> import qnum
    >>> data = json.loads(qnum.data_path("qnum/two-user.json").read_text())
    >>> jsonschema.validate(data, scenario_schema("qnum"))
    >>> jsonschema.validate({**data, "rutes": []}, scenario_schema("qnum"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jsonschema.exceptions.ValidationError: ...
    >>> scenario_schema("teleport")
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: kind = 'teleport': must be one of pumping, rwa, mqce, qnum
    """
    if kind not in _SCENARIOS:
        raise OptionError("kind", kind, f"must be one of {', '.join(_SCENARIOS)}")
    spec = _SCENARIOS[kind]()
    props = {"kind": {"const": kind}}
    for key in sorted(spec["keys"]):
        if key != "kind":
            props[key] = spec["props"].get(key, {})
    inline = {"type": "object", "required": spec["required"], "additionalProperties": False, "properties": props}
    if spec["one_of"]:
        inline["oneOf"] = spec["one_of"]
    forms = [inline]
    topology = _topology_form(kind)
    if topology is not None:
        forms.append(topology)
    out = {"$schema": _DRAFT, "$id": f"https://qnum.invalid/schema/{SCHEMA_VERSION}/scenario-{kind}.json",
           "title": f"qnum scenario file, kind \"{kind}\"",
           "description": "Shape of the file form (JSON, or the same structure in TOML); physical ranges and "
                          "cross-checks are the reader's (qnum.load_scenario), which names what it refuses."}
    if len(forms) == 1:
        out.update(inline)
    else:
        out["oneOf"] = forms
    return out


def _environment() -> dict:
    return {"type": "object", "required": ["qnum", "python"],
            "properties": {"qnum": _STRING, "python": _STRING, "platform": _STRING},
            "additionalProperties": {"type": ["string", "null"]},
            "description": "versions of qnum, Python and the numerical and solver packages (null: not installed)"}


_SOLUTION = {"kind": {"type": ["string", "null"]},
             "status": {"enum": ["optimal", "feasible", "infeasible", "unbounded", "time_limit", "error"]},
             "termination": _STRING, "objective": _NULLABLE_NUMBER, "bound": _NULLABLE_NUMBER,
             "gap": _NULLABLE_NUMBER, "relative_gap": _NULLABLE_NUMBER, "solver": _STRING, "seconds": _NUMBER,
             "message": _STRING}
_TRACE = {"kind": _STRING, "policy": _STRING, "status": {"enum": ["ok", "infeasible"]},
          "time_axis": {"enum": ["slot", "iteration", "event", "design"]}, "steps": {"type": "integer"},
          "objective": _NULLABLE_NUMBER, "feasible": {"type": "boolean"}, "violation": _NULLABLE_NUMBER,
          "seconds": _NUMBER, "message": _STRING}
_REPORT = {"kind": _STRING, "policy": _STRING, "time_axis": _TRACE["time_axis"], "optimum": _NULLABLE_NUMBER,
           "bound": _NULLABLE_NUMBER, "optimum_status": _STRING, "online": _NULLABLE_NUMBER,
           "gap": _NULLABLE_NUMBER, "relative_gap": _NULLABLE_NUMBER, "distance": _NULLABLE_NUMBER,
           "feasible": {"type": "boolean"}, "violation": _NULLABLE_NUMBER, "steps": {"type": "integer"},
           "time_to_relative_gap": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}}}


def _document(title, props, extra_required=()) -> dict:
    properties = {"schema_version": {"const": SCHEMA_VERSION}, **props, "environment": _environment()}
    return {"type": "object", "title": title, "properties": properties,
            "required": ["schema_version", *props, "environment", *extra_required]}


def _bench_row() -> dict:
    from qnum.bench.table import BENCH_COLUMNS

    props = {c: {} for c in BENCH_COLUMNS}
    props.update({"family": _STRING, "instance": _STRING, "method": _STRING, "status": _STRING,
                  "objective": _NULLABLE_NUMBER, "bound": _NULLABLE_NUMBER, "seconds": _NULLABLE_NUMBER})
    return {"type": "object", "required": list(BENCH_COLUMNS), "properties": props}


def _outputs() -> dict:
    report = _document("qnum compare --json", _REPORT)
    report["properties"]["solution"] = {"type": "object", "required": list(_SOLUTION), "properties": _SOLUTION}
    report["properties"]["trace"] = {"type": "object", "required": list(_TRACE), "properties": _TRACE}
    report["required"] += ["solution", "trace"]
    bench = {"type": "object", "title": "qnum bench --json",
             "properties": {"schema_version": {"const": SCHEMA_VERSION},
                            "rows": {"type": "array", "items": _bench_row()}, "environment": _environment()},
             "required": ["schema_version", "rows", "environment"]}
    sweep_row = {"type": "object", "title": "one run of a sweep (a line of runs.jsonl; the sweep's sweep.json "
                 "carries schema_version and the environment)",
                 "required": ["run_id", "index", "family", "action", "params", "seed", "metrics", "status", "error",
                              "qnum_version"],
                 "properties": {"run_id": _STRING, "index": {"type": "integer"}, "family": _STRING,
                                "action": _STRING, "policy": {"type": ["string", "null"]},
                                "params": {"type": "object"}, "seed": {"type": ["integer", "null"]},
                                "metrics": {"type": "object", "additionalProperties": _NULLABLE_NUMBER},
                                "status": {"enum": ["ok", "error", "timeout"]}, "error": {"type": ["string", "null"]},
                                "solver_status": {"type": ["string", "null"]}, "solver": {"type": ["string", "null"]},
                                "qnum_version": _STRING}}
    return {"solution": _document("qnum solve --json", _SOLUTION), "trace": _document("qnum simulate --json", _TRACE),
            "report": report, "bench": bench, "sweep-row": sweep_row}


#: names of the output schemas
OUTPUTS = ("solution", "trace", "report", "bench", "sweep-row")


def output_schema(name: str) -> dict:
    """JSON Schema of one JSON output of the ``qnum`` command (:data:`OUTPUTS`).

    Examples
    --------
    >>> output_schema("trace")["properties"]["time_axis"]["enum"]
    ['slot', 'iteration', 'event', 'design']
    >>> output_schema("solutions")
    Traceback (most recent call last):
    ...
    qnum.errors.OptionError: --output = 'solutions': must be one of solution, trace, report, bench, sweep-row
    """
    if name not in OUTPUTS:
        raise OptionError("--output", name, f"must be one of {', '.join(OUTPUTS)}")
    return {"$schema": _DRAFT, "$id": f"https://qnum.invalid/schema/{SCHEMA_VERSION}/{name}.json",
            **_outputs()[name]}
