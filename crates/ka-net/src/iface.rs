//! Interface facts: index, MAC address, primary addresses, link state.

use std::io;
use std::net::{IpAddr, Ipv4Addr};

pub fn index(name: &str) -> io::Result<u32> {
    Ok(nix::net::if_::if_nametoindex(name)?)
}

/// An ifreq naming `name`, for the SIOCGIF* ioctls.
pub(crate) fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    let b = name.as_bytes();
    if b.len() >= req.ifr_name.len() {
        return Err(io::Error::other("interface name too long"));
    }
    for (d, s) in req.ifr_name.iter_mut().zip(b) {
        *d = *s as libc::c_char;
    }
    Ok(req)
}

/// The interface's MTU (/sys/class/net/NAME/mtu).
pub fn mtu(name: &str) -> io::Result<u32> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/mtu"))?;
    text.trim()
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("MTU of {name}: {text}")))
}

/// The interface's hardware address (SIOCGIFHWADDR).
pub fn mac(name: &str) -> io::Result<[u8; 6]> {
    let fd = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    let mut req = ifreq(name)?;
    use std::os::fd::AsRawFd;
    // SAFETY: SIOCGIFHWADDR reads ifr_name and writes ifr_hwaddr inside `req`, which lives
    // for the call; the fd is a valid socket.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFHWADDR, &mut req) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: after a successful SIOCGIFHWADDR the union holds ifru_hwaddr.
    let sa = unsafe { req.ifr_ifru.ifru_hwaddr };
    let mut mac = [0u8; 6];
    for (d, s) in mac.iter_mut().zip(sa.sa_data.iter()) {
        *d = *s as u8;
    }
    Ok(mac)
}

/// Every address of every interface: (interface name, address).
pub fn addresses() -> io::Result<Vec<(String, IpAddr)>> {
    Ok(nix::ifaddrs::getifaddrs()?
        .filter_map(|ifa| {
            let a = ifa.address?;
            let ip = match (a.as_sockaddr_in(), a.as_sockaddr_in6()) {
                (Some(v4), _) => IpAddr::V4(v4.ip()),
                (_, Some(v6)) => IpAddr::V6(v6.ip()),
                _ => return None,
            };
            Some((ifa.interface_name, ip))
        })
        .collect())
}

/// The first IPv4 address of an interface that is not one of `exclude` (the VIPs): the
/// address adverts come from.
pub fn primary_v4(name: &str, exclude: &[IpAddr]) -> io::Result<Option<Ipv4Addr>> {
    Ok(addresses()?.into_iter().find_map(|(n, a)| match a {
        IpAddr::V4(v) if n == name && !exclude.contains(&a) => Some(v),
        _ => None,
    }))
}

/// The names of this host's interfaces (if_nameindex).
pub fn names() -> Vec<String> {
    nix::net::if_::if_nameindex()
        .map(|list| {
            list.iter()
                .map(|i| i.name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Creates the FIFO `path` (mode 0644) if it does not exist.
pub fn mkfifo(path: &str) -> io::Result<()> {
    use nix::sys::stat::Mode;
    nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o644))?;
    Ok(())
}

/// Reads an interface's IPv4 or IPv6 setting (`net/ipv4/conf/IF/NAME`).
pub fn sysctl(family: &str, ifname: &str, name: &str) -> io::Result<u32> {
    net_sysctl(&format!("{family}/conf/{ifname}/{name}"))
}

/// A setting under /proc/sys/net/ (`ipv4/igmp_link_local_mcast_reports`).
pub fn net_sysctl(path: &str) -> io::Result<u32> {
    let full = format!("/proc/sys/net/{path}");
    std::fs::read_to_string(&full)?
        .trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{full}: {e}")))
}

pub fn set_net_sysctl(path: &str, value: u32) -> io::Result<()> {
    std::fs::write(format!("/proc/sys/net/{path}"), value.to_string())
}
