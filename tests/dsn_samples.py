"""Delivery status notifications (RFC 3464) as real MTAs write them, for tests: a
Postfix hard bounce (original headers as ``text/rfc822-headers``), an Exim-style soft
failure (the whole original as ``message/rfc822``), a "delayed" warning, and an
auto-reply that is no DSN at all."""

from __future__ import annotations


def postfix_hard(message_id: str, recipient: str) -> bytes:
    """Postfix: the mailbox does not exist (5.1.1)."""
    return f"""Return-Path: <>
Received: by mx.example.net (Postfix) id 3F2A81C0; Mon,  2 Mar 2026 09:05:01 +0000 (UTC)
Date: Mon,  2 Mar 2026 09:05:01 +0000 (UTC)
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: news@crm.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="3F2A81C0.1772442301/mx.example.net"
Message-Id: <20260302090501.3F2A81C0@mx.example.net>

This is a MIME-encapsulated message.

--3F2A81C0.1772442301/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.com[192.0.2.7] said: 550 5.1.1
    <{recipient}>: Recipient address rejected: User unknown (in reply to RCPT
    TO command)

--3F2A81C0.1772442301/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 3F2A81C0
X-Postfix-Sender: rfc822; news@crm.example
Arrival-Date: Mon,  2 Mar 2026 09:05:00 +0000 (UTC)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected:
    User unknown

--3F2A81C0.1772442301/mx.example.net
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: news@crm.example
To: {recipient}
Subject: Spring offer
Message-ID: {message_id}
Date: Mon, 02 Mar 2026 09:00:00 +0000

--3F2A81C0.1772442301/mx.example.net--
""".replace("\n", "\r\n").encode()


def exim_soft(message_id: str, recipient: str) -> bytes:
    """Exim-style: the mailbox stayed full until the retry time ran out (4.2.2, failed)."""
    return f"""From: Mail Delivery System <Mailer-Daemon@relay.example.org>
To: news@crm.example
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=1772442301-eximdsn-1

--1772442301-eximdsn-1
Content-type: text/plain; charset=us-ascii

A message that you sent could not be delivered to all of its recipients.
  {recipient}
    retry timeout exceeded: mailbox full

--1772442301-eximdsn-1
Content-type: message/delivery-status

Reporting-MTA: dns; relay.example.org

Action: failed
Final-Recipient: rfc822;{recipient}
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--1772442301-eximdsn-1
Content-type: message/rfc822

From: news@crm.example
To: {recipient}
Subject: Spring offer
Message-ID: {message_id}

Hello there.

--1772442301-eximdsn-1--
""".encode()


def delayed(message_id: str, recipient: str) -> bytes:
    """A warning: the MTA keeps trying (Action: delayed)."""
    return f"""From: MAILER-DAEMON@mx.example.net
To: news@crm.example
Subject: Delayed Mail (still being retried)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Still trying.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {recipient}
Action: delayed
Status: 4.4.1
Will-Retry-Until: Thu,  5 Mar 2026 09:05:00 +0000 (UTC)

--b1
Content-Type: text/rfc822-headers

Message-ID: {message_id}

--b1--
""".encode()


def auto_reply(recipient: str) -> bytes:
    """An out-of-office answer: not a DSN, no bounce."""
    return f"""From: {recipient}
To: news@crm.example
Subject: Out of office
Auto-Submitted: auto-replied
Content-Type: text/plain

I am away until Monday.
""".encode()
