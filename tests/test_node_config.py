"""config.toml: documented when written, read back equal, and every unknown key or bad value named with what
it allows when read (all of them in one error)."""

import re
import tomllib
from dataclasses import fields, replace
from pathlib import Path

import pytest

from okchain.cli.main import main
from okchain.node.config import SETTINGS, ConfigError, NodeConfig
from tests.helpers.chain import funded_keys, write_snapshot


def load_text(tmp_path: Path, text: str) -> NodeConfig:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return NodeConfig.load(path)


def test_written_config_reads_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = replace(
        NodeConfig(),
        pex=False,
        persistent_peers="ab" * 20 + "@127.0.0.1:1",
        p2p_max_inbound=3,
        moniker='the "quoted" \\ node',
        metrics_listen="127.0.0.1:26660",
        log_format="json",
    )
    path.write_text(config.to_toml())
    assert NodeConfig.load(path) == config
    assert {type(getattr(config, f.name)) for f in fields(config)} == {str, int, bool}


def test_every_setting_has_a_doc_and_a_rule_and_the_defaults_pass() -> None:
    assert list(SETTINGS) == [f.name for f in fields(NodeConfig)]
    assert NodeConfig().problems() == []


def test_the_written_config_has_a_comment_above_every_key() -> None:
    lines = NodeConfig().to_toml().splitlines()
    keys = [i for i, line in enumerate(lines) if re.match(r"^[a-z0-9_]+ = ", line)]
    assert len(keys) == len(fields(NodeConfig))
    for i in keys:
        key = lines[i].split(" = ")[0]
        assert lines[i - 1] == f"# {SETTINGS[key].doc} ({SETTINGS[key].rule.allowed})"
    text = NodeConfig().to_toml()
    assert "# Processes recovering batches of signatures; -1 = CPUs - 1" in text
    assert "(an integer >= -1)" in text
    assert "# Log lines as text (key=value pairs) or json" in text and "(one of text, json)" in text
    assert tomllib.loads(text)["grpc_workers"] == 32


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('p2p_listn = "127.0.0.1:1"\n', "config.toml: unknown key 'p2p_listn' (did you mean 'p2p_listen'?)"),
        ("grpc_worker = 4\n", "unknown key 'grpc_worker' (did you mean 'grpc_workers'?)"),
        ("zzz = 1\n", "config.toml: unknown key 'zzz'"),
        ("grpc_workers = -3\n", "config.toml: grpc_workers must be a positive integer, got -3"),
        ('grpc_workers = "3"\n', "grpc_workers must be a positive integer, got '3'"),
        ("grpc_workers = true\n", "grpc_workers must be a positive integer, got True"),
        ("signature_workers = -2\n", "signature_workers must be an integer >= -1, got -2"),
        ("state_retention_heights = -1\n", "state_retention_heights must be a non-negative integer, got -1"),
        ('pex = "yes"\n', "pex must be true or false, got 'yes'"),
        ('log_format = "xml"\n', "log_format must be one of text, json, got 'xml'"),
        (
            'log_level = "loud"\n',
            "log_level must be one of debug, info, warning, error, critical, got 'loud'",
        ),
        ('grpc_listen = "9090"\n', "grpc_listen must be host:port with a port 0-65535, got '9090'"),
        (
            'p2p_listen = "localhost:99999"\n',
            "p2p_listen must be host:port with a port 0-65535, got 'localhost:99999'",
        ),
        (
            'metrics_listen = ":9100"\n',
            "metrics_listen must be host:port, or \"\" for off with a port 0-65535, got ':9100'",
        ),
        (
            'persistent_peers = "nobody"\n',
            'persistent_peers must be comma-separated node_id@host:port, or "": '
            "peer address 'nobody' must be node_id@host:port",
        ),
        ('moniker = " "\n', "moniker must be a non-empty string, got ' '"),
        (
            'api_cors_origins = "https://ok.example, ftp://x"\n',
            'api_cors_origins must be "*", comma-separated http(s)://host[:port] origins, or "", got \'ftp://x\'',
        ),
        ("stream_buffer_events = 0\n", "stream_buffer_events must be a positive integer, got 0"),
        ("[p2p]\nlisten = 1\n", "config.toml: unknown key 'p2p'"),
    ],
)
def test_a_bad_key_or_value_is_named_with_what_it_allows(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, toml)
    assert str(info.value).endswith(message), str(info.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, 'p2p_listn = "x"\ngrpc_workers = 0\nblock_time_ms = -1\nmoniker = "ok"\n')
    assert str(info.value).splitlines() == [
        f"{tmp_path / 'config.toml'}: 3 problems:",
        "  unknown key 'p2p_listn' (did you mean 'p2p_listen'?)",
        "  grpc_workers must be a positive integer, got 0",
        "  block_time_ms must be a positive integer, got -1",
    ]


def test_unreadable_toml_says_where(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config .*config\.toml"):
        load_text(tmp_path, "grpc_workers = = 3\n")


def test_init_writes_a_documented_config_and_start_refuses_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "s.csv"
    write_snapshot(snapshot, funded_keys(1))
    home = tmp_path / "home"
    assert main(["init", "--home", str(home), "--snapshot", str(snapshot), "--block-time-ms", "250"]) == 0
    path = home / "config" / "config.toml"
    text = path.read_text()
    assert (
        "# Milliseconds to wait after a commit before the next height starts (a positive integer)\n" in text
    )
    assert NodeConfig.load(path).block_time_ms == 250
    capsys.readouterr()
    path.write_text(text.replace("grpc_workers = 32", "grpc_workers = -3").replace("pex = ", "pexx = "))
    assert main(["start", "--home", str(home)]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'pexx' (did you mean 'pex'?)" in err
    assert "grpc_workers must be a positive integer, got -3" in err
    path.write_text(text)
    assert main(["start", "--home", str(home), "--grpc-listen", "nowhere"]) == 1
    assert "okchaind start: grpc_listen must be host:port with a port 0-65535, got 'nowhere'" in (
        capsys.readouterr().err
    )
