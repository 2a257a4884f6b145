"""Scenario settings: validation messages, YAML, sweeps, stage keys, plan overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import spmopt as spm
from spmopt.errors import ConfigError
from spmopt.scenario.config import Scenario, apply_overrides, read_scenarios, set_path


def test_defaults_and_repr() -> None:
    s = Scenario()
    assert s.name == "base" and s.data == "example" and s.seed == 0
    assert s.territory.balance == {"potential": 0.05}
    assert s.forecast.model == "auto" and s.forecast.horizon == 12
    assert repr(s) == "Scenario(name='base')"
    t = Scenario(name="tight", territory={"balance": {"potential": 0.03}})
    assert "territory.balance={'potential': 0.03}" in repr(t)
    assert spm.Scenario is Scenario


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ({"territroy": {}}, ["'territroy' is not known", "did you mean 'territory'", "quota"]),
        ({"territory": {"balanse": {}}}, ["'territory.balanse'", "did you mean 'balance'"]),
        ({"quota": {"period": "week"}}, ["'quota.period'", "'month' or 'quarter'", "week"]),
        ({"comp": {"n_draws": 0}}, ["'comp.n_draws'", "whole number >= 1"]),
        ({"territory": {"balance": {"potential": 30}}}, ["'territory.balance'", "in [0, 10]"]),
        ({"territory": {"max_disruption": 1.5}}, ["'territory.max_disruption'"]),
        ({"name": "a b/c"}, ["'name'", "letters, digits"]),
        ({"seed": -1}, ["'seed'"]),
    ],
)
def test_errors_name_the_key_and_what_is_allowed(raw: dict, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(raw, source="s.yaml")
    msg = str(info.value)
    assert msg.startswith("s.yaml: invalid scenario settings")
    for n in needles:
        assert n in msg


def test_yaml_round_trip_resolves_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "plans").mkdir()
    f = tmp_path / "what-if.yaml"
    f.write_text(
        "data: d\nseed: 3\ncomp:\n  plan: plans/p.yaml\n  revenue_shock: -0.1\n"
        "quota:\n  over_assignment: 0.15\n",
        encoding="utf-8",
    )
    s = Scenario.from_yaml(f)
    assert s.name == "what-if"  # the file's stem
    assert s.data == str((tmp_path / "d").resolve())
    assert s.comp.plan == str((tmp_path / "plans" / "p.yaml").resolve())
    assert s.comp.revenue_shock == -0.1 and s.quota.over_assignment == 0.15
    again = Scenario.from_dict(yaml.safe_load(s.to_yaml()))
    assert again == s and again.key() == s.key()


def test_bad_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Scenario.from_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("territory: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Scenario.from_yaml(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        Scenario.from_yaml(lst)


def test_grid_expands_every_combination() -> None:
    base = Scenario(name="b", seed=4)
    sweep = Scenario.grid(
        base,
        {
            "quota.over_assignment": [0.05, 0.10, 0.15],
            "comp.plan_overrides.roles.AE.target_incentive": [80_000, 90_000],
        },
    )
    assert len(sweep) == 6
    assert len({s.name for s in sweep}) == 6 and len({s.key() for s in sweep}) == 6
    assert sweep[0].name == "b__over_assignment=0.05__target_incentive=80000"
    assert [s.quota.over_assignment for s in sweep] == [0.05, 0.05, 0.1, 0.1, 0.15, 0.15]
    assert sweep[3].comp.plan_overrides == {"roles.AE.target_incentive": 90_000}
    assert all(s.seed == 4 for s in sweep)
    # settings not swept keep the base's values
    assert all(s.territory == base.territory for s in sweep)


def test_grid_rejects_unknown_paths_and_bad_values() -> None:
    with pytest.raises(ConfigError, match="did you mean 'over_assignment'"):
        Scenario.grid(Scenario(), {"quota.overassignment": [0.1]})
    with pytest.raises(ConfigError, match="must be a list"):
        Scenario.grid(Scenario(), {"quota.over_assignment": 0.1})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match=r"'quota\.period'"):
        Scenario.grid(Scenario(), {"quota.period": ["month", "week"]})
    with pytest.raises(ConfigError, match="is a value, not a group"):
        Scenario.grid(Scenario(), {"seed.x": [1]})


def test_stage_keys_share_upstream_results() -> None:
    base = Scenario()
    q = base.with_updates({"quota.over_assignment": 0.2, "comp.revenue_shock": -0.1})
    t = base.with_updates({"territory.balance.potential": 0.03})
    f = base.with_updates({"forecast.model": "ets"})
    assert q.stage_key("territory") == base.stage_key("territory")
    assert q.stage_key("forecast") == base.stage_key("forecast")
    assert t.stage_key("territory") != base.stage_key("territory")
    assert f.stage_key("territory") == base.stage_key("territory")
    assert f.stage_key("forecast") != base.stage_key("forecast")
    assert base.with_updates({"seed": 1}).stage_key("territory") != base.stage_key("territory")
    # the name does not change the key
    assert base.model_copy(update={"name": "x"}).key() == base.key()


def test_sweep_file_with_base(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "name: base\ndata: example\nterritory:\n  balance: {potential: 0.04}\n", encoding="utf-8"
    )
    (tmp_path / "sweep.yaml").write_text(
        "base: base.yaml\nseed: 2\nquota:\n  method: potential\ngrid:\n"
        "  quota.over_assignment: [0.1, 0.2]\n  comp.revenue_shock: [0.0, -0.1]\n",
        encoding="utf-8",
    )
    sweep = read_scenarios(tmp_path / "sweep.yaml")
    assert [s.name for s in sweep] == [
        "sweep__over_assignment=0.1__revenue_shock=0",
        "sweep__over_assignment=0.1__revenue_shock=-0.1",
        "sweep__over_assignment=0.2__revenue_shock=0",
        "sweep__over_assignment=0.2__revenue_shock=-0.1",
    ]
    assert all(s.territory.balance == {"potential": 0.04} for s in sweep)
    assert all(s.seed == 2 and s.quota.method == "potential" for s in sweep)
    assert read_scenarios(tmp_path / "base.yaml") == [Scenario.from_yaml(tmp_path / "base.yaml")]


def test_scenario_file_with_base(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "name: base\ndata: example\nquota:\n  over_assignment: 0.1\n  options: {growth_cap: 0.3}\n",
        encoding="utf-8",
    )
    (tmp_path / "stretch.yaml").write_text(
        "base: base.yaml\nquota:\n  company_target: 5.0e7\n  options: {}\n", encoding="utf-8"
    )
    s = Scenario.from_yaml(tmp_path / "stretch.yaml")
    assert s.name == "stretch" and s.data == "example"
    assert s.quota.company_target == 5.0e7 and s.quota.over_assignment == 0.1
    assert s.quota.options == {}
    assert read_scenarios(tmp_path / "stretch.yaml") == [s]
    (tmp_path / "self.yaml").write_text("base: self.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="its own base"):
        Scenario.from_yaml(tmp_path / "self.yaml")
    (tmp_path / "typo.yaml").write_text("base: base.yaml\nquota: {overassignment: 1}\n")
    with pytest.raises(ConfigError, match=r"typo\.yaml.*overassignment"):
        Scenario.from_yaml(tmp_path / "typo.yaml")


def test_plan_overrides_by_path() -> None:
    plan = {"roles": {"AE": {"target_incentive": 85_000, "tiers": [{"rate": 1.0}, {"rate": 2.0}]}}}
    out = apply_overrides(plan, {"roles.AE.tiers.1.rate": 2.5, "roles.AE.target_incentive": 9e4})
    assert out["roles"]["AE"] == {
        "target_incentive": 90_000.0,
        "tiers": [{"rate": 1.0}, {"rate": 2.5}],
    }
    assert plan["roles"]["AE"]["tiers"][1]["rate"] == 2.0  # the input is not changed
    nested = apply_overrides(plan, {"roles": {"AE": {"target_incentive": 1}}})
    assert nested["roles"]["AE"]["target_incentive"] == 1
    with pytest.raises(ConfigError, match=r"list index 0\.\.1"):
        set_path(plan, "roles.AE.tiers.5.rate", 1)
    with pytest.raises(ConfigError, match=r"no key 'SE'.*keys there: AE"):
        set_path(plan, "roles.SE.target_incentive", 1)


def test_check_names_what_the_stages_accept() -> None:
    assert Scenario().check() == Scenario()
    # names the estimators know are checked when the scenario is read
    with pytest.raises(ConfigError, match=r"'forecast.model'.*'prophecy' is not known"):
        Scenario.from_dict({"forecast": {"model": "prophecy"}})
    with pytest.raises(ConfigError, match=r"'quota.method'.*fair"):
        Scenario.from_dict({"quota": {"method": "fair"}})
    with pytest.raises(ConfigError, match=r"'comp.overrides.revenue_change' is not known"):
        Scenario(comp={"overrides": {"revenue_change": -0.1}}).check()
    assert Scenario(comp={"overrides": {"accelerator": 1.5}}).check()
    # a batch checks every scenario before it starts
    bad = [Scenario(name="a"), Scenario(name="b", comp={"overrides": {"revenue_change": -0.1}})]
    with pytest.raises(ConfigError, match="scenario 'b'"):
        spm.scenario.run_batch(bad, n_workers=0, progress=False)
