//! The Debug Adapter Protocol's wire: messages framed by a `Content-Length` header, read on a
//! thread of their own, and the adapter's responses and events written with their sequence
//! numbers.

use std::io::{BufRead, Read, Write};

use crossbeam_channel::Sender;
use serde_json::{Value, json};

/// The largest message read; a longer one is skipped (never held) and answered as malformed.
/// A launch configuration or a setBreakpoints request is a few KiB.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// How many messages wait for the session at most: past that the reader stops reading, so a
/// client that sends without reading the answers meets back-pressure, not an adapter that
/// grows without bound.
pub const QUEUED_MESSAGES: usize = 4;

/// The longest header line read.
const MAX_HEADER_BYTES: u64 = 4096;

/// What the reader hands the session.
#[derive(Debug)]
pub enum Incoming {
    /// A well-formed JSON message.
    Message(Value),
    /// Something that could not be read as a message, and why.
    Malformed(String),
}

/// Reads framed messages from `input` until it ends (or fails), sending each to `to`.
pub fn read_messages(mut input: impl BufRead, to: &Sender<Incoming>) {
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match (&mut input).take(MAX_HEADER_BYTES).read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if length.is_some() {
                    break;
                }
                continue;
            }
            match line.split_once(':') {
                Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                    match value.trim().parse::<usize>() {
                        Ok(n) => length = Some(n),
                        Err(_) => {
                            let why = format!("bad Content-Length header `{}`", value.trim());
                            if to.send(Incoming::Malformed(why)).is_err() {
                                return;
                            }
                        }
                    }
                }
                // Other headers (Content-Type) are allowed and ignored.
                Some(_) => {}
                None => {
                    let why = format!("expected a `Content-Length: N` header, got `{line}`");
                    if to.send(Incoming::Malformed(why)).is_err() {
                        return;
                    }
                }
            }
        }
        let length = length.unwrap_or(0);
        if length > MAX_MESSAGE_BYTES {
            // Skipped in bounded reads, so a hostile length costs no memory.
            if std::io::copy(&mut (&mut input).take(length as u64), &mut std::io::sink()).is_err() {
                return;
            }
            let why = format!("a message of {length} bytes (at most {MAX_MESSAGE_BYTES})");
            if to.send(Incoming::Malformed(why)).is_err() {
                return;
            }
            continue;
        }
        let mut body = vec![0; length];
        if input.read_exact(&mut body).is_err() {
            return;
        }
        let incoming = match serde_json::from_slice::<Value>(&body) {
            Ok(message) => Incoming::Message(message),
            Err(e) => Incoming::Malformed(format!("the message is not JSON: {e}")),
        };
        if to.send(incoming).is_err() {
            return;
        }
    }
}

/// A request, as the client sent it.
#[derive(Debug)]
pub struct Request {
    /// Its sequence number, which the response names.
    pub seq: i64,
    /// `initialize`, `launch`, `stackTrace`, ...
    pub command: String,
    /// Its arguments (`null` when it had none).
    pub arguments: Value,
}

impl Request {
    /// Reads a request out of a message; `Err` says what is wrong with it.
    pub fn from_message(message: &Value) -> Result<Self, String> {
        let kind = message.get("type").and_then(Value::as_str);
        if kind != Some("request") {
            return Err(match kind {
                Some(kind) => format!("a `{kind}` message: the adapter only takes requests"),
                None => "a message without `\"type\": \"request\"`".to_owned(),
            });
        }
        let seq = message
            .get("seq")
            .and_then(Value::as_i64)
            .ok_or("a request without a numeric `seq`")?;
        let command = message
            .get("command")
            .and_then(Value::as_str)
            .ok_or("a request without a `command`")?
            .to_owned();
        let arguments = message.get("arguments").cloned().unwrap_or(Value::Null);
        Ok(Self {
            seq,
            command,
            arguments,
        })
    }
}

/// Writes the adapter's messages, numbering them.
pub struct Writer {
    out: Box<dyn Write + Send>,
    seq: i64,
}

impl Writer {
    /// Writes to `out` (stdout, or a buffer under test).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out, seq: 0 }
    }

    fn send(&mut self, mut message: Value) {
        self.seq += 1;
        message["seq"] = json!(self.seq);
        let body = message.to_string();
        // A client that went away is noticed when its stdin closes.
        let _ = write!(self.out, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = self.out.flush();
    }

    /// A successful response to `request`.
    pub fn respond(&mut self, request: &Request, body: Value) {
        self.send(json!({
            "type": "response",
            "request_seq": request.seq,
            "success": true,
            "command": request.command,
            "body": body,
        }));
    }

    /// A failed response to request `seq` (0 for a message that was not a request), with
    /// `message` saying what is wrong.
    pub fn fail(&mut self, seq: i64, command: &str, message: &str) {
        self.send(json!({
            "type": "response",
            "request_seq": seq,
            "success": false,
            "command": command,
            "message": message,
            "body": { "error": { "id": 1, "format": message, "showUser": true } },
        }));
    }

    /// An event.
    pub fn event(&mut self, event: &str, body: Value) {
        self.send(json!({ "type": "event", "event": event, "body": body }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> Vec<Incoming> {
        let (tx, rx) = crossbeam_channel::unbounded();
        read_messages(input, &tx);
        drop(tx);
        rx.iter().collect()
    }

    #[test]
    fn framed_messages_are_read_and_bad_ones_named() {
        let mut input = Vec::new();
        let good = br#"{"seq":1,"type":"request","command":"threads"}"#;
        input.extend_from_slice(format!("Content-Length: {}\r\n\r\n", good.len()).as_bytes());
        input.extend_from_slice(good);
        input.extend_from_slice(b"Content-Length: 5\r\n\r\n{oops");
        input.extend_from_slice(b"Content-Length: 99999999999\r\n\r\n");
        let read = read_all(&input);
        assert!(matches!(&read[0], Incoming::Message(m) if m["command"] == "threads"));
        assert!(matches!(&read[1], Incoming::Malformed(why) if why.contains("not JSON")));
        assert!(matches!(&read[2], Incoming::Malformed(why) if why.contains("bytes")));
    }

    #[test]
    fn a_message_that_is_not_a_request_is_refused_in_words() {
        let event = json!({"seq": 1, "type": "event", "event": "x"});
        assert!(
            Request::from_message(&event)
                .unwrap_err()
                .contains("only takes requests")
        );
        let no_command = json!({"seq": 1, "type": "request"});
        assert!(
            Request::from_message(&no_command)
                .unwrap_err()
                .contains("command")
        );
    }
}
