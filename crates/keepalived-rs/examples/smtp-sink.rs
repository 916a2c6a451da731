//! A minimal SMTP server for the integration tests: accepts connections on ADDR, answers
//! every command the way a relay does, and appends each session's transcript to FILE.
//!
//! usage: smtp-sink ADDR:PORT FILE

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: smtp-sink ADDR:PORT FILE");
        std::process::exit(2);
    }
    let listener = TcpListener::bind(&args[1])?;
    for conn in listener.incoming() {
        let mut c = conn?;
        let mut r = BufReader::new(c.try_clone()?);
        let mut log = String::new();
        c.write_all(b"220 sink ESMTP\r\n")?;
        let mut line = String::new();
        let mut in_data = false;
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                break;
            }
            log.push_str(&line);
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    c.write_all(b"250 queued\r\n")?;
                }
                continue;
            }
            let cmd = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if cmd == "DATA" {
                in_data = true;
                b"354 end with .\r\n"
            } else if cmd == "QUIT" {
                b"221 bye\r\n"
            } else {
                b"250 OK\r\n"
            };
            c.write_all(reply)?;
            if cmd == "QUIT" {
                break;
            }
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&args[2])?;
        f.write_all(log.as_bytes())?;
    }
    Ok(())
}
