"""The one atomic-write helper: a reader sees the old file or the new one, never half."""
import pytest

from rag._files import atomic_write, write_text


def test_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "report.json"
    write_text(target, "old")
    write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "model.gguf"
    write_text(target, "whole")

    def half(tmp):
        with open(tmp, "w") as f:
            f.write("ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half)
    assert target.read_text(encoding="utf-8") == "whole"
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]
