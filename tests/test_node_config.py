"""config.toml round trip: every setting type (str, int, bool) is written as valid TOML and read back."""

from dataclasses import fields, replace
from pathlib import Path

import pytest

from okchain.node.config import ConfigError, NodeConfig


def test_written_config_reads_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = replace(NodeConfig(), pex=False, persistent_peers="ab@127.0.0.1:1", p2p_max_inbound=3)
    path.write_text(config.to_toml())
    assert NodeConfig.load(path) == config
    assert {type(getattr(config, f.name)) for f in fields(config)} == {str, int, bool}


def test_wrong_type_is_refused_with_the_setting_name(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('pex = "yes"\n')
    with pytest.raises(ConfigError, match="pex must be a bool"):
        NodeConfig.load(path)
