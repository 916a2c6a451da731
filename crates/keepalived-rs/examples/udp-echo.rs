//! A UDP responder for the UDP_CHECK tests: `udp-echo ADDR:PORT REPLY` answers every
//! datagram with REPLY (or echoes it when REPLY is `-`).

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(reply)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: udp-echo ADDR:PORT REPLY|-");
        std::process::exit(2);
    };
    let sock = std::net::UdpSocket::bind(addr)?;
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = sock.recv_from(&mut buf)?;
        let out = if reply == "-" {
            &buf[..n]
        } else {
            reply.as_bytes()
        };
        sock.send_to(out, from)?;
    }
}
