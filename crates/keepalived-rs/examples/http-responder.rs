//! A small server for the checker tests: accepts connections on ADDR and answers each
//! according to MODE, read again from MODE_FILE for every connection (so a test can
//! change its behaviour while it runs):
//!
//! - `ok`: `HTTP/1.0 200 OK` with the body `hello`;
//! - `500`: `HTTP/1.0 500 Internal Server Error`;
//! - `garbage`: bytes that are not HTTP;
//! - `dribble`: a partial status line, one byte a second, never finished;
//! - `huge`: a 200 with a 64 MiB body;
//! - `close`: accepts and closes at once.
//!
//! usage: http-responder ADDR:PORT MODE_FILE

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn answer(mut c: TcpStream, mode: &str) {
    let mut buf = [0u8; 4096];
    let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = c.read(&mut buf);
    let _ = match mode {
        "500" => c.write_all(b"HTTP/1.0 500 Internal Server Error\r\n\r\n"),
        "garbage" => c.write_all(b"\x00\x01SSH-2.0-not-http\r\n\r\n"),
        "dribble" => {
            for b in b"HTTP/1.0 2" {
                if c.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            Ok(())
        }
        "huge" => {
            let _ = c.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
            let chunk = vec![b'x'; 1 << 16];
            for _ in 0..1024 {
                if c.write_all(&chunk).is_err() {
                    return;
                }
            }
            Ok(())
        }
        "close" => Ok(()),
        _ => c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    };
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: http-responder ADDR:PORT MODE_FILE");
        std::process::exit(2);
    }
    let l = TcpListener::bind(&args[1])?;
    for c in l.incoming().flatten() {
        let mode = std::fs::read_to_string(&args[2]).unwrap_or_else(|_| "ok".into());
        let mode = mode.trim().to_string();
        std::thread::spawn(move || answer(c, &mode));
    }
    Ok(())
}
