"""`ganzoo params KIND [NAME]`: a component's params with types, defaults and the comments beside them."""

import json
from dataclasses import dataclass, field, make_dataclass
from typing import ClassVar, Dict, List, Optional

from ganzoo import cli
from ganzoo.pluginhost.params_doc import field_comments, params_of


@dataclass
class Documented:
    """Fields with and without comments, as plugin authors write them."""

    width: int = 64  # channels of the first layer
    ratio: float = 0.5
    names: List[str] = field(default_factory=lambda: ["a", "b"])  # the first line of
    # a comment on a line of its own belongs to no field
    table: Dict[str, int] = field(  # a long default,
        default_factory=dict)  # over two lines
    root: Optional[str] = None  # 'quotes' and # hashes: kept
    required: str = field(default="x")  # set in every recipe? no: it has a default
    counter: ClassVar[int] = 0  # not a field

    def method(self) -> int:
        local: int = 3  # a local variable, not a field
        return local


def test_comments_beside_fields_are_read_from_the_source():
    assert field_comments(Documented) == {
        "width": "channels of the first layer",
        "names": "the first line of",
        "table": "a long default, over two lines",
        "root": "'quotes' and # hashes: kept",
        "required": "set in every recipe? no: it has a default",
    }


def test_params_have_types_defaults_and_comments_in_order():
    docs = params_of(Documented)
    assert [(d.name, d.type, d.default, d.required) for d in docs] == [
        ("width", "int", 64, False), ("ratio", "float", 0.5, False), ("names", "List[str]", ["a", "b"], False),
        ("table", "Dict[str, int]", {}, False), ("root", "Optional[str]", None, False),
        ("required", "str", "x", False)]
    assert docs[1].comment == ""


def test_a_field_without_default_is_required_and_a_class_without_source_has_no_comments():
    built = make_dataclass("Built", [("n", int), ("m", float, field(default=1.0))])
    assert field_comments(built) == {}
    assert [(d.name, d.required, d.comment) for d in params_of(built)] == [("n", True, ""), ("m", False, "")]


def test_json_of_a_builtin_component(capsys):
    assert cli.main(["params", "generator", "mlp", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["kind"], shown["name"], shown["plugin"]["distribution"]) == ("generator", "mlp", "ganzoo")
    params = {p["name"]: p for p in shown["params"]}
    assert params["hidden"] == {"name": "hidden", "type": "List[int]", "default": [128, 64], "required": False,
                                "comment": ""}
    assert params["activation"]["default"] == "relu" and params["activation"]["comment"] == "relu | leaky_relu"


def test_the_table_shows_types_defaults_and_comments(capsys):
    assert cli.main(["params", "algorithm", "gan"]) == 0
    out = capsys.readouterr().out
    assert "algorithm 'gan' (vanilla, ganzoo" in out
    assert "d_steps" in out and "discriminator steps per generator step" in out
    assert cli.main(["params", "generator", "mlp"]) == 0
    assert "List[int]" in capsys.readouterr().out  # not eaten as rich markup


def test_without_a_name_every_component_of_the_kind(capsys):
    assert cli.main(["params", "schedule", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in shown] == ["constant", "cosine", "linear", "warmup"]
    assert shown[0]["params"] == []
    assert cli.main(["params", "schedule"]) == 0
    assert "schedule 'constant' (optim, ganzoo 0.1.0): takes no params" in capsys.readouterr().out


def test_unknown_kind_or_name_is_one_line_with_a_suggestion(capsys):
    assert cli.main(["params", "losses", "bce"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown kind 'losses'; did you mean 'loss'?" in err
    assert cli.main(["params", "loss", "bec"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown loss 'bec'; did you mean 'bce'? registered losses: bce," in err
    assert cli.main(["params", "generatr"]) == 2
    assert "did you mean 'generator'?" in capsys.readouterr().err


def test_an_algorithms_params_show_the_recipe_sections_it_takes(capsys):
    import json

    from ganzoo.cli import main

    assert main(["params", "algorithm", "gan", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    shown = shown[0] if isinstance(shown, list) else shown
    assert shown["roles"] == {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    assert main(["params", "algorithm", "gan"]) == 0
    assert "recipe sections (roles): generator (generator), discriminator (discriminator), loss (loss)" in \
        " ".join(capsys.readouterr().out.split())
