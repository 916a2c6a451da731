//! An inotify descriptor watching directories for files written, moved or deleted
//! (keepalived's track_file and FILE_CHECK follow files this way).

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::Path;

use nix::sys::inotify::{AddWatchFlags, InitFlags};

pub struct Inotify {
    fd: nix::sys::inotify::Inotify,
}

impl Inotify {
    pub fn new() -> io::Result<Inotify> {
        Ok(Inotify {
            fd: nix::sys::inotify::Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?,
        })
    }

    /// Watches directory `dir` for files closed after writing, moved in or out, deleted.
    pub fn watch_dir(&self, dir: &Path) -> io::Result<()> {
        let mask =
            AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVE;
        self.fd.add_watch(dir, mask)?;
        Ok(())
    }

    /// Reads every pending event; whether there was any.
    pub fn drain(&self) -> bool {
        let mut any = false;
        while let Ok(events) = self.fd.read_events() {
            if events.is_empty() {
                break;
            }
            any = true;
        }
        any
    }
}

impl AsRawFd for Inotify {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_fd().as_raw_fd()
    }
}
