import subprocess
import sys

import aoizora
from aoizora.cli.main import main


def test_version_flag(capsys):
    try:
        main(["--version"])
    except SystemExit as e:
        assert e.code == 0
    assert aoizora.__version__ in capsys.readouterr().out


def test_help_lists_smoke_command(capsys):
    assert main([]) == 0
    assert "smoke" in capsys.readouterr().out


def test_import_does_not_initialise_jax():
    code = "import sys, aoizora, aoizora.cli.main; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_core_module_loads():
    core = aoizora.core()
    assert core.__version__ == aoizora.__version__


def test_bad_topology_exits_2(capsys):
    assert main(["smoke", "--topology", "v9x:2x4"]) == 2
    assert "unknown TPU generation 'v9x'" in capsys.readouterr().err
