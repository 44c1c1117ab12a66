"""`folio serve` starts every run with fresh Prometheus counters, without touching anything else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from entrypoints.serving import MULTIPROC_ENV, prepare_metrics_dir


def test_stale_worker_counters_are_removed_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, "")  # empty means unset here, and monkeypatch restores it afterwards
    old = tmp_path / "prometheus"
    old.mkdir()
    (old / "counter_1234.db").write_bytes(b"stale")
    made = prepare_metrics_dir(tmp_path)
    assert made == old
    assert list(made.iterdir()) == []
    assert Path(os.environ[MULTIPROC_ENV]) == made


def test_an_operator_directory_keeps_its_other_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = tmp_path / "metrics"
    chosen.mkdir()
    (chosen / "histogram_99.db").write_bytes(b"stale")
    (chosen / "README").write_text("mine")
    monkeypatch.setenv(MULTIPROC_ENV, str(chosen))
    assert prepare_metrics_dir(tmp_path / "var") == chosen
    assert [p.name for p in chosen.iterdir()] == ["README"]
