"""The SMTP channel gives the same answers and delivers the same bytes whether the server
offers PIPELINING (one round trip a message) or not (``sendmail``'s four): refused
recipients in between, periods at line starts, a server that drops the connection."""

from __future__ import annotations

import smtplib
from email.message import Message
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given
from hypothesis import strategies as st

from crmcore.adapters.channels.smtp import SmtpChannel, SmtpSettings, _address, data_block
from crmcore.ports.marketing import ChannelUnavailable, OutgoingMessage, SendResult
from tests.smtp_sink import Sink, free_port, smtp_sink

BODY = "Dear Ann,\n.a line that starts with a period\n..and two\n.\nend"
REFUSED = frozenset({"bad1@example.com", "bad2@example.com"})


def _messages(names: list[str]) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(delivery_id=UUID(int=n + 1), to=f"{name}@example.com",
                        subject=f"News {n}", body=f"{BODY} {n}",
                        headers={"List-Unsubscribe": f"<https://x.example/u?n={n}>"})
        for n, name in enumerate(names)
    ]  # fmt: skip


def _body(m: Message) -> str:
    payload = m.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n").rstrip("\n")


def _send(pipelining: bool, names: list[str]) -> tuple[list[SendResult], list[Message]]:
    with smtp_sink(REFUSED, pipelining=pipelining) as (sink, url):
        channel = SmtpChannel(SmtpSettings.from_url(url))
        results = list(channel.send(_messages(names[: len(names) // 2])))
        results += channel.send(_messages(names)[len(names) // 2 :])  # the connection reused
        channel.close()
        return results, sink.received()


@pytest.mark.parametrize(
    "names",
    [
        ["ann", "bad1", "cy", "bad2", "dan"],
        ["bad1", "bad2"],
        ["ann"],
        ["bad1", "ann", "bad2"],
        ["ann", "bob", "cy", "dan", "eve", "bad2"],
    ],
)
def test_pipelined_and_plain_sends_answer_and_deliver_alike(names: list[str]) -> None:
    piped, piped_got = _send(True, names)
    plain, plain_got = _send(False, names)
    assert piped == plain
    assert [r.delivery_id for r in piped] == [m.delivery_id for m in _messages(names)]
    assert [r.accepted for r in piped] == [f"{n}@example.com" not in REFUSED for n in names]
    assert all("550" in (r.error or "") for r in piped if not r.accepted)
    for got in (piped_got, plain_got):
        expected = [(f"{n}@example.com", f"{BODY} {i}") for i, n in enumerate(names)
                    if f"{n}@example.com" not in REFUSED]  # fmt: skip
        assert [(str(m["To"]), _body(m)) for m in got] == expected
        assert all(m["List-Unsubscribe"] and m["Message-ID"] for m in got)


def test_periods_are_stuffed_and_the_data_ends_once() -> None:
    assert data_block(b"a\r\n.b\r\n..c\r\n.\r\n") == b"a\r\n..b\r\n...c\r\n..\r\n.\r\n"
    assert data_block(b".x") == b"..x\r\n.\r\n"


def test_an_unreachable_server_is_unavailable_with_nothing_done() -> None:
    channel = SmtpChannel(SmtpSettings.from_url(f"smtp://127.0.0.1:{free_port()}"))
    with pytest.raises(ChannelUnavailable) as caught:
        channel.send(_messages(["ann"]))
    assert caught.value.done == ()


class _Busy(Sink):
    """Answers the end of data of a message to busy@... with a temporary 451."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if "busy@example.com" in envelope.rcpt_tos:
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_temporary_refusal_stops_the_batch_after_the_messages_before_it(
    pipelining: bool,
) -> None:
    handler = _Busy(REFUSED, pipelining=pipelining)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = SmtpChannel(SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
        with pytest.raises(ChannelUnavailable) as caught:
            channel.send(_messages(["ann", "bad1", "busy", "cy"]))
        assert [(r.accepted, r.delivery_id.int) for r in caught.value.done] == [
            (True, 1), (False, 2),
        ]  # fmt: skip
        assert "451" in str(caught.value)
        assert [str(m["To"]) for m in handler.received()] == ["ann@example.com"]
    finally:
        controller.stop()


@given(
    st.from_regex(r"[A-Za-z0-9.'+_-]{1,12}@[a-z0-9.-]{1,12}", fullmatch=True) | st.text(max_size=30)
)
def test_envelope_addresses_are_written_as_smtplib_writes_them(address: str) -> None:
    assert _address(address) == smtplib.quoteaddr(address)
