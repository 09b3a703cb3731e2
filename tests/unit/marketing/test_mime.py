"""The e-mail bytes the SMTP channel writes read back, through the standard library's
parser, as the message that was given: subject, recipient, headers, body."""

from __future__ import annotations

import email
from email.policy import default
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.adapters.channels.smtp import build_message
from crmcore.ports.marketing import OutgoingMessage

_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x4FF, exclude_categories=["Cs"]), max_size=80
)
_lines = st.lists(_text | st.text("ab", min_size=990, max_size=1100), min_size=1, max_size=6)


@settings(max_examples=50)
@given(subject=_text, lines=_lines, name=_text)
def test_what_is_written_parses_back_to_the_message(
    subject: str, lines: list[str], name: str
) -> None:
    body = "\n".join(lines)
    m = OutgoingMessage(
        delivery_id=UUID(int=7), to="ann@example.com", subject=subject, body=body,
        headers={"List-Unsubscribe": "<https://x.example/u?e=ann@example.com&t=abc>",
                 "X-Name": name},
    )  # fmt: skip
    raw = build_message(m, sender="news@shop.example", domain="shop.example")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == " ".join(subject.split())
    assert parsed["To"] == "ann@example.com"
    assert parsed["Message-ID"] == f"<{UUID(int=7)}@shop.example>"
    assert parsed["List-Unsubscribe"] == "<https://x.example/u?e=ann@example.com&t=abc>"
    assert parsed["X-Name"] == " ".join(name.split())
    content = parsed.get_content()
    assert content.replace("\r\n", "\n") == body + "\n"
