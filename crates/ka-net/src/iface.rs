//! Interface facts: index, MAC address, primary addresses, link state.

use std::ffi::{CStr, CString};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub fn index(name: &str) -> io::Result<u32> {
    let c = CString::new(name).map_err(io::Error::other)?;
    // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if i == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(i)
    }
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
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut p = head;
    while !p.is_null() {
        // SAFETY: `p` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*p };
        if !ifa.ifa_addr.is_null() {
            // SAFETY: ifa_name is a NUL-terminated string owned by the list.
            let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
                .to_string_lossy()
                .into_owned();
            // SAFETY: ifa_addr points to a sockaddr whose family says which one it is.
            let fam = unsafe { (*ifa.ifa_addr).sa_family } as i32;
            if fam == libc::AF_INET {
                // SAFETY: family AF_INET: a sockaddr_in.
                let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
                out.push((
                    name,
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))),
                ));
            } else if fam == libc::AF_INET6 {
                // SAFETY: family AF_INET6: a sockaddr_in6.
                let sin6 = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
                out.push((name, IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))));
            }
        }
        p = ifa.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
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
    let mut out = Vec::new();
    // SAFETY: if_nameindex returns a heap array ended by an entry with index 0 and a null
    // name, freed below with if_freenameindex; names are NUL-terminated C strings.
    unsafe {
        let list = libc::if_nameindex();
        if !list.is_null() {
            let mut p = list;
            while (*p).if_index != 0 && !(*p).if_name.is_null() {
                out.push(CStr::from_ptr((*p).if_name).to_string_lossy().into_owned());
                p = p.add(1);
            }
            libc::if_freenameindex(list);
        }
    }
    out
}

/// Creates the FIFO `path` (mode 0644) if it does not exist.
pub fn mkfifo(path: &str) -> io::Result<()> {
    let c = CString::new(path).map_err(io::Error::other)?;
    // SAFETY: `c` is a valid NUL-terminated path for the call.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o644) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads an interface's IPv4 or IPv6 setting (`net/ipv4/conf/IF/NAME`).
pub fn sysctl(family: &str, ifname: &str, name: &str) -> io::Result<u32> {
    let path = format!("/proc/sys/net/{family}/conf/{ifname}/{name}");
    std::fs::read_to_string(&path)?
        .trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{path}: {e}")))
}

/// Writes an interface's IPv4 or IPv6 setting.
pub fn set_sysctl(family: &str, ifname: &str, name: &str, value: u32) -> io::Result<()> {
    std::fs::write(
        format!("/proc/sys/net/{family}/conf/{ifname}/{name}"),
        value.to_string(),
    )
}
