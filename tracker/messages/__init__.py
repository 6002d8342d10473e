"""Messages to patients between visits: a transactional outbox (a row written in the event's own
transaction), a sender that delivers it (email by SMTP, text messages through a gateway), and the
staff log of what was sent to whom and when."""
