"""What bootstrap says when a database cannot be opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.ports.errors import StorageUnavailable


def test_a_sqlite_file_that_cannot_be_opened_explains_the_slashes(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "crm.db"
    with pytest.raises(StorageUnavailable) as refused:
        bootstrap(Settings(db_url=f"sqlite:///{missing}"))
    message = str(refused.value)
    assert "unable to open database file" in message
    assert "three slashes, is a path relative to the current directory" in message
    assert "four, an absolute one" in message
