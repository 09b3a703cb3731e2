"""Reading delivery status notifications: real MTA formats, in mbox, maildir and .eml
form; hard, soft and no bounce."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.codec.dsn import UnreadableMailbox, bounces_of, read_messages
from crmcore.domain.bounces import BounceKind, classify
from tests.dsn_samples import auto_reply, delayed, exim_soft, postfix_hard

MID = "<0190a5b2-7c1d-7e3f-8a9b-0c1d2e3f4a5b@crm.example>"


def _all(path: Path) -> list[tuple[str, str, str, BounceKind]]:
    return [
        (b.message_id, b.recipient, b.status, b.kind)
        for _, m in read_messages(path)
        for b in bounces_of(m)
    ]


def test_an_eml_folder_of_each_kind(tmp_path: Path) -> None:
    (tmp_path / "1.eml").write_bytes(postfix_hard(MID, "gone@example.com"))
    (tmp_path / "2.eml").write_bytes(exim_soft(MID, "full@example.com"))
    (tmp_path / "3.eml").write_bytes(delayed(MID, "slow@example.com"))
    (tmp_path / "4.eml").write_bytes(auto_reply("away@example.com"))
    assert _all(tmp_path) == [
        (MID, "gone@example.com", "5.1.1", BounceKind.HARD),
        (MID, "full@example.com", "4.2.2", BounceKind.SOFT),
        (MID, "slow@example.com", "4.4.1", BounceKind.NONE),
    ]
    one = next(b for _, m in read_messages(tmp_path / "1.eml") for b in bounces_of(m))
    assert one.reason.startswith("hard bounce 5.1.1: 550 5.1.1 <gone@example.com>")
    assert "User unknown" in one.reason


def test_mbox_and_maildir_hold_the_same_reports(tmp_path: Path) -> None:
    samples = [postfix_hard(MID, "a@example.com"), exim_soft(MID, "b@example.com")]
    box = mailbox.mbox(tmp_path / "bounces.mbox")
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    for raw in samples:
        box.add(raw)
        maildir.add(raw)
    box.close()
    expected = [(MID, "a@example.com", "5.1.1", BounceKind.HARD),
                (MID, "b@example.com", "4.2.2", BounceKind.SOFT)]  # fmt: skip
    assert _all(tmp_path / "bounces.mbox") == expected
    assert sorted(_all(tmp_path / "Maildir")) == sorted(expected)


def test_what_is_no_mailbox_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableMailbox, match="no such file"):
        list(read_messages(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnreadableMailbox, match="maildir"):
        list(read_messages(tmp_path / "empty"))


statuses = st.builds("{}.{}.{}".format, st.sampled_from("245"), st.integers(0, 9),
                     st.integers(0, 99))  # fmt: skip
actions = st.sampled_from(["failed", "FAILED ", "delayed", "delivered", "relayed", "expanded"])


@given(action=actions, status=statuses)
def test_only_a_failed_report_bounces_and_only_class_5_is_hard(action: str, status: str) -> None:
    kind = classify(action, status)
    if action.strip().lower() != "failed":
        assert kind is BounceKind.NONE
    else:
        assert kind is (BounceKind.HARD if status[0] == "5" else BounceKind.SOFT)
