"""gunicorn.conf.py: the control socket belongs to this portal's data folder."""

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture(autouse=True)
def _no_leak_of_hive_serving(monkeypatch):
    # gunicorn.conf.py sets HIVE_SERVING=1 for its process; restore this process's value afterwards.
    monkeypatch.setenv("HIVE_SERVING", "0")


@pytest.mark.sqlite_smoke
def test_control_socket__in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HIVE_DATA_DIR", str(tmp_path))
    conf = runpy.run_path(str(CONF))
    assert conf["control_socket"] == str(tmp_path / "gunicorn.ctl")
    assert conf["control_socket_mode"] == 0o600
    assert not conf.get("control_socket_disable")


@pytest.mark.sqlite_smoke
def test_control_socket__default_data_folder_not_home(monkeypatch):
    monkeypatch.delenv("HIVE_DATA_DIR", raising=False)
    conf = runpy.run_path(str(CONF))
    assert conf["control_socket"].endswith("/gunicorn.ctl")
    assert ".gunicorn" not in conf["control_socket"] and str(Path.home() / ".gunicorn") not in conf["control_socket"]


@pytest.mark.sqlite_smoke
def test_control_socket__path_too_long_for_a_socket__disabled(monkeypatch, tmp_path):
    monkeypatch.setenv("HIVE_DATA_DIR", str(tmp_path / ("x" * 120)))
    assert runpy.run_path(str(CONF))["control_socket_disable"] is True


@pytest.mark.sqlite_smoke
def test_gunicorn_reads_the_setting(monkeypatch, tmp_path):
    from gunicorn.config import Config

    monkeypatch.setenv("HIVE_DATA_DIR", str(tmp_path))
    config = Config()
    for name, value in runpy.run_path(str(CONF)).items():
        if name in config.settings:
            config.set(name, value)
    assert config.control_socket == str(tmp_path / "gunicorn.ctl")


@pytest.mark.sqlite_smoke
def test_gunicorn__serves_as_the_application_role(monkeypatch):
    import os

    runpy.run_path(str(CONF))
    assert os.environ["HIVE_SERVING"] == "1"
