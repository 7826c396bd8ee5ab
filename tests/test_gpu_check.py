"""benchmarks/gpu_check.py runs end to end on the CPU, so it does not break unseen before a GPU is lent."""

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import gpu_check  # noqa: E402


def test_gpu_check_runs_end_to_end_on_the_cpu(tmp_path, capsys):
    out = tmp_path / "gpu.md"
    status = gpu_check.main(["--cpu", "--recipes", "dcgan_mnist,gaussians_ring", "--models", "dcgan-28",
                             "--out", str(out)])
    report = out.read_text()
    assert status == 0, report
    assert "| dcgan_mnist.yaml | yes |" in report and "| gaussians_ring.yaml | yes |" in report
    for variant in ("fp32", "bf16", "fp16"):  # through the trainer's train.precision
        row = next(line for line in report.splitlines() if line.startswith(f"| dcgan-28 | {variant} |"))
        assert float(row.split("|")[3].replace(",", "")) > 0, row  # images/s measured
    assert "| dcgan-28 | cuda-graphs | - | - | yes | CUDA only |" in report
    assert "(c) 2-process nccl run: ok (skipped: needs 2 GPUs" in report


def test_a_failing_check_is_a_row_and_the_exit_status(tmp_path, capsys):
    status = gpu_check.main(["--cpu", "--recipes", "vanilla_mnist", "--models", "none",
                             "--recipe-override", "train.batch_size=0", "--out", str(tmp_path / "gpu.md")])
    assert status == 1
    assert "| vanilla_mnist.yaml | NO |" in (tmp_path / "gpu.md").read_text()
